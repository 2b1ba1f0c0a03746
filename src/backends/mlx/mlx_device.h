// mtb's -d values as MLX devices: cpu is MLX's CPU; metal and cuda are both MLX's one `gpu`,
// available when this MLX was built with that GPU backend and a device is present.
#pragma once
#include <mlx/mlx.h>

#include <optional>
#include <string>
#include <vector>

#include "llm/backend.h"

namespace mtb::mlx_backend {

// The MLX device for `name`, or nullopt with `why` set (unknown name, backend not built, no device).
std::optional<mlx::core::Device> mlx_device(const std::string& name, std::string* why);

// A readable name of the device ("Apple M3 Max", "NVIDIA H100 ..."), empty when MLX gives none.
std::string mlx_device_name(const mlx::core::Device& d);

// The devices this MLX can run on here, reported as `backend` (the LLM and op backends alike).
std::vector<DeviceInfo> mlx_devices(const std::string& backend);

// MLX's CPU matrix products run in the BLAS it links (OpenBLAS on Linux, Accelerate on a Mac), which
// keeps its own thread pool. Sets OpenBLAS's count to `requested` (0: the physical cores) and
// returns it, or returns 0 when the BLAS offers no such knob.
int set_cpu_threads(int requested);

}  // namespace mtb::mlx_backend
