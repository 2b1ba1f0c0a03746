// `mtb report`: the HTML report of every run under the measurement roots, mtb's and the ancestor's.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <filesystem>

#include "cli/commands.h"
#include "report/fastest.h"
#include "report/plotly_asset.h"
#include "report/run.h"
#include "report/site.h"

namespace mtb::cli {
namespace fs = std::filesystem;
namespace {

struct ReportOptions {
  std::vector<std::string> roots{"measurements"};
  std::string out = "site";
  std::string plotly_js;
  std::string max_kld = fmt::format("{:g}", report::kDefaultMaxKld);  // parsed here: a bad one is exit 1, named
};

double parse_max_kld(const std::string& text) {
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || !std::isfinite(v) || !(v > 0))
    throw std::runtime_error(fmt::format("--max-kld: '{}' is not a mean KLD above 0 (nats, e.g. 0.05)", text));
  return v;
}

fs::path write_report_bounded(const std::vector<std::string>& roots, const std::string& out, const std::string& plotly_js,
                              bool quiet, double max_kld) {
  const fs::path plotly = report::find_plotly_js(plotly_js);  // before reading anything: fail fast
  std::vector<fs::path> paths(roots.begin(), roots.end());
  const report::RunSet set = report::load_measurements(paths);
  for (const auto& p : set.problems) fmt::print(stderr, "mtb report: skipped {}: {}\n", p.file.string(), p.message);
  const report::Site site = report::write_site(set, out, plotly, max_kld);
  if (!quiet) {
    size_t records = 0;
    for (const auto& r : set.runs) records += r.size();
    fmt::print(stderr, "Read {} runs ({} records){}.\n", set.runs.size(), records,
               set.problems.empty() ? "" : fmt::format(", skipped {} problem(s) listed above", set.problems.size()));
    for (const auto& page : site.pages)
      fmt::print(stderr, "  {}  ({} charts)\n", page.path.string(), page.figures);
  }
  if (set.runs.empty())
    throw std::runtime_error(fmt::format("no run folders found under {} (an index saying so was written to {})",
                                         fmt::format("{}", fmt::join(roots, ", ")), site.index.string()));
  return fs::absolute(site.index);
}

}  // namespace

fs::path write_report(const std::vector<std::string>& roots, const std::string& out, const std::string& plotly_js,
                      bool quiet) {
  return write_report_bounded(roots, out, plotly_js, quiet, report::kDefaultMaxKld);
}

fs::path default_report_dir(const fs::path& root) {
  const fs::path r = root.lexically_normal();
  const std::string name = (r.has_filename() ? r : r.parent_path()).string();
  if (name == "measurements") return "site";
  return name + "-site";
}

void report_after_run(const fs::path& run_dir, const std::string& out) {
  const fs::path root = run_dir.parent_path().parent_path().parent_path();  // <root>/<kind>/<hw>/<run>
  const fs::path dir = out.empty() ? default_report_dir(root) : fs::path(out);
  try {
    const fs::path index = write_report({root.string()}, dir.string(), "", true);
    fmt::print(stderr, "Report of every run under {}: {}\n", root.string(), index.string());
  } catch (const std::exception& e) {
    fmt::print(stderr, "Report not written: {}\n", e.what());
  }
}

void add_report(CLI::App& app) {
  auto o = std::make_shared<ReportOptions>();
  auto* cmd = app.add_subcommand("report", "Write an HTML report (index + one page per hardware) of every run.");
  cmd->footer(R"(Reads every run folder under the given roots: mtb's (results.jsonl) and mlx_transformers_benchmark's
(benchmark_results.csv + settings.json, llm_benchmarks and layer_benchmarks). Malformed or unknown files
are reported by name and skipped. The pages open from disk with no network: plotly.min.js is copied
beside them. Quality runs (llm_quality: KL divergence against a reference) add a speed-quality chart per
model and, in "Which is fastest", the fastest generation with mean KLD <= --max-kld.

Examples:
  mtb report                                   measurements/ -> site/
  mtb report measurements ../shared/seed-measurements -o /tmp/site
  mtb report --max-kld 0.01                    fastest generation within a mean KLD of 0.01 nats)");
  cmd->add_option("roots", o->roots, "measurement roots or run folders")->capture_default_str();
  cmd->add_option("-o,--output", o->out, "output folder")->capture_default_str();
  cmd->add_option("--plotly-js", o->plotly_js, "plotly.min.js to copy (default: the one scripts/setup.sh installed)");
  cmd->add_option("--max-kld", o->max_kld, "bound on the mean KLD (nats) of \"fastest generation within KLD\"")
      ->type_name("NATS")
      ->capture_default_str();
  cmd->callback([o] {
    const double max_kld = parse_max_kld(o->max_kld);  // before reading anything: fail fast
    const fs::path index = write_report_bounded(o->roots, o->out, o->plotly_js, false, max_kld);
    fmt::print("{}\n", index.string());
  });
}

}  // namespace mtb::cli
