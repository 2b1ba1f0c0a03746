// Walks measurement roots for run folders: mtb's (results.jsonl: LLM, layer and quality runs) and the
// ancestor's (benchmark_results.csv + settings.json). Nothing found here stops the walk.
#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

#include "ops/op_record.h"
#include "report/ancestor_import.h"
#include "report/csv_table.h"
#include "report/run.h"

namespace mtb::report {
namespace fs = std::filesystem;
namespace {

constexpr const char* kSettings = "settings.json";
constexpr const char* kResults = "results.jsonl";
constexpr const char* kCsv = "benchmark_results.csv";

bool is_run_dir(const fs::path& d) {
  std::error_code ec;
  return fs::is_regular_file(d / kResults, ec) || fs::is_regular_file(d / kCsv, ec);
}

nlohmann::json read_settings(const fs::path& dir, std::vector<Problem>& problems) {
  const fs::path p = dir / kSettings;
  std::ifstream in(p);
  if (!in) {
    problems.push_back({p, "missing; hardware taken from the folder name"});
    return nlohmann::json::object();
  }
  return parse_settings(in, p, problems);
}

// Every record of a results.jsonl with the line it came from; a line that is not one is a problem.
template <class R>
std::vector<std::pair<R, int>> read_results_jsonl(std::istream& in, const fs::path& p, std::vector<Problem>& problems) {
  std::vector<std::pair<R, int>> out;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.empty()) continue;
    try {
      out.emplace_back(nlohmann::json::parse(line).get<R>(), n);
    } catch (const std::exception& e) {
      problems.push_back({p, fmt::format("line {}: not a record ({}); line skipped", n, e.what())});
    }
  }
  return out;
}

// An `mtb ops` run's records as the report's layer rows: through their CSV columns (the op record's
// field table), which carry mlx_transformers_benchmark's layer columns first, so both tools' layer
// runs are read by one mapping.
std::vector<LayerRecord> read_op_results(std::istream& in, const fs::path& p, std::vector<Problem>& problems) {
  CsvTable t;
  t.path = p;
  t.header = ops::op_record_fields().csv_header();
  std::vector<LayerRecord> out;
  for (const auto& [r, line] : read_results_jsonl<ops::OpRecord>(in, p, problems)) {
    t.rows = {ops::op_record_fields().csv_row(r)};  // a row at a time: each layer row keeps its case's key
    t.row_lines = {line};
    for (LayerRecord& l : import_layer_rows(t, problems)) {
      l.key = r.spec.key();
      l.started_at = r.started_at;
      out.push_back(std::move(l));
    }
  }
  return out;
}

// The kind from the path (…/llm_benchmarks/<hw>/<run>), which both tools write; llm_quality is mtb's only.
std::optional<RunKind> kind_from_path(const fs::path& dir) {
  const std::string grand = dir.parent_path().parent_path().filename().string();
  if (grand == "llm_benchmarks") return RunKind::llm;
  if (grand == "layer_benchmarks") return RunKind::layer;
  if (grand == "llm_quality") return RunKind::quality;
  return std::nullopt;
}

}  // namespace

nlohmann::json parse_settings(std::istream& in, const fs::path& p, std::vector<Problem>& problems) {
  try {
    nlohmann::json j = nlohmann::json::parse(in);
    if (j.is_object()) return j;
    problems.push_back({p, "not a JSON object; ignored"});
  } catch (const std::exception& e) {
    problems.push_back({p, fmt::format("not valid JSON ({}); ignored", e.what())});
  }
  return nlohmann::json::object();
}

void read_results(Run& run, std::istream& in, const fs::path& file, std::vector<Problem>& problems) {
  switch (run.kind) {
    case RunKind::layer: run.layers = read_op_results(in, file, problems); break;
    case RunKind::quality:
      for (auto& [r, line] : read_results_jsonl<QualityRecord>(in, file, problems)) run.quality.push_back(std::move(r));
      break;
    case RunKind::llm:
      for (auto& [r, line] : read_results_jsonl<Record>(in, file, problems)) run.llm.push_back(std::move(r));
      break;
  }
}

bool is_run_folder(const fs::path& dir) { return is_run_dir(dir); }

