// The child side of `mtb llm`: a worker's cases (one model on one backend and device, each with its
// model file), run in order through the harness, which keeps the weights loaded across cases of the
// same file.
#pragma once
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "core/worker_protocol.h"
#include "llm/backend.h"

namespace mtb {

// `options`: each backend's run settings by name (WorkerRequest::options); `find`: the registry.
std::unique_ptr<SuiteWorker> make_llm_worker(const nlohmann::json& options,
                                             std::function<LlmBackend*(const std::string& name)> find);

}  // namespace mtb
