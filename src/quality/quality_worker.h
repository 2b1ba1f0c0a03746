// The child side of `mtb quality` (core/worker_protocol.h): one case per worker. The reference case
// runs its model over every window and stores the scored positions' log-probabilities
// (quality/reference_log_probs.h); a candidate runs its model over the same windows and scores each
// position against the stored reference as it goes (quality/kl_divergence.h).
#pragma once
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "core/worker_protocol.h"
#include "llm/backend.h"

namespace mtb {

// `options`: the request's, whose "run_dir" holds the reference files.
std::unique_ptr<SuiteWorker> make_quality_worker(const nlohmann::json& options,
                                                 std::function<LlmBackend*(const std::string& name)> find);

}  // namespace mtb
