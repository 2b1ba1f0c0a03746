// `mtb ops` through the built binary: a reduced sweep on the CPU, every backend of this build, and the
// files it leaves (the ancestor's layer layout first, results.jsonl, settings.json), the report, resume.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "e2e_util.h"

namespace fs = std::filesystem;

namespace {

fs::path only_layer_run(const fs::path& root) {
  std::vector<fs::path> runs;
  for (const auto& hw : fs::directory_iterator(root / "layer_benchmarks"))
    for (const auto& run : fs::directory_iterator(hw.path())) runs.push_back(run.path());
  if (runs.size() != 1) throw std::runtime_error("expected exactly one run folder under " + root.string());
  return runs[0];
}

std::vector<nlohmann::json> jsonl(const fs::path& p) {
  std::ifstream in(p);
  std::vector<nlohmann::json> out;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  return out;
}

// Small shapes, short timing: a sweep CI can afford.
const std::string kReduced =
    "ops --ops layer_norm,rms_norm,softmax,linear,matmul_quant,sdpa,mhsa --batch 1,2 --seq 16 --feature 64 --heads 2 "
    "--mask causal --time-cap 0.05 --warmup 2 --no-report";

}  // namespace

TEST(OpsE2E, ReducedSweepWritesTheAncestorLayoutVerifiedAndCharted) {
  const fs::path root = e2e::fresh_dir();
  const fs::path cache = root / "cache";
  const std::string env = "MTB_CACHE_DIR=" + e2e::sh_quote(cache.string());
  // Ceilings first, so the records carry % of roofline.
  ASSERT_EQ(e2e::run_mtb("info --calibrate", env).exit_code, 0);
  const auto r = e2e::run_mtb(kReduced + " --measurements " + e2e::sh_quote(root.string()), env);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("Plan:"), std::string::npos);
  const fs::path run = only_layer_run(root);

  const auto csv = e2e::read_csv(run / "benchmark_results.csv");
  ASSERT_FALSE(csv.empty());
  const std::vector<std::string> ancestor{"name", "framework", "backend", "compile", "batch_size", "sequence_length",
                                          "num_warmup_iterations", "num_iterations", "num_repeats", "median_ms",
                                          "duration_ms", "std_ms", "dtype"};
  EXPECT_EQ(std::vector<std::string>(csv[0].begin(), csv[0].begin() + 13), ancestor);

  const auto lines = jsonl(run / "results.jsonl");
  ASSERT_EQ(lines.size() + 1, csv.size());
  std::set<std::string> backends_ok;
  std::set<std::string> ops_ok;
  for (const auto& j : lines) {
    SCOPED_TRACE(j.dump().substr(0, 300));
    const std::string status = j.at("status");
    ASSERT_TRUE(status == "ok" || status == "skipped") << j.value("error", "");
    if (status == "skipped") {
      EXPECT_FALSE(j.value("error", "").empty());
      continue;
    }
    EXPECT_TRUE(j.at("verification").at("ok").get<bool>());
    EXPECT_LE(j["verification"]["rel_err"].get<double>(), j["verification"]["tolerance"].get<double>());
    EXPECT_GE(j.at("samples_ms").size(), 2u);
    EXPECT_GT(j.at("ms").at("median").get<double>(), 0);
    EXPECT_GT(j.at("gflops").get<double>(), 0);
    EXPECT_GT(j.at("roofline_pct").get<double>(), 0);  // calibrated above
    backends_ok.insert(j.at("backend"));
    ops_ok.insert(j.at("op"));
  }
  EXPECT_TRUE(backends_ok.count("ggml"));
  EXPECT_EQ(ops_ok.size(), 7u);

  const auto settings = e2e::read_json(run / "settings.json");
  for (const char* k : {"datetime", "git_commit", "benchmark_settings", "hardware_info", "software_info", "plan"})
    EXPECT_TRUE(settings.contains(k)) << k;
  EXPECT_TRUE(settings["finished"].get<bool>());

  // The report charts the run, timing and % of roofline per op.
  const auto rep = e2e::run_mtb("report " + e2e::sh_quote(root.string()) + " -o " + e2e::sh_quote((root / "site").string()));
  ASSERT_EQ(rep.exit_code, 0) << rep.out;
  std::string html;
  for (const auto& f : fs::directory_iterator(root / "site"))
    if (f.path().extension() == ".html" && f.path().filename() != "index.html") {
      std::ifstream in(f.path());
      html.assign(std::istreambuf_iterator<char>(in), {});
    }
  EXPECT_NE(html.find("LayerNorm(dim=64)"), std::string::npos);
  EXPECT_NE(html.find("% of roofline"), std::string::npos);
}

TEST(OpsE2E, ResumeRunsOnlyWhatIsMissing) {
  const fs::path root = e2e::fresh_dir();
  const std::string base = "ops --ops layer_norm,softmax --batch 1 --seq 8 --feature 64 --time-cap 0.02 --no-report";
  ASSERT_EQ(e2e::run_mtb(base + " --measurements " + e2e::sh_quote(root.string())).exit_code, 0);
  const fs::path run = only_layer_run(root);
  // Drop the last case, as an interrupted run would have it, then resume.
  auto lines = jsonl(run / "results.jsonl");
  const size_t n = lines.size();
  ASSERT_GE(n, 2u);
  {
    std::ofstream out(run / "results.jsonl", std::ios::trunc);
    for (size_t i = 0; i + 1 < n; ++i) out << lines[i].dump() << "\n";
  }
  const auto r = e2e::run_mtb("ops --no-report --resume " + e2e::sh_quote(run.string()));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find(std::to_string(n - 1) + " of " + std::to_string(n) + " cases already done"), std::string::npos) << r.out;
  EXPECT_EQ(jsonl(run / "results.jsonl").size(), n);
}

TEST(OpsE2E, BadAxisIsOneClearMessage) {
  const auto r = e2e::run_mtb("ops --ops conv2d --no-report --measurements /nonexistent");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("unknown op 'conv2d'"), std::string::npos) << r.out;
}
