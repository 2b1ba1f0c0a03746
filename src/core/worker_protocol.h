// What a suite driver sends a worker process (`mtb __worker`) on its stdin, and what comes back: one
// typed request for every suite. Back come records, one JSON line each on kResultFd (core/worker.h),
// written the moment each case is measured.
#pragma once
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace mtb {

struct WorkerRequest {
  std::string suite;                   // whose cases these are: "llm", "ops"
  std::vector<nlohmann::json> cases;   // the suite's case items, run in this order
  double cooldown = 0;                 // pause this fraction of each case's time after it
  bool cool_after_last = true;         // false when the last case is the plan's last: nothing follows
  nlohmann::json options = nlohmann::json::object();  // the suite's run settings (a server's URL, a cache)
};

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(WorkerRequest, suite, cases, cooldown, cool_after_last, options)

// The child side of a suite: measures one case item into its record (as JSON). One object serves a
// whole request, so it may keep state between cases (the LLM suite keeps a model loaded). Expected
// failures come back as failed or skipped records, not exceptions.
class SuiteWorker {
 public:
  virtual ~SuiteWorker() = default;
  virtual nlohmann::json run(const nlohmann::json& item) = 0;
};

// Runs the request's cases in order through `worker`, writing each record on kResultFd as soon as it
// is measured and pausing `cooldown` x the case's wall time (its record's wall_s) after it: the one
// cooldown of every suite. Returns the worker's exit code.
int serve_worker_request(const WorkerRequest& req, SuiteWorker& worker);

}  // namespace mtb
