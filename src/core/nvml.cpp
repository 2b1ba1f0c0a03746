#include "core/nvml.h"

#include <dlfcn.h>

namespace mtb {
namespace {

// The few NVML entry points mtb reads, declared here so no NVIDIA header is needed to build.
using nvmlReturn_t = int;
using nvmlDevice_t = void*;
struct nvmlMemory_t {
  unsigned long long total, free, used;
};
constexpr int kClockSm = 1, kClockMem = 2, kTempGpu = 0;

struct Api {
  nvmlReturn_t (*init)() = nullptr;
  nvmlReturn_t (*device_by_index)(unsigned, nvmlDevice_t*) = nullptr;
  nvmlReturn_t (*name)(nvmlDevice_t, char*, unsigned) = nullptr;
  nvmlReturn_t (*driver)(char*, unsigned) = nullptr;
  nvmlReturn_t (*memory)(nvmlDevice_t, nvmlMemory_t*) = nullptr;
  nvmlReturn_t (*clock)(nvmlDevice_t, int, unsigned*) = nullptr;
  nvmlReturn_t (*temperature)(nvmlDevice_t, int, unsigned*) = nullptr;
  nvmlReturn_t (*power)(nvmlDevice_t, unsigned*) = nullptr;
  nvmlReturn_t (*energy)(nvmlDevice_t, unsigned long long*) = nullptr;
  nvmlReturn_t (*count)(unsigned*) = nullptr;
  nvmlReturn_t (*by_bus)(const char*, nvmlDevice_t*) = nullptr;
  nvmlReturn_t (*index)(nvmlDevice_t, unsigned*) = nullptr;
  nvmlReturn_t (*p2p)(nvmlDevice_t, nvmlDevice_t, int, int*) = nullptr;
  nvmlReturn_t (*ancestor)(nvmlDevice_t, nvmlDevice_t, int*) = nullptr;
};
constexpr int kP2pCapsNvlink = 2, kP2pStatusOk = 0;  // NVML_P2P_CAPS_INDEX_NVLINK, NVML_P2P_STATUS_OK
Api g_api;

template <typename F>
bool bind(void* lib, const char* sym, F& f) {
  f = reinterpret_cast<F>(dlsym(lib, sym));
  return f != nullptr;
}

}  // namespace

Nvml& Nvml::get() {
  static Nvml instance;
  return instance;
}

Nvml::Nvml() {
  for (const char* name : {"libnvidia-ml.so.1", "libnvidia-ml.so"}) {
    lib_ = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (lib_) break;
  }
  if (!lib_) return;
  Api& a = g_api;
  const bool bound = bind(lib_, "nvmlInit_v2", a.init) && bind(lib_, "nvmlDeviceGetHandleByIndex_v2", a.device_by_index) &&
                     bind(lib_, "nvmlDeviceGetName", a.name) && bind(lib_, "nvmlSystemGetDriverVersion", a.driver) &&
                     bind(lib_, "nvmlDeviceGetMemoryInfo", a.memory) && bind(lib_, "nvmlDeviceGetClockInfo", a.clock) &&
                     bind(lib_, "nvmlDeviceGetTemperature", a.temperature) && bind(lib_, "nvmlDeviceGetPowerUsage", a.power);
  bind(lib_, "nvmlDeviceGetTotalEnergyConsumption", a.energy);  // optional: older GPUs lack it
  // Optional too: what a case over several GPUs reads (index_of, link).
  bind(lib_, "nvmlDeviceGetCount_v2", a.count);
  bind(lib_, "nvmlDeviceGetHandleByPciBusId_v2", a.by_bus);
  bind(lib_, "nvmlDeviceGetIndex", a.index);
  bind(lib_, "nvmlDeviceGetP2PStatus", a.p2p);
  bind(lib_, "nvmlDeviceGetTopologyCommonAncestor", a.ancestor);
  ok_ = bound && a.init() == 0;
  nvmlDevice_t dev = nullptr;
  ok_ = ok_ && a.device_by_index(0, &dev) == 0;
}

std::optional<GpuSnapshot> Nvml::snapshot(unsigned index) const {
  if (!ok_) return std::nullopt;
  const Api& a = g_api;
  nvmlDevice_t dev = nullptr;
  if (a.device_by_index(index, &dev) != 0) return std::nullopt;
  GpuSnapshot s;
  char buf[128] = {};
  if (a.name(dev, buf, sizeof buf) == 0) s.name = buf;
  if (a.driver(buf, sizeof buf) == 0) s.driver = buf;
  nvmlMemory_t mem{};
  if (a.memory(dev, &mem) == 0) {
    s.memory_total = mem.total;
    s.memory_used = mem.used;
  }
  a.clock(dev, kClockSm, &s.sm_clock_mhz);
  a.clock(dev, kClockMem, &s.mem_clock_mhz);
  a.temperature(dev, kTempGpu, &s.temperature_c);
  unsigned mw = 0;
  if (a.power(dev, &mw) == 0) s.power_w = mw / 1000.0;
  unsigned long long mj = 0;
  if (a.energy && a.energy(dev, &mj) == 0) s.energy_mj = mj;
  return s;
}

unsigned Nvml::count() const {
  unsigned n = 0;
  if (!ok_ || !g_api.count || g_api.count(&n) != 0) return ok_ ? 1 : 0;  // index 0 answered at start
  return n;
}

std::optional<unsigned> Nvml::index_of(const std::string& pci_bus_id) const {
  nvmlDevice_t dev = nullptr;
  unsigned i = 0;
  if (!ok_ || !g_api.by_bus || !g_api.index || g_api.by_bus(pci_bus_id.c_str(), &dev) != 0 || g_api.index(dev, &i) != 0)
    return std::nullopt;
  return i;
}

std::string Nvml::link(unsigned a, unsigned b) const {
  const Api& api = g_api;
  nvmlDevice_t da = nullptr, db = nullptr;
  if (!ok_ || api.device_by_index(a, &da) != 0 || api.device_by_index(b, &db) != 0) return "";
  int status = -1;
  if (api.p2p && api.p2p(da, db, kP2pCapsNvlink, &status) == 0 && status == kP2pStatusOk) return "NVLink";
  int level = -1;  // nvmlGpuTopologyLevel_t
  if (!api.ancestor || api.ancestor(da, db, &level) != 0) return "";
  switch (level) {
    case 0: return "same board";
    case 10: return "PCIe, one switch (PIX)";
    case 20: return "PCIe, several switches (PXB)";
    case 30: return "PCIe, a host bridge (PHB)";
    case 40: return "PCIe, one NUMA node (NODE)";
    case 50: return "PCIe, across NUMA nodes (SYS)";
    default: return "";
  }
}

nlohmann::json to_json(const GpuSnapshot& s) {
  return {{"name", s.name},           {"driver", s.driver},
          {"memory_total", s.memory_total}, {"memory_used", s.memory_used},
          {"sm_clock_mhz", s.sm_clock_mhz}, {"mem_clock_mhz", s.mem_clock_mhz},
          {"temperature_c", s.temperature_c}, {"power_w", s.power_w}};
}

}  // namespace mtb
