// mtb's device names (-d cpu|cuda|metal) as libtorch devices: one place for the LLM and op backends.
#pragma once
#include <ATen/ATen.h>

#include <string>
#include <vector>

#include "llm/backend.h"

namespace mtb::torch_backend {

at::Device torch_device(const std::string& device);  // throws Unsupported for an unknown name
bool device_available(const std::string& device);     // this libtorch has it, and it is here
int gpu_count(const std::string& device);              // GPUs of the kind visible here (metal: 1)
// The PCI bus id of the GPU torch_device() names ("0000:c1:00.0"), for NVML; empty where unknown.
std::vector<std::string> gpu_bus_ids(const std::string& device);
// The devices this build can run on, reported as `backend`; `with_mps` adds Apple's GPU where present.
std::vector<DeviceInfo> torch_devices(const std::string& backend, bool with_mps);

}  // namespace mtb::torch_backend
