// NVIDIA's management library, loaded at run time (dlopen): GPU name, driver, clocks, temperature,
// memory, power and the energy counter. Absent library or GPU is fine: every call then reports
// nothing, and builds without CUDA need no NVIDIA headers or libraries.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace mtb {

struct GpuSnapshot {
  std::string name, driver;
  uint64_t memory_total = 0, memory_used = 0;
  unsigned sm_clock_mhz = 0, mem_clock_mhz = 0, temperature_c = 0;
  double power_w = 0;
  uint64_t energy_mj = 0;  // total energy since the driver loaded, millijoules (Volta and later)
};

class Nvml {
 public:
  // The process-wide instance; `available()` is false where there is no NVML or no GPU.
  static Nvml& get();
  bool available() const { return ok_; }
  std::optional<GpuSnapshot> snapshot(unsigned index = 0) const;
  unsigned count() const;  // GPUs NVML sees (0 where unavailable)
  // NVML's index of the GPU at a PCI bus id ("0000:c1:00.0", as CUDA and ggml give it): CUDA's
  // order and NVML's may differ, the bus id is the same.
  std::optional<unsigned> index_of(const std::string& pci_bus_id) const;
  // How two GPUs reach each other, in nvidia-smi topo's terms: "NVLink", or PCIe through one switch
  // (PIX), several switches (PXB), a host bridge (PHB), a NUMA node (NODE) or across nodes (SYS);
  // "" where NVML cannot say.
  std::string link(unsigned a, unsigned b) const;

 private:
  Nvml();
  bool ok_ = false;
  void* lib_ = nullptr;
};

nlohmann::json to_json(const GpuSnapshot& s);

}  // namespace mtb
