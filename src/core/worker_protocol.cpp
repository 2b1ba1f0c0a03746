#include "core/worker_protocol.h"

#include <chrono>
#include <thread>

#include "core/worker.h"

namespace mtb {

int serve_worker_request(const WorkerRequest& req, SuiteWorker& worker) {
  for (size_t i = 0; i < req.cases.size(); ++i) {
    const nlohmann::json record = worker.run(req.cases[i]);
    write_worker_result(record.dump() + "\n");
    // mlx_transformers_benchmark's pause between cases (its default 0.05 of the case's time), so one
    // case's heat does not slow the next.
    const double wall_s = record.value("wall_s", 0.0);
    const bool last = i + 1 == req.cases.size();
    if (req.cooldown > 0 && wall_s > 0 && (!last || req.cool_after_last))
      std::this_thread::sleep_for(std::chrono::duration<double>(req.cooldown * wall_s));
    if (!last && worker.retire()) return kWorkerRetiredExit;
  }
  return 0;
}

}  // namespace mtb
