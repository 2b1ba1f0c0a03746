// Many streamed requests at once from one thread: libcurl's multi interface (one socket each, one
// poll for all), so the client holds hundreds of streams on two cores without a thread per stream
// and adds no measurable delay to what it times. Each streamed message is stamped with the harness's
// clock as it arrives.
#pragma once
#include <string>
#include <vector>

#include "backends/server/server_api.h"
#include "backends/server/streaming_request.h"
#include "core/clock.h"
#include "llm/load.h"

namespace mtb::server {

struct LoadJob {
  ApiRequest request;
  double at_s = 0;        // due this long after the start (open loop); 0 in a closed loop
  int prompt_tokens = 0;
};

struct LoadClientSettings {
  HttpSettings http;
  Api api = Api::llama;
  int max_in_flight = 0;    // 0: no cap (every due request is sent)
  bool open_loop = false;   // send at each job's at_s; else keep max_in_flight streams busy
  double duration_s = 0;    // send nothing after this (0: no limit)
  int expected_tokens = 0;  // a request that streams fewer failed ("stream ended early")
};

// One client per session: it keeps its connections open between calls, so warm-up requests at a
// case's concurrency leave every stream a connection, and the timed requests do not wait for the
// server to accept new ones.
class LoadClient {
 public:
  LoadClient();
  ~LoadClient();
  LoadClient(const LoadClient&) = delete;
  LoadClient& operator=(const LoadClient&) = delete;

  // Sends the jobs and returns one row per request sent, in job order, times from the start on
  // `clock`. Every failure is a row's reason, never an exception: refused, reset, an HTTP status, a
  // stream silent for longer than the read timeout, a message that is not the dialect's JSON.
  std::vector<RequestRow> run(const std::vector<LoadJob>& jobs, const LoadClientSettings& s, const Clock& clock);

 private:
  void* multi_;  // CURLM, kept out of this header
};

}  // namespace mtb::server
