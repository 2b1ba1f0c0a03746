// Serving load: many requests against a server at once, closed loop (N streams, each sending its next
// request when the last ends) or open loop (arrivals at a rate, Poisson or burstier), each request's
// timeline kept as a row, and the metrics defined as `vllm bench serve` defines them, so figures
// compare across tools. Framework-free: the server backend sends the requests and stamps each event
// with the harness's clock; what the rows mean is computed here.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/stats.h"
#include "core/tokens.h"
#include "core/json_number.h"

namespace mtb {

// --request-rate inf: every request due at once (JSON has no infinity, so a negative stands for it).
inline constexpr double kAllAtOnce = -1;

// The load of one case. concurrency 0 and request_rate 0: not a load case.
struct LoadSettings {
  int concurrency = 0;       // streams at most in flight (0: no cap, with a request rate)
  double request_rate = 0;   // requests per second of the open loop; 0: closed loop; kAllAtOnce: all at once
  double burstiness = 1;     // the gamma shape of the gaps between arrivals: 1 is Poisson, below burstier
  int num_requests = 0;      // timed requests (0: as many as --duration allows)
  double duration_s = 0;     // stop sending after this many seconds (0: none)
  int warmup_requests = 0;   // untimed requests first, one stream
  int shared_prefix = 0;     // leading prompt tokens every request shares (a prefix cache may reuse them)
  double slo_ttft_ms = 0;    // goodput counts requests within these (0: no bound)
  double slo_tpot_ms = 0;
  bool active() const { return concurrency > 0 || request_rate != 0; }
  bool open_loop() const { return request_rate != 0; }
};


struct PlannedRequest {
  double at_s = 0;            // when it is due, from the start of the timed load (open loop; 0 closed)
  std::vector<Token> prompt;  // distinct per request (seeded), but for the shared prefix
};

// The timed requests of a case: `n` prompts of `n_prompt` tokens from the vocabulary, seeded per
// request, and (open loop) their arrival offsets: gamma gaps of mean 1/rate and shape burstiness.
std::vector<PlannedRequest> plan_requests(const LoadSettings& s, int n, int n_prompt, uint64_t seed,
                                          const std::vector<Token>& vocab);

// How many timed requests a case sends: num_requests; or (duration only) enough to fill it at the
// rate, or one per 100 ms of each stream in a closed loop, the client stopping at the duration; or,
// with neither, four per stream and 16 at least.
int requests_to_plan(const LoadSettings& s);

// One request's timeline, in seconds on the harness's clock from the start of the timed load.
struct RequestRow {
  double send_s = 0;
  double first_token_s = -1;     // -1: no token came
  double end_s = 0;              // the last token, or the failure
  std::vector<double> token_s;   // each streamed message's arrival, one entry per token it carried
  int prompt_tokens = 0;
  int output_tokens = 0;
  std::string error;             // "" when it completed with every token asked for
};

// mean, median, p90 and p99 of a latency, in milliseconds.
struct Percentiles {
  int n = 0;
  double mean = 0, median = 0, p90 = 0, p99 = 0;
};

struct LoadMetrics {
  int completed = 0, failed = 0;
  nlohmann::json failures = nlohmann::json::object();  // reason -> count
  double duration_s = 0;                              // first send to last end
  double request_throughput = 0;                      // completed requests / s
  double output_throughput = 0;                       // output tokens / s
  double total_throughput = 0;                        // prompt + output tokens / s
  double goodput = 0;                                 // completed requests within the SLOs / s
  Percentiles ttft_ms, tpot_ms, itl_ms, e2e_ms;
};

// vllm's definitions: TTFT = first token - send; TPOT = (E2E - TTFT) / (output tokens - 1), for
// requests of two tokens or more; ITL = every gap between consecutive tokens; E2E = end - send;
// throughputs over the span from the first send to the last end. Failed requests are counted by
// reason and left out of the latencies.
LoadMetrics load_metrics(const std::vector<RequestRow>& rows, const LoadSettings& s);

MTB_JSON_TYPE_WITH_DEFAULT(LoadSettings, concurrency, request_rate, burstiness, num_requests,
                                                duration_s, warmup_requests, shared_prefix, slo_ttft_ms, slo_tpot_ms)
MTB_JSON_TYPE_WITH_DEFAULT(RequestRow, send_s, first_token_s, end_s, token_s, prompt_tokens,
                                                output_tokens, error)
MTB_JSON_TYPE_WITH_DEFAULT(Percentiles, n, mean, median, p90, p99)
MTB_JSON_TYPE_WITH_DEFAULT(LoadMetrics, completed, failed, failures, duration_s, request_throughput,
                                                output_throughput, total_throughput, goodput, ttft_ms, tpot_ms, itl_ms,
                                                e2e_ms)

}  // namespace mtb
