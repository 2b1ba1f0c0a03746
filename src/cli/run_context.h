// The settings.json of a run: the ancestor's keys (datetime, benchmark_settings, hardware_info,
// software_info) plus mtb's (commits, backends, devices, the full plan).
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "llm/backend.h"
#include "core/system_info.h"

namespace mtb::cli {

struct MachineContext {
  HostInfo host;
  std::vector<DeviceInfo> devices;  // from every compiled-in backend
  std::string hardware;             // the hardware string naming the run folder
};

MachineContext machine_context();
nlohmann::json hardware_info_json(const MachineContext& m);
nlohmann::json software_info_json();

}  // namespace mtb::cli
