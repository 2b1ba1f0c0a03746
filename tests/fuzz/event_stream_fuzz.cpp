// A server's streamed body as the server backend reads it: cut into messages (SSE or JSON lines, bytes
// arriving in chunks), each message parsed in its dialect, the closing report read into figures.
// The first byte picks framing, dialect and chunk size; a malformed stream is an exception.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string_view>

#include "backends/server/event_stream.h"
#include "backends/server/server_api.h"

using namespace mtb::server;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t pick = data[0];
  const Framing framing = pick & 1 ? Framing::ndjson : Framing::sse;
  const Api api = static_cast<Api>((pick >> 1) % 3);
  const size_t chunk = 1 + (pick >> 3);  // 1 to 32 bytes a read
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);

  EventStream stream(framing);
  int received = 0;
  nlohmann::json report = nlohmann::json::object();
  bool ended = false;
  try {
    for (size_t at = 0; at < body.size() && !ended; at += chunk) {
      for (const std::string& message : stream.feed(body.substr(at, std::min(chunk, body.size() - at)))) {
        const Chunk c = parse_chunk(api, message, received);
        received += c.new_tokens;
        report.update(c.report);
        if ((ended = c.end)) break;
      }
    }
    stream.pending();
    server_figures(api, report);
  } catch (const std::exception&) {
  }
  return 0;
}
