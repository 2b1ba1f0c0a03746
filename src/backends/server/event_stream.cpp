#include "backends/server/event_stream.h"

#include <fmt/format.h>

#include <stdexcept>

namespace mtb::server {

std::vector<std::string> EventStream::feed(std::string_view bytes) {
  std::vector<std::string> out;
  for (char c : bytes) {
    if (c == '\n') {
      end_line(out);
      line_.clear();
    } else {
      line_ += c;
      if (line_.size() + data_.size() > kMaxMessageBytes) too_long();
    }
  }
  return out;
}

void EventStream::too_long() {
  line_.clear();
  data_.clear();
  throw std::length_error(fmt::format("a streamed message passed {} MiB without ending (a line that never ends)",
                                      kMaxMessageBytes >> 20));
}

void EventStream::end_line(std::vector<std::string>& out) {
  std::string_view line = line_;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (framing_ == Framing::ndjson) {
    if (!line.empty()) out.emplace_back(line);
    return;
  }
  // SSE: an empty line ends the event; "data:" lines accumulate (one optional space after the colon).
  if (line.empty()) {
    if (has_data_) out.push_back(data_);
    data_.clear();
    has_data_ = false;
  } else if (line.starts_with("data:")) {
    line.remove_prefix(5);
    if (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    if (has_data_) data_ += '\n';
    data_ += line;
    has_data_ = true;
    if (data_.size() > kMaxMessageBytes) too_long();
  }
}

}  // namespace mtb::server
