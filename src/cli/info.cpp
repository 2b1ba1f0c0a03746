// `mtb info`: this machine (CPU, cores, SIMD, memory, devices) and what this build can run.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "build_info.h"
#include "cli/commands.h"
#include "cli/run_context.h"
#include "core/printers.h"
#include "models/model_store.h"

namespace mtb::cli {
namespace {

int print_info(bool json) {
  const MachineContext m = machine_context();
  if (json) {
    fmt::print("{}\n", nlohmann::json{{"hardware_info", hardware_info_json(m)}, {"software_info", software_info_json()},
                                      {"cache_dir", cache_dir().string()}}
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
               d.memory_total ? fmt::format(" ({} total, {} free)", format_bytes(d.memory_total), format_bytes(d.memory_free))
                              : "");
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
  auto* cmd = app.add_subcommand("info", "Show this machine (CPU, SIMD, memory, GPUs) and the backends compiled in.");
  cmd->add_flag("--json", *json, "print as JSON");
  cmd->callback([json] { exit_code() = print_info(*json); });
}

}  // namespace mtb::cli
