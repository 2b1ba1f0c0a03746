#include "cli/run_context.h"

#include <fmt/format.h>

#include <set>

#include "build_info.h"

namespace mtb::cli {

MachineContext machine_context() {
  MachineContext m;
  m.host = host_info();
  std::set<std::string> seen;
  std::vector<std::string> gpus;
  for (const auto& b : llm_backends())
    for (const auto& d : b->devices()) {
      m.devices.push_back(d);
      // One GPU can be listed by several backends: name it once in the hardware string.
      if (d.name != "cpu" && seen.insert(d.description).second) gpus.push_back(d.description);
    }
  m.hardware = hardware_string(m.host, gpus);
  return m;
}

nlohmann::json hardware_info_json(const MachineContext& m) {
  nlohmann::json devices = nlohmann::json::array();
  for (const auto& d : m.devices)
    devices.push_back({{"backend", d.backend}, {"device", d.name}, {"description", d.description},
                       {"memory_total", d.memory_total}, {"memory_free", d.memory_free}});
  return {// the ancestor's keys
          {"processor", m.host.arch},
          {"chip", m.host.cpu_model},
          {"memory", std::to_string((m.host.memory_bytes + (1ull << 29)) >> 30)},
          {"total_cores", std::to_string(m.host.logical_cores)},
          {"performance_cores", std::to_string(m.host.performance_cores)},
          {"efficiency_cores", std::to_string(m.host.efficiency_cores)},
          {"hardware_string", m.hardware},
          // mtb's
          {"host", to_json(m.host)},
          {"devices", devices}};
}

nlohmann::json software_info_json() {
  nlohmann::json backends = nlohmann::json::object();
  for (const auto& b : llm_backends()) backends[b->name()] = b->version();
  const HostInfo h = host_info();
  return {{"platform", fmt::format("{} {} {}", h.os, h.kernel, h.arch)},
          {"mtb_version", build::kVersion},
          {"mtb_commit", build::kCommit},
          {"llamacpp_commit", build::kLlamaCppCommit},
          {"compiler", build::kCompiler},
          {"build_type", build::kBuildType},
          {"backends", backends}};
}

}  // namespace mtb::cli
