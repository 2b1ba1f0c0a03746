// One plan over many machines, for every suite's command (`mtb llm`, `mtb ops`, `mtb quality`):
// `--plan-out F` writes the expanded plan with every setting and runs nothing; `--plan F --shard K/N`
// runs shard K of N of it (core/shard.h) into a run folder of its own, found again and resumed when the
// shard is started again. The plan is named by the SHA-256 of its canonical JSON.
#pragma once
#include <CLI/CLI.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/suite_driver.h"

namespace mtb::cli {

// A plan file as --plan-out wrote it.
struct PlanFile {
  std::filesystem::path path;
  std::string suite;  // "llm", "ops", "quality": the command that runs it
  std::string kind;   // the run store's folder: "llm_benchmarks" ...
  std::string hash;   // SHA-256 of the canonical JSON of everything in the file but the hash
  nlohmann::json settings;  // the suite's part of settings.json: plan.axes, plan.cases, its run settings
  std::vector<std::string> keys, labels, units;  // per case, in plan order
};

PlanFile read_plan_file(const std::filesystem::path& path);  // throws naming the file: unreadable, not a plan, edited

struct PlanOptions {
  std::string out, in, shard;      // --plan-out, --plan, --shard
  bool cooldown_given = false;     // --cooldown on this command line overrides the plan's
  std::optional<PlanFile> file;    // --plan, read by check_plan_options
};

void add_plan_options(CLI::App& cmd, PlanOptions& o);

// Before anything runs: --shard needs --plan; --plan-out goes with neither --resume, --plan nor --shard;
// with --plan the plan's own settings hold, so every option given but `allowed` (long names) is
// refused, named; the plan file is read and must be one of `suite`.
void check_plan_options(const CLI::App& cmd, PlanOptions& o, const std::string& suite, std::vector<std::string> allowed);

// Options a shard's command takes beside the plan: where it goes and what it prints.
inline const std::vector<std::string> kPlanRunOptions = {"plan",      "shard",   "measurements", "output",
                                                         "report",    "no-report", "verbose",    "cooldown"};

// The suite's command once its suite and settings (d.settings: the suite's part) are known: with
// --plan-out writes the plan and returns 0; with --plan runs the shard (its folder under
// d.measurements resumed when one exists on this hardware); else runs `resumed` or a new run.
int run_planned(const Suite& s, std::optional<RunStore> resumed, DriverOptions d, const PlanOptions& p);

// Every run folder under `root` that is a shard of the plan `hash`, in name order.
std::vector<std::filesystem::path> shard_runs(const std::filesystem::path& root, const std::string& kind,
                                              const std::string& hash);

}  // namespace mtb::cli
