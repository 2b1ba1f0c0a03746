// What machine this is: CPU, cores, SIMD, memory, OS. Devices (GPUs) come from the backends.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace mtb {

struct HostInfo {
  std::string cpu_model;          // "AMD EPYC 9B14", "Apple M4 Pro"
  int logical_cores = 0;
  int physical_cores = 0;
  int performance_cores = 0;      // Apple silicon P/E split (0 elsewhere)
  int efficiency_cores = 0;
  std::vector<std::string> simd;  // avx2, avx512f, neon, ...
  uint64_t memory_bytes = 0;
  std::string os;                 // "Debian GNU/Linux 12 (bookworm)", "macOS 15.1"
  std::string kernel;
  std::string arch;               // x86_64, arm64
};

HostInfo host_info();

// Memory a new process could take now without swapping: MemAvailable on Linux, the total elsewhere.
uint64_t available_host_memory();

// CPU threads a backend uses when none are asked for (-threads 0), as llama-bench counts them: the
// performance cores (Apple silicon), else the physical cores; at least 1.
int default_cpu_threads();

// The ancestor's hardware string, extended to Linux: CPU model, cores, GPUs, memory.
// Apple_M4_Pro_10P+4E+20GPU_24GB, AMD_EPYC_9B14_2C_24GB, Intel_Xeon_8480_16C_NVIDIA_H100_80GB_HBM3_128GB.
std::string hardware_string(const HostInfo& h, const std::vector<std::string>& gpu_names);

nlohmann::json to_json(const HostInfo& h);

}  // namespace mtb
