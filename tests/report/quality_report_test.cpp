// Quality runs in the report, end to end: a hand-made fixture (one speed run and one quality run of
// qwen-2.5-0.5b-it on a 2-core Xeon, synthetic weights) read by `mtb report`, the speed-quality
// section and "fastest within KLD" on its page, --max-kld's checks, and malformed lines as problems.
// The fixture's files are what the record types write: this test checks that they still are, and
// MTB_FIXTURE_REGROW=1 rewrites them from the records below (say why in the commit).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <map>

#include "llm/derived.h"
#include "report/html.h"
#include "report/run.h"
#include "report/speed_quality.h"
#include "test_support.h"

namespace mtb::test {
namespace {
namespace fs = std::filesystem;

const fs::path kFixtures = MTB_REPORT_FIXTURES;
const std::string kHw = "Test_Xeon_2C_24GB";
const std::string kModel = "qwen-2.5-0.5b-it";
const fs::path kSpeedRun = kFixtures / "llm_benchmarks" / kHw / "2026-12-03__09:00:00";
const fs::path kQualityRun = kFixtures / "llm_quality" / kHw / "2026-12-03__09:30:00";
constexpr const char* kCpu = "Intel Xeon Processor (Cascadelake)";

nlohmann::json settings(const std::string& datetime, std::vector<std::string> command) {
  return {{"datetime", datetime},
          {"contributor", "test"},
          {"git_commit", "5f27792"},
          {"hardware_info",
           {{"processor", "x86_64"}, {"chip", kCpu}, {"memory", "24"}, {"total_cores", "2"}, {"performance_cores", "2"},
            {"efficiency_cores", "0"}, {"hardware_string", kHw}, {"host", nlohmann::json::object()},
            {"devices", nlohmann::json::array()}}},
          {"software_info",
           {{"platform", "Linux 6.1 x86_64"}, {"mtb_version", "0.1.0"}, {"mtb_commit", "5f27792"},
            {"llamacpp_commit", "de3ff81"}, {"compiler", "GNU 12.2.0"}, {"build_type", "Release"},
            {"backends", {{"llamacpp", "llama.cpp de3ff81"}, {"torch", "libtorch 1.13.0"}}}}},
          {"seed", 42},
          {"command", command},
          {"plan", {{"axes", nlohmann::json::object()}, {"cases", nlohmann::json::array()}}},
          {"finished", true}};
}

struct Weights {
  uint64_t bytes;
  double bits_per_weight;
};
Weights weights(const std::string& precision) {
  static const std::map<std::string, Weights> w = {{"f32", {1976131072, 32.0}}, {"bf16", {988065536, 16.0}},
                                                   {"q8_0", {531068416, 8.6}},   {"q4_k_m", {397805568, 6.44}},
                                                   {"q4_0", {352988672, 5.72}}};
  return w.at(precision);
}

// A speed case as `mtb llm -p 64,256 -n 32 -r 3` records it on the 2-core Xeon: three repetitions
// around the given rates, the summaries derived from them as mtb derives them.
Record speed(const std::string& backend, const std::string& precision, int n_prompt, double pp_tps, double tg_tps) {
  Record r;
  r.spec = {.model = kModel, .backend = backend, .device = "cpu", .precision = precision, .n_prompt = n_prompt,
            .n_gen = 32, .reps = 3, .warmup = 1};
  r.model_path = "/root/.cache/mtb/models/" + kModel + "-" + precision + ".gguf";
  r.model_arch = "qwen2";
  r.model_desc = "qwen2 0.5B " + precision;
  r.model_bytes = weights(precision).bytes;
  r.model_n_params = 494032768;
  r.bits_per_weight = weights(precision).bits_per_weight;
  r.tokens_hash = n_prompt == 64 ? "5d0e81c4a7f2b936" : "e2a9174bc05d3f68";
  r.generated = {13, 576, 1879, 315, 279, 1156, 13, 576};
  r.load_s = backend == "torch" ? 2.41 : 0.87;
  for (double jitter : {1.0, 1.012, 0.993}) r.prompt_s.push_back(n_prompt / pp_tps * jitter);
  for (double jitter : {1.0, 1.008, 0.995}) r.gen_s.push_back(32 / tg_tps * jitter);
  derive_numbers(r);
  r.peak_rss_bytes = r.model_bytes + 160'000'000;
  r.backend_version = backend == "torch" ? "libtorch 1.13.0" : "llama.cpp de3ff81";
  r.device_name = kCpu;
  r.started_at = "2026-12-03T09:00:00Z";
  r.wall_s = r.load_s + 4 * (r.prompt_s[0] + r.gen_s[0]);
  return r;
}

std::vector<Record> speed_records() {
  return {speed("llamacpp", "f32", 64, 150.3, 9.12),   speed("llamacpp", "f32", 256, 158.1, 8.41),
          speed("llamacpp", "bf16", 64, 180.9, 16.14), speed("llamacpp", "bf16", 256, 180.3, 13.32),
          speed("llamacpp", "q8_0", 64, 240.6, 24.61), speed("llamacpp", "q8_0", 256, 255.2, 19.83),
          speed("llamacpp", "q4_0", 64, 261.9, 28.45), speed("llamacpp", "q4_0", 256, 283.0, 20.93),
          speed("torch", "bf16", 64, 286.9, 9.66),     speed("torch", "bf16", 256, 450.3, 9.08)};
}

// A quality case of 8 windows of 512 tokens against llama.cpp's f32 on the same seeded weights and tokens.
QualityRecord quality(const std::string& backend, const std::string& precision, bool reference, double eval_s) {
  QualityRecord q;
  q.spec = {.model = kModel, .backend = backend, .device = "cpu", .precision = precision, .reference = reference,
            .ref_backend = "llamacpp", .ref_device = "cpu", .ref_precision = "f32"};
  q.synthetic = true;
  q.metrics.n_scored = 2040;  // 8 x (512 - 1 - 256)
  q.metrics.ppl_ref = {148377.2, 1021.6};
  q.n_vocab = 151936;
  q.tokens_hash = "c41f0a9e7d23b865";
  q.model_path = "/root/.cache/mtb/models/" + kModel + "-" + precision + ".gguf";
  q.device_name = kCpu;
  q.backend_version = backend == "torch" ? "libtorch 1.13.0" : "llama.cpp de3ff81";
  q.started_at = "2026-12-03T09:30:00Z";
  q.model_bytes = weights(precision).bytes;
  q.bits_per_weight = weights(precision).bits_per_weight;
  q.eval_s = eval_s;
  q.wall_s = eval_s + (backend == "torch" ? 2.6 : 1.1);
  return q;
}

// A measured figure's significant digits (no 0.0008820000000000001 from the arithmetic below).
double sig(double x, int digits = 4) { return std::stod(fmt::format("{:.{}g}", x, digits)); }

// The candidate's figures: mean KLD ± its standard error and the rest of llama-perplexity's statistics,
// shaped as they come out on Gaussian weights (a long tail: p99 ~5x and max ~20x the mean).
QualityRecord candidate(const std::string& backend, const std::string& precision, double eval_s, double kld,
                        double same_top1, double dp_rms) {
  QualityRecord q = quality(backend, precision, false, eval_s);
  QualityMetrics& m = q.metrics;
  m.kld = {kld, sig(kld * 0.0075)};
  m.kld_median = sig(kld * 0.74);
  m.kld_p90 = sig(kld * 2.1);
  m.kld_p99 = sig(kld * 4.7);
  m.kld_max = sig(kld * 19.5);
  m.same_top1_pct = {same_top1, sig(std::sqrt(same_top1 * (100 - same_top1) / 2040))};
  m.dp_mean_pct = {sig(-dp_rms * 0.04), sig(dp_rms * 0.022)};
  m.dp_rms_pct = {dp_rms, sig(dp_rms * 0.031)};
  m.dp_max_abs_pct = sig(dp_rms * 11.3);
  m.ln_ppl_ratio = {sig(kld * 1.002), sig(kld * 0.0081)};
  m.ppl_ratio = {sig(std::exp(m.ln_ppl_ratio.value), 7), sig(m.ln_ppl_ratio.uncertainty * std::exp(m.ln_ppl_ratio.value))};
  m.ppl = {sig(m.ppl_ref.value * m.ppl_ratio.value, 7), sig(m.ppl_ref.uncertainty * m.ppl_ratio.value, 5)};
  return q;
}

std::vector<QualityRecord> quality_records() {
  QualityRecord skipped = quality("torch", "q4_0", false, 0);
  skipped.status = Status::skipped;
  skipped.error = "libtorch 1.13.0 has no weight-only int4 kernel (_weight_int4pack_mm: torch >= 2.5 on CUDA, >= 2.6 on the CPU)";
  skipped.metrics = {};
  skipped.wall_s = 0.4;
  return {quality("llamacpp", "f32", true, 25.9),
          candidate("llamacpp", "bf16", 22.7, 3.1e-5, 99.51, 0.0041),
          candidate("llamacpp", "q8_0", 16.1, 4.2e-4, 98.14, 0.0163),
          candidate("llamacpp", "q4_0", 14.5, 2.13e-2, 87.62, 0.1187),
          candidate("llamacpp", "q4_k_m", 15.2, 1.18e-2, 90.73, 0.0884),  // no speed run of it: listed, not drawn
          candidate("torch", "bf16", 9.1, 3.4e-5, 99.46, 0.0044),
          skipped};
}

std::string jsonl(const auto& records) {
  std::string out;
  for (const auto& r : records) out += nlohmann::json(r).dump() + "\n";
  return out;
}

std::map<fs::path, std::string> fixture_files() {
  const auto speeds = speed_records();
  const auto qualities = quality_records();
  return {
      {kSpeedRun / "settings.json",
       settings("2026-12-03__09:00:00", {"mtb", "llm", "-b", "llamacpp,torch", "-t", "f32,bf16,q8_0,q4_0", "-p", "64,256",
                                          "-n", "32", "-r", "3"})
               .dump(2) + "\n"},
      {kSpeedRun / "results.jsonl", jsonl(speeds)},
      {kSpeedRun / "benchmark_results.csv", record_fields().csv(speeds)},
      {kQualityRun / "settings.json",
       settings("2026-12-03__09:30:00", {"mtb", "quality", "-b", "llamacpp,torch", "-t", "bf16,q8_0,q4_0,q4_k_m"}).dump(2) + "\n"},
      {kQualityRun / "results.jsonl", jsonl(qualities)},
      {kQualityRun / "benchmark_results.csv", quality_record_fields().csv(qualities)},
  };
}

TEST(ReportQualityFixture, IsWhatTheRecordTypesWrite) {
  const bool regrow = std::getenv("MTB_FIXTURE_REGROW") != nullptr;
  for (const auto& [path, text] : fixture_files()) {
    if (regrow) {
      fs::create_directories(path.parent_path());
      write_text(path, text);
      continue;
    }
    ASSERT_TRUE(fs::exists(path)) << path << ": regrow the fixture (MTB_FIXTURE_REGROW=1)";
    EXPECT_EQ(read_text(path), text) << path << " is not what the records write now: regrow it (MTB_FIXTURE_REGROW=1)";
  }
}

TEST(ReportQualityFixture, ReadsAsOneSpeedRunAndOneQualityRun) {
  const report::RunSet set = report::load_measurements({kFixtures});
  EXPECT_TRUE(set.problems.empty()) << set.problems[0].file << ": " << set.problems[0].message;
  ASSERT_EQ(set.runs.size(), 2u);
  const report::Run& q = set.runs[1];
  EXPECT_EQ(q.kind, report::RunKind::quality);
  EXPECT_EQ(q.hardware, kHw);
  ASSERT_EQ(q.quality.size(), 7u);
  EXPECT_TRUE(q.quality[0].spec.reference);
  EXPECT_EQ(q.quality[6].status, Status::skipped);

  const auto joined = report::join_speed_quality({&set.runs[0], &set.runs[1]});
  ASSERT_EQ(joined.size(), 1u);
  EXPECT_EQ(joined[0].n_prompt, 256);  // both lengths measured by every series: the longer
  EXPECT_EQ(joined[0].drawn.size(), 4u);
  EXPECT_EQ(joined[0].no_speed.size(), 1u);
  EXPECT_EQ(joined[0].failed.size(), 1u);
}

struct Page {
  int exit_code;
  std::string err, page, index;
};
Page report_of(const fs::path& root, const std::string& options = "") {
  const fs::path site = make_temp_dir("quality-site");
  const auto r = run_mtb(fmt::format("report '{}' -o '{}' {}", root.string(), site.string(), options));
  Page p{r.exit_code, r.err, "", ""};
  if (r.exit_code == 0) p.page = read_text(site / (kHw + ".html")), p.index = read_text(site / "index.html");
  return p;
}

TEST(ReportQualityCli, ThePageChartsSpeedAgainstKldAndRanksWithinTheBound) {
  const Page p = report_of(kFixtures);
  ASSERT_EQ(p.exit_code, 0) << p.err;
  EXPECT_EQ(p.err.find("skipped"), std::string::npos) << p.err;
  EXPECT_NE(p.page.find("<h2 id=\"speed-quality\">Speed and quality</h2>"), std::string::npos);
  EXPECT_NE(p.page.find("id=\"quality-0\""), std::string::npos);
  EXPECT_NE(p.page.find("<th>fastest generation, KLD ≤ 0.05</th>"), std::string::npos);
  // q4_0 is the fastest at prompt 256 and within 0.05; its cell says the weights were synthetic, and
  // the note says what that means, below the table and in the section.
  EXPECT_NE(p.page.find("<span class=\"win\">llamacpp cpu q4_0</span> · synthetic weights"), std::string::npos);
  EXPECT_NE(p.page.find("<p class=\"problem\">" + report::html_escape(report::kSyntheticKldNote)), std::string::npos);
  EXPECT_NE(p.page.find("Not drawn, no generation speed of the same backend, device and precision at prompt 256"),
            std::string::npos);
  EXPECT_NE(p.page.find("llamacpp cpu q4_k_m"), std::string::npos);
  EXPECT_NE(p.page.find("Not drawn, no successful quality record: torch cpu q4_0 (skipped: libtorch 1.13.0"),
            std::string::npos);
  // The index lists the quality run with its kind and its weights.
  EXPECT_NE(p.index.find("<th>quality runs</th>"), std::string::npos);
  EXPECT_NE(p.index.find("<td>quality, synthetic weights</td>"), std::string::npos);

  const Page tight = report_of(kFixtures, "--max-kld 0.01");
  ASSERT_EQ(tight.exit_code, 0) << tight.err;
  EXPECT_NE(tight.page.find("<th>fastest generation, KLD ≤ 0.01</th>"), std::string::npos);
  EXPECT_NE(tight.page.find("<span class=\"win\">llamacpp cpu q8_0</span> · synthetic weights"), std::string::npos);
}

TEST(ReportQualityCli, MaxKldMustBeAFiniteBoundAboveZero) {
  for (const char* bad : {"0", "-0.1", "nan", "inf", "abc", "0.05x"}) {
    const auto r = run_mtb(fmt::format("report '{}' -o '{}' --max-kld='{}'", kFixtures.string(),
                                       (make_temp_dir("bad-bound") / "site").string(), bad));
    EXPECT_EQ(r.exit_code, 1) << bad << "\n" << r.err;
    EXPECT_NE(r.err.find("--max-kld"), std::string::npos) << bad << "\n" << r.err;
  }
}

TEST(ReportQualityCli, MalformedQualityLinesAreProblemsAndTheRestIsRead) {
  const fs::path root = make_temp_dir("quality-malformed") / "measurements";
  fs::copy(kFixtures, root, fs::copy_options::recursive);
  const fs::path results = root / "llm_quality" / kHw / kQualityRun.filename() / "results.jsonl";
  write_text(results, read_text(results) + "{\"model\": \"qwen-2.5-0.5b-it\", \"backend\": \"llamacpp\"}\nnot json\n");
  const report::RunSet set = report::load_measurements({root});
  ASSERT_EQ(set.problems.size(), 2u);
  EXPECT_EQ(set.problems[0].file, results);
  EXPECT_NE(set.problems[0].message.find("line 8: not a record"), std::string::npos) << set.problems[0].message;
  EXPECT_NE(set.problems[1].message.find("line 9: not a record"), std::string::npos) << set.problems[1].message;
  ASSERT_EQ(set.runs.size(), 2u);
  EXPECT_EQ(set.runs[1].quality.size(), 7u);

  const Page p = report_of(root);
  ASSERT_EQ(p.exit_code, 0) << p.err;
  EXPECT_NE(p.err.find("skipped " + results.string() + ": line 8: not a record"), std::string::npos) << p.err;
  EXPECT_NE(p.page.find("id=\"quality-0\""), std::string::npos);

  // A quality folder without results.jsonl is not read as the ancestor's CSV.
  fs::remove(results);
  const report::RunSet without = report::load_measurements({root});
  ASSERT_EQ(without.problems.size(), 1u);
  EXPECT_NE(without.problems[0].message.find("a quality run without results.jsonl"), std::string::npos)
      << without.problems[0].message;
}

}  // namespace
}  // namespace mtb::test
