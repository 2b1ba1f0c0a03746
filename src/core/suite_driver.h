// The one driver of every suite (`mtb llm`, `mtb ops`, and the kinds to come): the run folder and
// its settings.json, resume, the plan's pending cases through worker processes with progress, every
// record appended the moment it arrives, and the exit code. A suite is a few values and functions
// (Suite, below); records travel as JSON, so the driver reads none of a suite's fields.
#pragma once
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/shard.h"
#include "core/status.h"
#include "core/store.h"
#include "core/text_table.h"

namespace mtb {

struct Suite {
  std::string name;  // the subcommand ("llm"): named in messages, and the worker's suite
  std::string kind;  // the run store's folder: "llm_benchmarks", "layer_benchmarks"
  std::string description;  // the plan, printed before anything runs
  // The plan, in order: each case as JSON (settings.json's plan.cases), its resume key, its label
  // for progress lines, and the seconds its worker may go without a result (0: no limit).
  std::vector<nlohmann::json> cases;
  std::vector<std::string> keys, labels;
  std::vector<double> timeouts;
  // Each case's shard unit (core/shard.h): cases of one unit stay in one shard, as a model file's do
  // so its worker keeps it loaded. Empty: every case a unit of its own.
  std::vector<std::string> units;
  CsvSchema csv;
  // WorkerRequest::options; the driver adds "run_dir", the run folder, for files a suite's cases share.
  nlohmann::json worker_options = nlohmann::json::object();

  std::function<std::string(const nlohmann::json& record)> key_of;  // the key of a stored record
  // What a worker is sent for case i; throws when the case cannot be had (its model file, say):
  // Unsupported records it skipped, anything else failed.
  std::function<nlohmann::json(size_t i)> item;
  // Whether case j may run in case i's worker (the LLM suite keeps a model loaded across cases of
  // one model); empty: a worker per case.
  std::function<bool(size_t i, size_t j)> same_worker;
  // Called with the pending cases of a worker before their items are asked for (empty: nothing).
  std::function<void(const std::vector<size_t>& cases)> prepare;
  // A record for case i that produced none of its own (skipped before it ran, or its worker died).
  std::function<nlohmann::json(size_t i, Status st, const std::string& why)> unrun;
  std::function<std::string(const nlohmann::json& record)> summary;  // the line printed as a case ends
  std::function<std::string(const std::vector<nlohmann::json>& records, OutputFormat f)> format;
  // Once the case loop is over, before the table (empty: nothing): notes, temporary files.
  std::function<void(const std::vector<nlohmann::json>& records, const std::filesystem::path& run_dir)> finish;
};

// The plan's cases into a suite: their JSON, keys, labels and limits (a case type with key(), label()
// and timeout_s, and its JSON).
template <class Case>
void set_cases(Suite& s, const std::vector<Case>& cases) {
  for (const auto& c : cases) {
    s.cases.push_back(c);
    s.keys.push_back(c.key());
    s.labels.push_back(c.label());
    s.timeouts.push_back(c.timeout_s);
  }
}

// Suite::unrun for a record kind with a `spec`, a status, an error and a start time.
template <class R, class Case>
R unrun_record(const Case& c, Status st, const std::string& why) {
  R r;
  r.spec = c;
  r.status = st;
  r.error = why;
  r.started_at = utc_now_iso8601();
  return r;
}

struct DriverOptions {
  std::filesystem::path measurements = "measurements";  // the store's root, for a new run
  std::string hardware;                                  // the run folder's hardware name
  // The suite's part of a new run's settings.json (benchmark_settings, hardware_info, plan.axes ...);
  // the driver adds contributor, git_commit, command, plan.cases and finished.
  nlohmann::json settings = nlohmann::json::object();
  std::vector<std::string> argv;  // the command line, as recorded
  OutputFormat output = OutputFormat::table;
  bool verbose = false;  // copy the workers' output to stderr
  double cooldown = 0;   // pause this fraction of each case's time after it
  // A new run that is one shard of a plan file (`--plan F --shard K/N`): only that slice of the
  // suite's cases runs, and settings.json says which. A resumed run takes its own from settings.json.
  std::optional<PlanShard> shard;
  // Writes the report once the run ends (empty: none); its failure is the callee's to report.
  std::function<void(const std::filesystem::path& run_dir)> report;
};

// Each case's shard unit: Suite::units, or its key where the suite names none.
std::vector<std::string> shard_units(const Suite& s);

// The suite restricted to the cases `keep` (indices into s's cases, in order): its functions see the
// original indices, so a suite's closures over its whole plan serve a slice of it unchanged.
Suite restrict_suite(const Suite& s, const std::vector<size_t>& keep);

// Runs the plan's pending cases into `resumed` (an open run) or a new run under `o.measurements`.
// Returns the exit code: 0 every case ran or was skipped with a reason, 3 some case failed,
// 130 interrupted (the message says how to resume).
int run_suite(const Suite& s, std::optional<RunStore> resumed, const DriverOptions& o);

}  // namespace mtb
