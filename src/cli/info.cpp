// `mtb info`: this machine (CPU, cores, SIMD, memory, devices) and what this build can run.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <set>

#include "build_info.h"
#include "cli/commands.h"
#include "cli/run_context.h"
#include "core/calibration.h"
#include "core/nvml.h"
#include "core/text_table.h"
#include "models/model_store.h"

namespace mtb::cli {
namespace {

// Measures each device's ceilings with the first backend that offers calibration kernels, and
// caches them for the roofline columns of later runs.
std::vector<Calibration> calibrate(const MachineContext& m) {
  std::vector<Calibration> out;
  std::set<std::string> done;
  for (const auto& d : m.devices) {
    if (done.count(d.description)) continue;
    LlmBackend* b = find_llm_backend(d.backend);
    auto kernels = b ? b->calibration_kernels(d.name) : std::nullopt;
    if (!kernels) continue;
    fmt::print(stderr, "calibrating {} ({}): copy and matmul ...\n", d.name, d.description);
    const Calibration c = measure_calibration(d.name, *kernels);
    save_calibration(calibration_file(), c);
    done.insert(d.description);
    out.push_back(c);
  }
  return out;
}

int print_info(bool json, bool do_calibrate) {
  const MachineContext m = machine_context();
  if (do_calibrate) calibrate(m);
  nlohmann::json cals = nlohmann::json::array();
  std::set<std::string> seen;  // one device can be listed by several backends
  for (const auto& d : m.devices)
    if (seen.insert(d.description).second)
      if (auto c = load_calibration(calibration_file(), d.description)) cals.push_back(to_json(*c));
  if (json) {
    fmt::print("{}\n", nlohmann::json{{"hardware_info", hardware_info_json(m)}, {"software_info", software_info_json()},
                                      {"calibration", cals}, {"cache_dir", cache_dir().string()}}
                           .dump(2));
    return 0;
  }
  const HostInfo& h = m.host;
  fmt::print("hardware   {}\n", m.hardware);
  fmt::print("cpu        {} ({})\n", h.cpu_model, h.arch);
  if (h.performance_cores)
    fmt::print("cores      {} logical, {} performance + {} efficiency\n", h.logical_cores, h.performance_cores,
               h.efficiency_cores);
  else
    fmt::print("cores      {} logical, {} physical\n", h.logical_cores, h.physical_cores);
  fmt::print("simd       {}\n", fmt::join(h.simd, " "));
  fmt::print("memory     {}\n", format_bytes(h.memory_bytes));
  fmt::print("os         {} (kernel {})\n", h.os, h.kernel);
  fmt::print("devices\n");
  for (const auto& d : m.devices)
    fmt::print("  {:<6} {:<9} {}{}\n", d.name, d.backend, d.description,
               d.memory_total && d.memory_free ? fmt::format(" ({} total, {} free)", format_bytes(d.memory_total), format_bytes(d.memory_free))
               : d.memory_total ? fmt::format(" ({} total)", format_bytes(d.memory_total))  // free unknown (torch asks no driver)
                              : "");
  if (auto g = Nvml::get().snapshot())
    fmt::print("gpu        {}, driver {}, {} C, SM {} MHz, memory {} MHz, {:.0f} W\n", g->name, g->driver, g->temperature_c,
               g->sm_clock_mhz, g->mem_clock_mhz, g->power_w);
  for (const auto& c : cals)
    fmt::print("ceilings   {:<6} {:.1f} GB/s copy (read + write), {:.2f} TFLOP/s {} (measured {})\n",
               c["device"].get<std::string>(), c["bandwidth_gbs"].get<double>(), c["matmul_tflops"].get<double>(),
               c["matmul"].get<std::string>(), c["measured_at"].get<std::string>());
  if (cals.empty()) fmt::print("ceilings   not measured: `mtb info --calibrate` (adds % of roofline to records)\n");
  fmt::print("backends\n");
  for (const auto& b : llm_backends()) fmt::print("  {:<9} {}\n", b->name(), b->version());
  fmt::print("mtb        {} ({}, {}, {})\n", build::kVersion, build::kCommit, build::kCompiler, build::kBuildType);
  fmt::print("llama.cpp  {}\n", build::kLlamaCppCommit);
  fmt::print("cache      {}\n", cache_dir().string());
  return 0;
}

}  // namespace

void add_info(CLI::App& app) {
  auto json = std::make_shared<bool>(false);
  auto cal = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("info", "Show this machine (CPU, SIMD, memory, GPUs) and the backends compiled in.");
  cmd->add_flag("--json", *json, "print as JSON");
  cmd->add_flag("--calibrate", *cal,
                "measure each device's memory bandwidth (large copy) and matmul peak, and cache them; runs then "
                "report % of these ceilings");
  cmd->callback([json, cal] { exit_code() = print_info(*json, *cal); });
}

}  // namespace mtb::cli
