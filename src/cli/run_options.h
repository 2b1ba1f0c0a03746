// The options every suite's command has (`mtb llm`, `mtb ops`): where the run goes, what is printed,
// resume, the report, the cooldown, logs. Said once here, turned into the driver's options once.
#pragma once
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "core/suite_driver.h"

namespace mtb::cli {

struct RunOptions {
  std::string output = "table";
  std::string measurements = "measurements";
  std::string resume;
  std::string report;  // "": beside the measurement root (default_report_dir)
  bool no_report = false;
  bool verbose = false;
  double cooldown = 0;
};

// Adds -o, --measurements, --resume, --report, --no-report, -v and --cooldown (its help names the
// default the suite starts `o.cooldown` at).
void add_run_options(CLI::App& cmd, RunOptions& o);

// The command line as settings.json records it: "mtb <name>" and every option given, as name=value,
// `secret` options' values left out.
std::vector<std::string> recorded_argv(const CLI::App& cmd, const std::string& name,
                                       const std::vector<std::string>& secret = {});

// The driver's options for a new run or a resumed one; `output` and `cooldown` are checked here, before
// anything runs.
DriverOptions driver_options(const RunOptions& o, std::vector<std::string> argv);

// A resumed run sleeps its own cooldown (settings.json's benchmark_settings.cooldown), unless this
// command line names one (`given`).
void restore_cooldown(DriverOptions& d, const nlohmann::json& settings, bool given);

// A new run's machine: the hardware string naming its folder, and settings.json's hardware_info
// and software_info (merged into d.settings).
void describe_machine(DriverOptions& d);

}  // namespace mtb::cli
