// Each subcommand lives in its own file and registers itself on the CLI11 app here.
#pragma once
#include <CLI/CLI.hpp>
#include <filesystem>
#include <string>
#include <vector>

namespace mtb::cli {

// Every subcommand's action stores its exit code here; main returns it.
int& exit_code();

void add_llm(CLI::App& app);
void add_models(CLI::App& app);
void add_info(CLI::App& app);
void add_report(CLI::App& app);
void add_compare(CLI::App& app);

// Writes the HTML report of every run under `roots` into `out` and returns the index's absolute path.
// Skipped input is printed to stderr; throws only when nothing can be written or no run was found.
std::filesystem::path write_report(const std::vector<std::string>& roots, const std::string& out,
                                   const std::string& plotly_js, bool quiet);
// Where a run's report goes by default: beside its measurement root, named after it ("site" for the
// default root "measurements", "<root>-site" for any other), so each root's report is its own.
std::filesystem::path default_report_dir(const std::filesystem::path& root);
// The end of `mtb llm` and `mtb ops`: the report of the run's whole measurement root into `out`
// ("": default_report_dir), then the index's path. A report that cannot be written is a warning:
// the measurements are already safe.
void report_after_run(const std::filesystem::path& run_dir, const std::string& out);
void add_check(CLI::App& app);  // `mtb check`: two backends, same tokens, logits compared
void add_worker(CLI::App& app);  // hidden: `mtb __worker` runs a worker's cases for any suite
void add_ops(CLI::App& app);     // `mtb ops`: operators and layers, verified, against the roofline
void add_quality(CLI::App& app);  // `mtb quality`: KL divergence of candidates against a reference
void add_plan_status(CLI::App& app);  // `mtb plan-status`: a plan's cases done, failed, missing across shards

}  // namespace mtb::cli
