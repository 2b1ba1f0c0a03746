// `mtb plan-status PLAN [ROOTS]`: which cases of a plan are done, failed or missing across every run
// folder of its shards (settings.json's shard.plan_hash), so the job after a job array can say what is
// left to resubmit. A case recorded twice (a retried task) counts once: the newest record.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "cli/commands.h"
#include "cli/plan_file.h"
#include "core/shard.h"
#include "core/text_table.h"
#include "llm/record.h"
#include "ops/op_record.h"
#include "quality/quality_record.h"

namespace mtb::cli {
namespace fs = std::filesystem;
namespace {

struct StatusOptions {
  std::string plan;
  std::vector<std::string> roots{"measurements"};
  int shards = 0;  // 0: the N the shards' folders name
};

// A stored record's case key, as its suite's resume keys it.
std::string key_of(const std::string& suite, const nlohmann::json& r) {
  if (suite == "llm") return r.get<CaseSpec>().key();
  if (suite == "ops") return r.get<ops::OpCase>().key();
  if (suite == "quality") return r.get<QualityCase>().key();
  throw std::runtime_error(fmt::format("a plan of an unknown suite '{}'", suite));
}

struct Kept {
  std::string status, error, started_at;
};

struct ShardRow {
  std::vector<std::string> folders;
  std::set<std::string> hosts;
};

int plan_status(const StatusOptions& o) {
  const PlanFile plan = read_plan_file(o.plan);
  std::map<std::string, Kept> newest;       // case key -> its newest record
  std::map<std::pair<int, int>, ShardRow> shards;  // (N, K) -> its folders
  size_t unreadable = 0;
  for (const auto& root : o.roots)
    for (const fs::path& dir : shard_runs(root, plan.kind, plan.hash)) {
      std::ifstream sin(dir / "settings.json");
      const nlohmann::json shard = nlohmann::json::parse(sin).at("shard");
      ShardRow& row = shards[{shard.value("count", 1), shard.value("index", 0)}];
      row.folders.push_back(dir.lexically_relative(root).string());  // under the root named in the title
      for (const auto& h : shard.value("hosts", nlohmann::json::array())) row.hosts.insert(h.get<std::string>());
      std::ifstream in(dir / "results.jsonl");
      for (std::string line; std::getline(in, line);) {
        if (line.empty()) continue;
        try {
          const nlohmann::json r = nlohmann::json::parse(line);
          Kept k{r.value("status", ""), r.value("error", ""), r.value("started_at", "")};
          auto [it, fresh] = newest.emplace(key_of(plan.suite, r), k);
          if (!fresh && supersedes(k.started_at, it->second.started_at)) it->second = k;
        } catch (const std::exception&) {
          ++unreadable;  // a torn last line of a killed shard: its case counts as missing
        }
      }
    }
  int n = o.shards;
  for (const auto& [nk, row] : shards) n = std::max(n, nk.first);
  const std::vector<int> shard_of = n > 0 ? assign_shards(plan.units, n) : std::vector<int>(plan.keys.size(), -1);

  // Per shard K of N: its cases, and how many are done, failed, missing.
  std::map<int, std::array<size_t, 4>> count;  // cases, done, failed, missing
  std::vector<size_t> failed, missing;
  for (size_t i = 0; i < plan.keys.size(); ++i) {
    auto& c = count[shard_of[i]];
    ++c[0];
    const auto it = newest.find(plan.keys[i]);
    if (it == newest.end()) {
      ++c[3];
      missing.push_back(i);
    } else if (it->second.status == "failed") {
      ++c[2];
      failed.push_back(i);
    } else {
      ++c[1];
    }
  }
  const std::set<std::string> units(plan.units.begin(), plan.units.end());
  fmt::print("Plan {} (mtb {}, {} cases in {} units) under {}:\n", plan.hash.substr(0, 12), plan.suite, plan.keys.size(),
             units.size(), fmt::join(o.roots, ", "));
  std::vector<std::vector<std::string>> rows{{"shard", "cases", "done", "failed", "missing", "hosts", "run folders"}};
  std::vector<int> no_folder;
  for (const auto& [k, c] : count) {
    const auto it = shards.find({n, k});
    const ShardRow none;
    const ShardRow& row = it == shards.end() ? none : it->second;
    if (row.folders.empty()) no_folder.push_back(k);
    rows.push_back({k < 0 ? "-" : fmt::format("{}/{}", k, n), std::to_string(c[0]), std::to_string(c[1]), std::to_string(c[2]),
                    std::to_string(c[3]), fmt::format("{}", fmt::join(row.hosts, ", ")),
                    row.folders.empty() ? "none" : fmt::format("{}", fmt::join(row.folders, " "))});
  }
  fmt::print("{}", markdown_table(rows, {false, true, true, true, true, false, false}));
  for (const auto& [nk, row] : shards)
    if (nk.first != n)
      fmt::print("Also {} folder(s) of shard {}/{} (another N): their records count above.\n", row.folders.size(), nk.second,
                 nk.first);
  if (!no_folder.empty() && n > 0)
    fmt::print("Shards without a run folder: {}\n", fmt::join(no_folder, ", "));
  if (unreadable) fmt::print("{} unreadable line(s) skipped (torn writes of killed shards)\n", unreadable);
  if (!missing.empty()) {
    fmt::print("Missing ({}):\n", missing.size());
    for (size_t i : missing)
      fmt::print("  {}{}\n", shard_of[i] < 0 ? "" : fmt::format("shard {}/{}: ", shard_of[i], n), plan.labels[i]);
  }
  if (!failed.empty()) {
    fmt::print("Failed ({}):\n", failed.size());
    for (size_t i : failed) fmt::print("  {}: {}\n", plan.labels[i], newest.at(plan.keys[i]).error);
  }
  fmt::print("{} cases: {} done, {} failed, {} missing.\n", plan.keys.size(),
             plan.keys.size() - failed.size() - missing.size(), failed.size(), missing.size());
  return !missing.empty() ? 5 : !failed.empty() ? 3 : 0;
}

}  // namespace

void add_plan_status(CLI::App& app) {
  auto o = std::make_shared<StatusOptions>();
  auto* cmd = app.add_subcommand("plan-status", "Which cases of a plan (--plan-out) are done, failed or missing across its shards.");
  cmd->footer(R"(Reads every run folder under the roots whose settings.json names the plan's hash (any shard
count, any hardware, any host), keys each record as resume does, and counts a case recorded twice once
(the newest record). A case is done when its newest record is ok or skipped with a reason.

Examples:
  mtb plan-status plan.json                             the shards under measurements/
  mtb plan-status plan.json /shared/measurements --shards 4

Exit status: 0 every case done, 3 every case recorded but some failed, 5 some case missing (resubmit
its shard: it resumes its run folder), 1 bad input.)");
  cmd->add_option("PLAN", o->plan, "the plan file (from --plan-out)")->required();
  cmd->add_option("roots", o->roots, "measurement roots the shards wrote under")->capture_default_str();
  cmd->add_option("--shards", o->shards, "N the shards were run with (default: the N their folders name)");
  cmd->callback([o] {
    if (o->shards < 0 || o->shards > 100000) throw std::invalid_argument("--shards: takes N, 1 to 100000 (0: from the folders)");
    exit_code() = plan_status(*o);
  });
}

}  // namespace mtb::cli
