#include "backends/mlx/mlx_device.h"

#include <dlfcn.h>
#include <fmt/format.h>

#include <algorithm>

#include "core/system_info.h"

namespace mtb::mlx_backend {
namespace mx = mlx::core;

std::optional<mx::Device> mlx_device(const std::string& name, std::string* why) {
  if (name == "cpu") {
    if (mx::is_available(mx::Device::cpu)) return mx::Device(mx::Device::cpu);
    *why = "this MLX was built without its CPU backend (MLX_BUILD_CPU=OFF)";
    return std::nullopt;
  }
  const bool built = name == "metal" ? mx::metal::is_available() : name == "cuda" ? mx::cu::is_available() : false;
  if (name != "metal" && name != "cuda") {
    *why = fmt::format("mlx backend: unknown device '{}' (cpu, metal, cuda)", name);
    return std::nullopt;
  }
  if (!built || !mx::is_available(mx::Device::gpu)) {
    *why = fmt::format("this MLX ({}) has no {} GPU backend (built without it, or no device found)", mx::version(), name);
    return std::nullopt;
  }
  return mx::Device(mx::Device::gpu);
}

std::string mlx_device_name(const mx::Device& d) {
  try {
    const auto& info = mx::device_info(d);
    if (auto it = info.find("device_name"); it != info.end())
      if (const auto* s = std::get_if<std::string>(&it->second)) return *s;
  } catch (const std::exception&) {  // a backend without device_info: the caller falls back
  }
  return {};
}

int set_cpu_threads(int requested) {
  const int n = requested > 0 ? requested : default_cpu_threads();
  // Looked up, not linked: a build against Accelerate needs nothing, and OpenBLAS is in the process
  // already as MLX's dependency.
  using SetThreads = void (*)(int);
  if (auto f = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) {
    f(n);
    return n;
  }
  return 0;
}

std::vector<DeviceInfo> mlx_devices(const std::string& backend) {
  std::vector<DeviceInfo> out;
  std::string why;
  for (const char* dev : {"cpu", "metal", "cuda"})
    if (auto d = mlx_device(dev, &why))
      out.push_back({backend, dev, *d == mlx::core::Device::cpu ? host_info().cpu_model : mlx_device_name(*d), 0, 0});
  return out;
}

}  // namespace mtb::mlx_backend
