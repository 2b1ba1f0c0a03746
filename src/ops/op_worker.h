// The child side of `mtb ops`: one case through the op harness.
#pragma once
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/calibration.h"
#include "core/worker_protocol.h"
#include "ops/op_backend.h"

namespace mtb::ops {

// `options`: {reference_cache} (WorkerRequest::options); `find`: the registry; `calibration`: the
// device's ceilings from `mtb info --calibrate`, if measured.
std::unique_ptr<SuiteWorker> make_op_worker(const nlohmann::json& options,
                                            std::function<OpBackend*(const std::string& name)> find,
                                            std::function<std::optional<Calibration>(const std::string& device)> calibration);

}  // namespace mtb::ops
