// One streamed POST, read on a background thread so the session can wait for "the next message"
// while the harness holds the clock. Every wait is bounded by the read timeout.
#pragma once
#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "backends/server/event_stream.h"

namespace httplib {
class Client;
}

namespace mtb::server {

struct HttpSettings {
  std::string scheme_host_port;  // "http://127.0.0.1:8080"
  std::string api_key;           // empty: no Authorization header
  double connect_timeout_s = 5;
  double read_timeout_s = 60;
};

// What the messages read but not yet taken by next() may hold: a server sending without end (more
// tokens than asked, as fast as it can) ends its request here rather than filling memory.
inline constexpr size_t kMaxQueuedBytes = 64u << 20;

class StreamingRequest {
 public:
  StreamingRequest(const HttpSettings& http, std::string path, std::string json_body, Framing framing);
  ~StreamingRequest();  // cancels a stream still open and joins the reader
  StreamingRequest(const StreamingRequest&) = delete;
  StreamingRequest& operator=(const StreamingRequest&) = delete;

  // The next message of the stream, or nullopt once it ended cleanly. Throws std::runtime_error
  // naming what failed: connection, HTTP status, silence longer than the read timeout, a cut stream.
  std::optional<std::string> next();
  void cancel();  // stop reading now; the server sees the connection close

 private:
  void read_stream();
  std::string where() const;

  HttpSettings http_;
  std::string path_, body_;
  EventStream events_;
  std::unique_ptr<httplib::Client> client_;

  std::mutex m_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  size_t queued_bytes_ = 0;  // bounded by kMaxQueuedBytes: a server that streams faster than it is read
  bool ended_ = false;
  std::string failure_;  // set with ended_ when the request failed
  int status_ = 0;
  std::string error_body_;  // the body of a non-200 answer (kept short)
  std::string too_long_;    // a message that passed kMaxMessageBytes, or a queue kMaxQueuedBytes: why the request was ended
  size_t n_messages_ = 0;
  std::atomic<bool> cancelled_{false};
  std::thread reader_;
};

}  // namespace mtb::server
