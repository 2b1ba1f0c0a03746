// Cuts a streamed HTTP body into messages as bytes arrive: Server-Sent Events ("data: {...}" lines,
// what llama-server and OpenAI servers send) or newline-delimited JSON (what Ollama sends).
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace mtb::server {

enum class Framing { sse, ndjson };

// The longest message (or line) a stream may send: a token's event is a few hundred bytes, so one
// beyond this is a server that never ends its line, and memory must not follow it.
inline constexpr size_t kMaxMessageBytes = 16u << 20;

class EventStream {
 public:
  explicit EventStream(Framing f) : framing_(f) {}
  // Appends bytes; returns the messages they complete, in order. SSE comments (": ping") and
  // event/id fields are dropped; "[DONE]" is returned like any message. Throws std::length_error
  // once a line or message passes kMaxMessageBytes.
  std::vector<std::string> feed(std::string_view bytes);
  // Bytes of an unfinished message at the end of the body (a stream cut short), or "".
  const std::string& pending() const { return line_.empty() ? data_ : line_; }

 private:
  void end_line(std::vector<std::string>& out);
  [[noreturn]] void too_long();

  Framing framing_;
  std::string line_;  // the current, unfinished line
  std::string data_;  // SSE: data lines of the current event, joined by '\n'
  bool has_data_ = false;
};

}  // namespace mtb::server
