#include "cli/run_options.h"

#include <fmt/format.h>

#include <algorithm>

#include "cli/commands.h"
#include "cli/option_checks.h"
#include "cli/run_context.h"
#include "core/calibration.h"
#include "models/model_store.h"

namespace mtb::cli {

void add_run_options(CLI::App& cmd, RunOptions& o) {
  cmd.add_option("--cooldown", o.cooldown,
                 "sleep this fraction of each case's time after it (mlx_transformers_benchmark slept 0.05)")
      ->capture_default_str();
  cmd.add_option("-o,--output", o.output, "printed at the end: table, csv, json, jsonl, md")->capture_default_str();
  cmd.add_option("--measurements", o.measurements, "root of the run store")->capture_default_str();
  cmd.add_option("--resume", o.resume, "finish an interrupted run folder: runs only its missing cases");
  cmd.add_option("--report", o.report,
                 "write the HTML report of the measurement root here at the end (default: site for the root "
                 "'measurements', <root>-site beside any other)");
  cmd.add_flag("--no-report", o.no_report, "do not write the report at the end");
  cmd.add_flag("-v,--verbose", o.verbose, "show the workers' and frameworks' logs");
}

std::vector<std::string> recorded_argv(const CLI::App& cmd, const std::string& name, const std::vector<std::string>& secret) {
  std::vector<std::string> argv{"mtb", name};
  for (const auto* opt : cmd.get_options()) {
    const bool hidden = std::any_of(secret.begin(), secret.end(), [&](const std::string& s) { return opt->check_lname(s); });
    for (const auto& v : opt->results()) argv.push_back(opt->get_name() + "=" + (hidden ? std::string("(not recorded)") : v));
  }
  return argv;
}

DriverOptions driver_options(const RunOptions& o, std::vector<std::string> argv) {
  DriverOptions d;
  d.output = parse_output_format(o.output);  // a bad -o fails before anything runs
  check_range(o.cooldown, 0, 100, "--cooldown", "a fraction of each case's time");
  d.measurements = o.measurements;
  d.argv = std::move(argv);
  d.verbose = o.verbose;
  d.cooldown = o.cooldown;
  if (!o.no_report) d.report = [out = o.report](const std::filesystem::path& dir) { report_after_run(dir, out); };
  return d;
}

void restore_cooldown(DriverOptions& d, const nlohmann::json& settings, bool given) {
  if (given) return;
  const auto& b = settings.value("benchmark_settings", nlohmann::json::object());
  if (b.contains("cooldown") && b["cooldown"].is_number()) d.cooldown = b["cooldown"].get<double>();
}

void describe_machine(DriverOptions& d) {
  // Every case ignores a damaged calibration cache (no % of the ceilings); said once, here.
  if (const std::string why = calibration_file_problem(calibration_file()); !why.empty())
    fmt::print(stderr, "warning: {}: {}; it is ignored (`mtb info --calibrate` measures the ceilings again)\n",
               calibration_file().string(), why);
  const MachineContext m = machine_context();
  d.hardware = m.hardware;
  d.settings["hardware_info"] = hardware_info_json(m);
  d.settings["software_info"] = software_info_json();
}

}  // namespace mtb::cli
