#include "backends/torch/torch_device.h"

#include <fmt/format.h>

#include "backends/torch/torch_compat.h"
#include "core/system_info.h"
#if MTB_TORCH_HAS_CUDA_GRAPH
#include <ATen/cuda/CUDAContext.h>
#endif

namespace mtb::torch_backend {

at::Device torch_device(const std::string& d) {
  if (d == "cpu") return at::kCPU;
  if (d == "cuda") return at::Device(at::kCUDA, 0);
  if (d == "metal") return at::kMPS;
  throw Unsupported(fmt::format("torch backend: unknown device '{}'", d));
}

bool device_available(const std::string& d) {
  if (d == "cpu") return true;
  if (d == "cuda") return at::hasCUDA();
  if (d == "metal") return at::hasMPS();
  return false;
}

int gpu_count(const std::string& d) {
#if MTB_TORCH_HAS_CUDA_GRAPH
  if (d == "cuda") return at::hasCUDA() ? static_cast<int>(c10::cuda::device_count()) : 0;
#endif
  return d == "metal" && at::hasMPS() ? 1 : 0;
}

std::vector<std::string> gpu_bus_ids(const std::string& d) {
#if MTB_TORCH_HAS_CUDA_GRAPH
  if (d == "cuda" && at::hasCUDA()) {
    const auto* prop = at::cuda::getDeviceProperties(0);
    return {fmt::format("{:04x}:{:02x}:{:02x}.0", prop->pciDomainID, prop->pciBusID, prop->pciDeviceID)};
  }
#endif
  (void)d;
  return {};
}

std::vector<DeviceInfo> torch_devices(const std::string& backend, bool with_mps) {
  std::vector<DeviceInfo> out;
  out.push_back({backend, "cpu", host_info().cpu_model, 0, 0});
#if MTB_TORCH_HAS_CUDA_GRAPH
  if (at::hasCUDA()) {
    const auto* prop = at::cuda::getDeviceProperties(0);
    out.push_back({backend, "cuda", prop->name, static_cast<uint64_t>(prop->totalGlobalMem), 0});
  }
#endif
  if (with_mps && at::hasMPS()) out.push_back({backend, "metal", "Apple GPU (MPS)", 0, 0});
  return out;
}

}  // namespace mtb::torch_backend
