// This machine's ceilings, measured once per device and cached: memory bandwidth (a large
// device-to-device copy, bytes read + written) and matrix-multiply throughput. Records compare
// achieved rates against them (% of roofline).
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/clock.h"

namespace mtb {

// Work a backend prepares on a device; each call returns when the device has finished.
struct CalibrationKernels {
  std::string device_description;  // names the cache entry, e.g. "NVIDIA H100 80GB HBM3"
  std::function<void()> copy;
  uint64_t copy_bytes = 0;  // read + written by one copy()
  std::function<void()> matmul;
  double matmul_flops = 0;  // per matmul() call
  std::string matmul_desc;  // "f16 x f32 8192^3"
};

struct Calibration {
  std::string device, description, matmul_desc, measured_at;
  double bandwidth_gbs = 0;
  double matmul_tflops = 0;
};

// Times the kernels (warm-up, then repetitions; the median) and returns the ceilings.
Calibration measure_calibration(const std::string& device, const CalibrationKernels& k,
                                const Clock& clock = steady_clock());

// The cache: one JSON file, entries keyed by device description. A damaged file or entry is never
// used: load_calibration finds nothing, save_calibration replaces it.
std::optional<Calibration> load_calibration(const std::filesystem::path& file, const std::string& description);
void save_calibration(const std::filesystem::path& file, const Calibration& c);
// Why the cache cannot be used ("" when it is absent or sound): what a run warns of, once.
std::string calibration_file_problem(const std::filesystem::path& file);

nlohmann::json to_json(const Calibration& c);

}  // namespace mtb
