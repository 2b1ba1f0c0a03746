#include "cli/plan_file.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <stdexcept>

#include "build_info.h"
#include "cli/run_options.h"
#include "core/sha256.h"
#include "core/store.h"

namespace mtb::cli {
namespace fs = std::filesystem;
namespace {

constexpr int kPlanFormat = 1;

// The hash of a plan: SHA-256 of its JSON with the keys sorted and no spaces (nlohmann's dump of an
// object is that), the hash itself left out, so any edit of a setting or case changes it.
std::string hash_of(nlohmann::json plan) {
  plan.erase("hash");
  return sha256_hex(plan.dump());
}

void write_plan_file(const fs::path& path, const Suite& s, const DriverOptions& d) {
  nlohmann::json settings = d.settings;
  settings["plan"]["cases"] = s.cases;
  nlohmann::json cases = nlohmann::json::array();
  const std::vector<std::string> units = shard_units(s);
  for (size_t i = 0; i < s.cases.size(); ++i) cases.push_back({{"key", s.keys[i]}, {"label", s.labels[i]}, {"unit", units[i]}});
  nlohmann::json plan = {{"mtb_plan", kPlanFormat}, {"suite", s.name},          {"kind", s.kind},
                         {"command", d.argv},       {"mtb_version", build::kVersion}, {"mtb_commit", build::kCommit},
                         {"settings", settings},    {"cases", cases}};
  const std::string hash = hash_of(plan);
  plan["hash"] = hash;
  std::error_code ec;
  if (path.has_parent_path()) fs::create_directories(path.parent_path(), ec);
  write_file_atomic(path, plan.dump(2) + "\n");
  const size_t n_units = std::set<std::string>(units.begin(), units.end()).size();
  fmt::print(stderr, "Plan:\n{}\n", s.description);
  fmt::print(stderr, "Wrote {}: {} cases in {} shard units (model files), plan {}.\n", path.string(), s.cases.size(), n_units,
             hash.substr(0, 12));
  fmt::print(stderr, "Run shard K of N (N at most {} for every shard to have work): mtb {} --plan {} --shard K/N\n", n_units,
             s.name, path.string());
}

// The plan file must expand to the cases this mtb makes of its axes: an mtb that expands them
// otherwise would run cases under keys the plan does not know.
void check_expands(const PlanFile& p, const Suite& s) {
  if (s.keys == p.keys) return;
  size_t i = 0;
  while (i < s.keys.size() && i < p.keys.size() && s.keys[i] == p.keys[i]) ++i;
  throw std::runtime_error(fmt::format(
      "--plan {}: this mtb ({}) expands the plan's axes to {} cases, the plan lists {} (first difference: case {}: '{}' vs "
      "'{}'); write the plan again with this mtb's --plan-out",
      p.path.string(), build::kCommit, s.keys.size(), p.keys.size(), i + 1, i < s.keys.size() ? s.keys[i] : "(none)",
      i < p.keys.size() ? p.keys[i] : "(none)"));
}

// The shard's run folder on this hardware, if it was started before (a requeued or resubmitted task).
std::optional<fs::path> find_shard_run(const fs::path& root, const std::string& kind, const std::string& hardware,
                                       const PlanShard& shard) {
  std::optional<fs::path> found;
  for (const fs::path& dir : shard_runs(root, kind, shard.plan_hash)) {
    if (dir.parent_path().filename() != hardware) continue;
    std::ifstream in(dir / "settings.json");
    const nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    const nlohmann::json s = j.is_object() ? j.value("shard", nlohmann::json::object()) : nlohmann::json::object();
    if (s.value("index", -1) == shard.shard.index && s.value("count", -1) == shard.shard.count) found = dir;  // the newest
  }
  return found;
}

}  // namespace

PlanFile read_plan_file(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw std::invalid_argument(fmt::format("--plan {}: no such file", path.string()));
  nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("mtb_plan"))
    throw std::invalid_argument(fmt::format("--plan {}: not an mtb plan (write one with --plan-out)", path.string()));
  if (j["mtb_plan"] != kPlanFormat)
    throw std::invalid_argument(fmt::format("--plan {}: plan format {}, this mtb reads {}", path.string(), j["mtb_plan"].dump(),
                                            kPlanFormat));
  PlanFile p;
  p.path = path;
  try {
    p.suite = j.at("suite").get<std::string>();
    p.kind = j.at("kind").get<std::string>();
    p.hash = j.at("hash").get<std::string>();
    p.settings = j.at("settings");
    for (const auto& c : j.at("cases")) {
      p.keys.push_back(c.at("key").get<std::string>());
      p.labels.push_back(c.at("label").get<std::string>());
      p.units.push_back(c.at("unit").get<std::string>());
    }
    p.settings.at("plan").at("axes");
  } catch (const std::exception& e) {
    throw std::invalid_argument(fmt::format("--plan {}: not a whole plan ({})", path.string(), e.what()));
  }
  if (hash_of(j) != p.hash)
    throw std::invalid_argument(fmt::format("--plan {}: its content does not match its hash {} (edited after --plan-out "
                                            "wrote it?): shards of an edited plan would not add up; write it again",
                                            path.string(), p.hash.substr(0, 12)));
  return p;
}

