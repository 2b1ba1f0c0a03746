// What the report and compare read: run folders of mtb and of its Python ancestor, loaded into mtb's
// one Record type (LLM), a LayerRecord (layer benchmarks) or a QualityRecord (`llm_quality` runs: KL
// divergence against a reference), plus the problems found.
#pragma once
#include <filesystem>
#include <istream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "llm/record.h"
#include "quality/quality_record.h"

namespace mtb::report {

// One row of a layer benchmark (the ancestor's layer_benchmarks CSV columns).
struct LayerRecord {
  std::string name;       // "MHSA(dim=768, num_heads=8, mask=causal)"
  std::string framework;  // "torch", "mlx"
  std::string backend;    // "mps", "metal", "cpu"
  std::string dtype;
  bool compiled = false;
  int batch = 0, sequence = 0;
  double median_ms = 0, std_ms = 0;
  std::optional<double> roofline_pct;  // where the run recorded it
  nlohmann::json fields = nlohmann::json::object();  // every column as read, shown on hover
  std::string key, started_at;  // mtb's runs: the case's resume key and start, which merge_shards dedups by
};

enum class RunKind { llm, layer, quality };
std::string to_string(RunKind k);

struct Run {
  RunKind kind = RunKind::llm;
  std::string hardware;  // the hardware string: settings.json's, else the parent folder's name
  std::string datetime;  // the folder name, YYYY-MM-DD__HH:MM:SS: sorts by time
  std::filesystem::path dir;
  std::string origin;    // "mtb" (results.jsonl) or "ancestor" (benchmark_results.csv only)
  nlohmann::json settings = nlohmann::json::object();
  std::vector<Record> llm;
  std::vector<LayerRecord> layers;
  std::vector<QualityRecord> quality;
  // The shards of one plan merged into this run (merge_shards): the plan's hash and their folders.
  std::string plan_hash;
  std::vector<std::filesystem::path> shard_dirs;

  size_t size() const {
    return kind == RunKind::llm ? llm.size() : kind == RunKind::layer ? layers.size() : quality.size();
  }
};

// A file that was skipped in whole or in part, and why. Never fatal to a report.
struct Problem {
  std::filesystem::path file;
  std::string message;
};

struct RunSet {
  std::vector<Run> runs;  // sorted by hardware, kind, datetime
  std::vector<Problem> problems;
};

// Whether `dir` holds a run: mtb's results.jsonl or the ancestor's benchmark_results.csv.
bool is_run_folder(const std::filesystem::path& dir);

// Finds every run folder under each root (a root may itself be a run folder). Folders and files that
// are not runs, malformed CSV/JSON files and bad rows are added to `problems` and skipped.
RunSet load_measurements(const std::vector<std::filesystem::path>& roots);

// The run folders of one plan's shards (settings.json's shard.plan_hash), per hardware and kind, as one
// run holding each case once: a case recorded by two shards (a retried task) counts with its newest
// record (core/shard.h's rule). Runs that are no shard stay as they are.
void merge_shards(RunSet& set);

// Loads one run folder; row-level problems go to `problems`. Throws std::runtime_error naming the
// folder when it is not a run or its results file cannot be read at all.
Run load_run(const std::filesystem::path& dir, std::vector<Problem>& problems);

// load_run's readers of a run folder's two files, from their text (`file` names it in problems):
// a results.jsonl into run.llm, run.layers or run.quality by run.kind, a line that is not a record
// skipped as a problem; a settings.json, {} (with the problem) when it is not a JSON object.
void read_results(Run& run, std::istream& in, const std::filesystem::path& file, std::vector<Problem>& problems);
nlohmann::json parse_settings(std::istream& in, const std::filesystem::path& file, std::vector<Problem>& problems);

}  // namespace mtb::report
