// Shared between the llama.cpp backend's files; nothing outside this folder includes it.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "core/calibration.h"
#include "ggml-backend.h"

namespace mtb {

// ggml devices of one mtb kind ("cuda", "metal").
std::vector<ggml_backend_dev_t> gpu_devices(const std::string& kind);
std::optional<CalibrationKernels> ggml_calibration_kernels(const std::string& device, int threads);

}  // namespace mtb