void add_plan_options(CLI::App& cmd, PlanOptions& o) {
  auto group = [](CLI::Option* opt) { opt->group("One plan over many machines (docs/cluster.md)"); };
  group(cmd.add_option("--plan-out", o.out,
                       "write the expanded plan (every case and setting) to this file and run nothing; its shards run "
                       "with --plan FILE --shard K/N, on one machine or many")
            ->type_name("FILE"));
  group(cmd.add_option("--plan", o.in, "run the plan of this file (from --plan-out) instead of options; with --shard, a slice of it")
            ->type_name("FILE"));
  group(cmd.add_option("--shard", o.shard,
                       "with --plan: run shard K of N (from 0), a fixed slice in which a model file's cases stay together, "
                       "into a run folder of its own that names the plan; started again, it resumes that folder")
            ->type_name("K/N"));
}

void check_plan_options(const CLI::App& cmd, PlanOptions& o, const std::string& suite, std::vector<std::string> allowed) {
  const bool resume = cmd.count("--resume") > 0;
  if (!o.shard.empty() && o.in.empty()) throw std::invalid_argument("--shard K/N slices a plan: give the plan with --plan FILE");
  if (!o.out.empty() && (resume || !o.in.empty() || !o.shard.empty()))
    throw std::invalid_argument("--plan-out writes a new plan from this command line's options: leave out --resume, --plan and --shard");
  if (o.in.empty()) return;
  if (resume) throw std::invalid_argument("--plan runs a plan's shard, --resume a run folder: give one of them");
  if (!o.shard.empty()) parse_shard(o.shard);  // named before the file is read
  allowed.insert(allowed.end(), kPlanRunOptions.begin(), kPlanRunOptions.end());
  std::vector<std::string> given;
  for (const auto* opt : cmd.get_options()) {
    if (opt->count() == 0) continue;
    if (std::none_of(allowed.begin(), allowed.end(), [&](const std::string& a) { return opt->check_lname(a); }))
      given.push_back(opt->get_name());
  }
  if (!given.empty())
    throw std::invalid_argument(fmt::format("--plan takes the plan's own cases and settings; leave out {}", fmt::join(given, ", ")));
  o.file = read_plan_file(o.in);
  if (o.file->suite != suite)
    throw std::invalid_argument(fmt::format("--plan {}: a plan of `mtb {}`; run it with that command", o.in, o.file->suite));
  o.cooldown_given = cmd.count("--cooldown") > 0;
}

int run_planned(const Suite& s, std::optional<RunStore> resumed, DriverOptions d, const PlanOptions& p) {
  if (!p.out.empty()) {
    write_plan_file(p.out, s, d);
    return 0;
  }
  if (p.file) {
    check_expands(*p.file, s);
    d.settings = p.file->settings;
    d.settings["plan"].erase("cases");  // the driver writes the shard's own cases
    restore_cooldown(d, p.file->settings, p.cooldown_given);
    describe_machine(d);
    d.shard = PlanShard{p.file->hash, p.shard.empty() ? ShardSpec{} : parse_shard(p.shard)};
    if (const auto dir = find_shard_run(d.measurements, s.kind, d.hardware, *d.shard)) resumed = RunStore::open(*dir, s.csv);
  } else if (!resumed && d.hardware.empty()) {
    describe_machine(d);
  }
  return run_suite(s, std::move(resumed), d);
}

std::vector<fs::path> shard_runs(const fs::path& root, const std::string& kind, const std::string& hash) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& hw : fs::directory_iterator(root / kind, ec)) {
    std::error_code ec2;
    for (const auto& run : fs::directory_iterator(hw.path(), ec2)) {
      std::ifstream in(run.path() / "settings.json");
      if (!in) continue;
      const nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
      if (j.is_object() && j.contains("shard") && j["shard"].is_object() && j["shard"].value("plan_hash", "") == hash)
        out.push_back(run.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace mtb::cli