std::string to_string(RunKind k) {
  switch (k) {
    case RunKind::llm: return "llm";
    case RunKind::layer: return "layer";
    case RunKind::quality: return "quality";
  }
  return "?";
}

Run load_run(const fs::path& dir, std::vector<Problem>& problems) {
  if (!fs::is_directory(dir)) throw std::runtime_error(fmt::format("{}: no such folder", dir.string()));
  if (!is_run_dir(dir))
    throw std::runtime_error(fmt::format("{}: not a run folder (it has neither {} nor {})", dir.string(), kResults, kCsv));
  Run run;
  run.dir = dir;
  run.datetime = dir.filename().string();
  run.settings = read_settings(dir, problems);
  if (const auto* hw = run.settings.contains("hardware_info") ? &run.settings["hardware_info"] : nullptr;
      hw && hw->is_object() && hw->contains("hardware_string") && (*hw)["hardware_string"].is_string())
    run.hardware = (*hw)["hardware_string"].get<std::string>();
  else
    run.hardware = dir.parent_path().filename().string();  // the ancestor's layer runs have no hardware_string

  const std::optional<RunKind> path_kind = kind_from_path(dir);
  if (fs::is_regular_file(dir / kResults)) {  // mtb's own run: its records; the CSV is derived from them
    run.origin = "mtb";
    run.kind = path_kind == RunKind::layer || path_kind == RunKind::quality ? *path_kind : RunKind::llm;
    std::ifstream in(dir / kResults, std::ios::binary);
    if (!in) throw std::runtime_error(fmt::format("{}: cannot open", (dir / kResults).string()));
    read_results(run, in, dir / kResults, problems);
    return run;
  }
  // Only mtb writes quality runs, and their CSV is a copy of results.jsonl, not the ancestor's layout.
  if (path_kind == RunKind::quality)
    throw std::runtime_error(fmt::format("{}: a quality run without {} (its {} is derived from it)", dir.string(),
                                         kResults, kCsv));
  run.origin = "ancestor";
  const CsvTable t = read_csv(dir / kCsv);  // throws naming the file and line
  run.kind = ancestor_kind(t);
  if (path_kind && *path_kind != run.kind)
    problems.push_back({dir / kCsv, fmt::format("{} columns in a {}_benchmarks folder; read as {}", to_string(run.kind),
                                                to_string(*path_kind), to_string(run.kind))});
  if (run.kind == RunKind::llm)
    run.llm = import_llm_rows(t, run.settings, problems);
  else
    run.layers = import_layer_rows(t, problems);
  return run;
}

RunSet load_measurements(const std::vector<fs::path>& roots) {
  RunSet set;
  std::set<fs::path> seen;
  auto load = [&](const fs::path& dir) {
    const fs::path canon = fs::weakly_canonical(dir);
    if (!seen.insert(canon).second) return;
    try {
      set.runs.push_back(load_run(dir, set.problems));
    } catch (const std::exception& e) {
      set.problems.push_back({dir, fmt::format("{}; run skipped", e.what())});
    }
  };
  for (const fs::path& root : roots) {
    std::error_code ec;
    if (!fs::is_directory(root, ec)) {
      set.problems.push_back({root, "no such folder"});
      continue;
    }
    if (is_run_dir(root)) {
      load(root);
      continue;
    }
    std::vector<fs::path> stray;
    for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
         it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) {
        set.problems.push_back({it->path(), ec.message()});
        break;
      }
      const fs::path& p = it->path();
      if (p.filename().string().starts_with(".")) {  // .DS_Store, .git: never ours
        if (it->is_directory()) it.disable_recursion_pending();
        continue;
      }
      if (it->is_directory() && is_run_dir(p)) {
        load(p);
        for (const auto& f : fs::directory_iterator(p)) {
          const std::string name = f.path().filename().string();
          if (name != kSettings && name != kResults && name != kCsv && !name.starts_with("."))
            set.problems.push_back({f.path(), "unknown file in a run folder; ignored"});
        }
        it.disable_recursion_pending();
      } else if (it->is_regular_file()) {
        stray.push_back(p);
      }
    }
    for (const auto& p : stray) set.problems.push_back({p, "not inside a run folder; ignored"});
  }
  merge_shards(set);  // sorts the runs too
  return set;
}

}  // namespace mtb::report
