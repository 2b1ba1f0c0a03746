// `mtb compare RUN_A RUN_B`: per matched case, both medians, the ratio and whether B differs from A
// beyond the runs' noise; --fail-above makes it a CI gate.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <filesystem>

#include "cli/commands.h"
#include "cli/option_checks.h"
#include "report/compare.h"
#include "report/run.h"

namespace mtb::cli {
namespace {

struct CompareOptions {
  std::string a, b;
  double threshold_pct = 5;
  double fail_above = -1;  // < 0: never fail on a regression
};

// A side of the comparison: a run folder, or a folder holding the shard folders of one plan (merged,
// each case once: report::merge_shards). Runs of several plans, or beside a plan's shards, are refused:
// which of them the side means cannot be guessed.
report::Run load_side(const std::string& dir) {
  std::vector<report::Problem> problems;
  report::RunSet set;
  if (std::filesystem::is_directory(dir) && !report::is_run_folder(dir)) set = report::load_measurements({dir});
  if (set.runs.empty()) {  // a run folder, or nothing that holds one: load_run says which
    report::Run run = report::load_run(dir, problems);
    for (const auto& p : problems) fmt::print(stderr, "mtb compare: skipped {}: {}\n", p.file.string(), p.message);
    return run;
  }
  std::vector<report::Run> runs;
  for (auto& r : set.runs)
    if (r.kind == report::RunKind::llm) runs.push_back(std::move(r));
  if (runs.size() == 1) return std::move(runs.front());
  if (runs.empty())
    throw std::runtime_error(fmt::format("{}: no LLM run under it ({} layer or quality run(s); compare reads LLM runs)", dir,
                                         set.runs.size()));
  std::vector<std::string> what;
  for (const auto& r : runs)
    what.push_back(r.plan_hash.empty() ? fmt::format("run {}", r.dir.string())
                                       : fmt::format("plan {} ({} shard folders)", r.plan_hash.substr(0, 12), r.shard_dirs.size()));
  throw std::runtime_error(fmt::format("{} holds {} LLM runs: {}. A side of a comparison is one run folder or the shards "
                                       "of one plan; shards of different plans are not one run (give a folder that holds one)",
                                       dir, runs.size(), fmt::join(what, "; ")));
}

std::vector<Record> load_llm(const std::string& dir) {
  report::Run run = load_side(dir);
  if (run.kind == report::RunKind::layer)
    throw std::runtime_error(fmt::format("{}: a layer benchmark run; compare reads LLM runs", dir));
  // A quality run has no timings to test; two of them differ in KLD, which `mtb report` charts.
  if (run.kind == report::RunKind::quality)
    throw std::runtime_error(fmt::format("{}: a quality run (KL divergence, no timings); compare reads LLM benchmark "
                                         "runs (`mtb report` charts quality runs)",
                                         dir));
  return run.llm;
}

int run_compare(const CompareOptions& o) {
  const report::CompareOptions opts{o.threshold_pct};
  const report::Comparison c = report::compare_records(load_llm(o.a), load_llm(o.b), opts);
  fmt::print("A: {}\nB: {}\n\n{}", o.a, o.b, report::format_comparison(c, opts));
  if (c.matched.empty()) {
    fmt::print(stderr, "mtb compare: no case of A matches a case of B\n");
    return 1;
  }
  if (o.fail_above < 0) return 0;
  const auto reg = report::regressions(c, o.fail_above);
  for (const auto& [cd, m] : reg)
    fmt::print(stderr, "regression: {} {} {:+.1f}% (beyond --fail-above {:g}%)\n", report::match_key(cd->spec), m->metric,
               m->change_pct, o.fail_above);
  return reg.empty() ? 0 : 4;
}

}  // namespace

void add_compare(CLI::App& app) {
  auto o = std::make_shared<CompareOptions>();
  auto* cmd = app.add_subcommand("compare", "Compare two runs case by case: medians, ratio, and whether B changed beyond noise.");
  cmd->footer(R"(Cases match on model, backend, device, precision, n_prompt, n_gen, depth and batch; the
metrics are prompt t/s and generation t/s (medians of the repetitions).

A change is significant (*) when both hold:
  - Welch's t-test on the per-repetition throughputs of A and B rejects equal means at the
    two-sided 5% level (needs >= 2 repetitions on each side), and
  - |B/A - 1| exceeds --threshold (default 5%): run-to-run drift of a machine is usually larger than
    the spread within one run, so smaller changes are treated as noise.
A side may be the measurement root of one plan's shards (--plan/--shard): they are read as one run,
a case recorded by two shards (a retried task) once, its newest record; a folder holding runs of
several plans is refused.
Runs of mlx_transformers_benchmark recorded no samples: their changes are shown as "cannot tell".

Exit status: 0 no regression beyond --fail-above, 4 a case got significantly slower by more than
--fail-above percent (or, without samples, simply slower by more than it), 1 bad input (a layer or
quality run among them) / no matching case.

Example:
  mtb compare measurements/llm_benchmarks/<hw>/<run A> measurements/llm_benchmarks/<hw>/<run B> --fail-above 10)");
  cmd->add_option("RUN_A", o->a, "baseline: a run folder, or a folder holding the shard folders of one plan")->required();
  cmd->add_option("RUN_B", o->b, "compared against it: a run folder, or one plan's shard folders")->required();
  cmd->add_option("--threshold", o->threshold_pct, "changes below this percentage count as noise")->capture_default_str();
  cmd->add_option("--fail-above", o->fail_above, "exit 4 when a case is significantly slower by more than PCT percent");
  cmd->callback([o, cmd] {
    check_range(o->threshold_pct, 0, 1e6, "--threshold", "a percentage");
    // NaN would compare false with every change and turn the gate off without a word.
    if (cmd->count("--fail-above")) check_range(o->fail_above, 0, 1e6, "--fail-above", "a percentage");
    exit_code() = run_compare(*o);
  });
}

}  // namespace mtb::cli
