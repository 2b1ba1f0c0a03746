// What a suite driver sends a worker process (`mtb __worker`) on its stdin, and what comes back: one
// typed request for every suite. Back come records, one JSON line each on kResultFd (core/worker.h),
// written the moment each case is measured.
#pragma once
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>
#include "core/json_number.h"

namespace mtb {

struct WorkerRequest {
  std::string suite;                   // whose cases these are: "llm", "ops"
  std::vector<nlohmann::json> cases;   // the suite's case items, run in this order
  double cooldown = 0;                 // pause this fraction of each case's time after it
  bool cool_after_last = true;         // false when the last case is the plan's last: nothing follows
  nlohmann::json options = nlohmann::json::object();  // the suite's run settings (a server's URL, a cache)
};

MTB_JSON_TYPE_WITH_DEFAULT(WorkerRequest, suite, cases, cooldown, cool_after_last, options)

// The child side of a suite: measures one case item into its record (as JSON). One object serves a
// whole request, so it may keep state between cases (the LLM suite keeps a model loaded). Expected
// failures come back as failed or skipped records, not exceptions.
class SuiteWorker {
 public:
  virtual ~SuiteWorker() = default;
  virtual nlohmann::json run(const nlohmann::json& item) = 0;
  // True after a case that leaves the process unfit for the next (an allocation failed: what the
  // failed case held may not come back to the heap). The worker then ends, and the driver gives the
  // cases left a fresh process.
  virtual bool retire() const { return false; }
};

// The exit code of a worker that retired after a recorded case, its group unfinished.
inline constexpr int kWorkerRetiredExit = 75;

// Runs the request's cases in order through `worker`, writing each record on kResultFd as soon as it
// is measured and pausing `cooldown` x the case's wall time (its record's wall_s) after it: the one
// cooldown of every suite. Returns the worker's exit code (kWorkerRetiredExit when it retired early).
int serve_worker_request(const WorkerRequest& req, SuiteWorker& worker);

}  // namespace mtb
