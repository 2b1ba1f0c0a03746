// `mtb compare`: the statistics, then the binary, on synthetic records: two runs of one plan, and a
// copy with one case slowed by 20%. Synthetic, so a busy machine changes nothing.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "core/stats.h"
#include "llm/derived.h"
#include "report/compare.h"
#include "report/run.h"
#include "test_support.h"

namespace mtb::report {
namespace {
namespace fs = std::filesystem;

Record record(const std::string& precision, int n_prompt, std::vector<double> prompt_s, std::vector<double> gen_s) {
  Record r;
  r.spec = {.model = "tiny", .backend = "llamacpp", .device = "cpu", .precision = precision, .n_prompt = n_prompt, .n_gen = 8};
  r.prompt_s = std::move(prompt_s);
  r.gen_s = std::move(gen_s);
  derive_numbers(r);
  return r;
}

TEST(WelchTest, SeparatesShiftedSamplesAndNotNoise) {
  const std::vector<double> a{10.0, 10.2, 9.9, 10.1, 10.0}, same{10.1, 9.9, 10.0, 10.2, 10.0}, slow{12.0, 12.2, 11.9, 12.1, 12.0};
  EXPECT_FALSE(welch_t_test(a, same).significant);
  const WelchTest w = welch_t_test(a, slow);
  EXPECT_TRUE(w.valid);
  EXPECT_TRUE(w.significant);
  EXPECT_LT(w.t, -10);
  EXPECT_FALSE(welch_t_test(std::vector<double>{1.0}, a).valid);  // one sample: no variance to test against
}

TEST(CompareRecords, MatchesCasesAndFlagsOnlyTheSlowedOne) {
  const std::vector<Record> a = {record("f32", 16, {0.010, 0.011, 0.0105}, {0.020, 0.021, 0.0205}),
                                 record("q4_0", 16, {0.005, 0.0052, 0.0051}, {0.008, 0.0082, 0.0081})};
  std::vector<Record> b = a;
  b[1] = record("q4_0", 16, {0.00625, 0.0065, 0.006375}, {0.010, 0.01025, 0.010125});  // every time x1.25
  b.push_back(record("q8_0", 16, {0.01}, {0.01}));
  const Comparison c = compare_records(a, b, {});
  ASSERT_EQ(c.matched.size(), 2u);
  EXPECT_TRUE(c.only_a.empty());
  ASSERT_EQ(c.only_b.size(), 1u);
  EXPECT_EQ(c.only_b[0].precision, "q8_0");
  for (const auto& m : c.matched[0].metrics) EXPECT_FALSE(m.significant) << m.metric;
  ASSERT_EQ(c.matched[1].metrics.size(), 2u);
  for (const auto& m : c.matched[1].metrics) {
    EXPECT_TRUE(m.significant) << m.metric;
    EXPECT_NEAR(m.ratio, 0.8, 1e-9);
  }
  EXPECT_EQ(regressions(c, 10).size(), 2u);
  EXPECT_EQ(regressions(c, 25).size(), 0u);
}

// Two GPU placements of one case are two cases: each matched with its own, neither with the other.
TEST(CompareRecords, EachGpuPlacementIsACaseOfItsOwn) {
  Record layer = record("q4_0", 16, {0.005, 0.0052, 0.0051}, {0.008, 0.0082, 0.0081});
  layer.spec.device = "cuda";
  Record row = layer;
  row.spec.gpu.split_mode = "row";
  const Comparison c = compare_records({layer, row}, {layer}, {});
  ASSERT_EQ(c.matched.size(), 1u);
  EXPECT_EQ(c.matched[0].spec.gpu.split_mode, "layer");
  ASSERT_EQ(c.only_a.size(), 1u);
  EXPECT_EQ(c.only_a[0].gpu.split_mode, "row");
}

// A load case of a server at concurrency 4: 12 requests of 9 tokens, each taking `e2e` seconds (with
// a little seeded spread), so compare tests the per-request samples.
Record load_case(double e2e, uint32_t seed) {
  Record r;
  r.spec = {.model = "tiny", .backend = "server", .device = "cpu", .precision = "f32", .n_prompt = 16, .n_gen = 8};
  r.spec.load.concurrency = 4;
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(1.0, 0.02);
  for (int i = 0; i < 12; ++i) {
    RequestRow q;
    q.send_s = i * 0.1;
    q.first_token_s = q.send_s + 0.01;
    q.end_s = q.send_s + e2e * noise(rng);
    q.output_tokens = 9;
    r.requests.push_back(q);
  }
  derive_numbers(r);
  return r;
}

TEST(CompareRecords, LoadCasesAreComparedRequestByRequest) {
  const std::vector<Record> a{load_case(0.2, 1)}, same{load_case(0.2, 2)}, slow{load_case(0.25, 3)};
  const Comparison c = compare_records(a, same, {});
  ASSERT_EQ(c.matched.size(), 1u);
  EXPECT_NE(match_key(c.matched[0].spec).find("c4"), std::string::npos);  // the load is part of the case
  ASSERT_EQ(c.matched[0].metrics.size(), 1u);
  EXPECT_EQ(c.matched[0].metrics[0].metric, "request t/s");
  EXPECT_FALSE(c.matched[0].metrics[0].significant);
  const Comparison s = compare_records(a, slow, {});
  ASSERT_EQ(s.matched[0].metrics.size(), 1u);
  EXPECT_TRUE(s.matched[0].metrics[0].significant);
  EXPECT_NEAR(s.matched[0].metrics[0].ratio, 0.8, 0.03);
}

// A run folder of the same four cases (f32 and q4_0, prompts 16 and 64), each timed 8 times with
// seeded noise of about 1%: two seeds are two runs of one plan on a steady machine.
fs::path synthetic_run(const fs::path& root, const std::string& stamp, uint32_t seed) {
  const fs::path dir = root / "llm_benchmarks" / "Test_CPU_2C_24GB" / stamp;
  fs::create_directories(dir);
  test::write_text(dir / "settings.json", R"({"datetime": ")" + stamp + R"(", "plan": {"axes": {}, "cases": []}})");
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(1.0, 0.01);
  std::string out;
  for (const char* precision : {"f32", "q4_0"})
    for (int n_prompt : {16, 64}) {
      const double base = precision == std::string("f32") ? 0.010 : 0.005;
      std::vector<double> pp, tg;
      for (int i = 0; i < 8; ++i) {
        pp.push_back(base * n_prompt / 16 * noise(rng));
        tg.push_back(2 * base * noise(rng));
      }
      out += nlohmann::json(record(precision, n_prompt, pp, tg)).dump() + "\n";
    }
  test::write_text(dir / "results.jsonl", out);
  return dir;
}

// Copies a run folder, slowing one case (every prompt and generation time x1.25: 20% fewer t/s).
fs::path slowed_copy(const fs::path& run, const std::string& key) {
  const fs::path dir = test::make_temp_dir("slowed") / run.filename();
  fs::create_directories(dir);
  fs::copy_file(run / "settings.json", dir / "settings.json");
  std::istringstream in(test::read_text(run / "results.jsonl"));
  std::string line, out;
  int slowed = 0;
  while (std::getline(in, line)) {
    Record r = nlohmann::json::parse(line).get<Record>();
    if (match_key(r.spec) == key) {
      for (double& s : r.prompt_s) s *= 1.25;
      for (double& s : r.gen_s) s *= 1.25;
      derive_numbers(r);
      ++slowed;
    }
    out += nlohmann::json(r).dump() + "\n";
  }
  EXPECT_EQ(slowed, 1);
  test::write_text(dir / "results.jsonl", out);
  return dir;
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

TEST(CompareCli, TwoRunsOfOnePlanShowNoSignificantChange) {
  const fs::path root = test::make_temp_dir("same-plan");
  const fs::path a = synthetic_run(root, "2026-12-01__10:00:00", 1), b = synthetic_run(root, "2026-12-01__11:00:00", 2);
  const auto r = test::run_mtb(fmt::format("compare '{}' '{}' --threshold 10 --fail-above 10", a.string(), b.string()));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("4 matched cases, 0 significant changes"), std::string::npos) << r.out;
  EXPECT_EQ(count(r.out, "SLOWER"), 0u) << r.out;
}

TEST(CompareCli, ACopyWithOneCaseSlowedReportsExactlyThatCase) {
  const fs::path a = synthetic_run(test::make_temp_dir("slowed-plan"), "2026-12-01__10:00:00", 3);
  std::vector<Problem> problems;
  const report::Run run = load_run(a, problems);
  ASSERT_EQ(run.llm.size(), 4u);
  const std::string key = match_key(run.llm[1].spec);
  const fs::path slowed = slowed_copy(a, key);
  const auto r = test::run_mtb(fmt::format("compare '{}' '{}'", a.string(), slowed.string()));
  EXPECT_EQ(r.exit_code, 0) << r.err;  // no --fail-above: report only
  EXPECT_NE(r.out.find("4 matched cases, 2 significant changes"), std::string::npos) << r.out;
  std::istringstream lines(r.out);
  std::string line;
  int slower_lines = 0;
  while (std::getline(lines, line))
    if (line.find("SLOWER -20.0% *") != std::string::npos) {
      ++slower_lines;
      EXPECT_EQ(line.rfind(key, 0), 0u) << "flagged another case: " << line;
    }
  EXPECT_EQ(slower_lines, 2) << r.out;  // its prompt and its generation throughput

  const auto gate = test::run_mtb(fmt::format("compare '{}' '{}' --fail-above 10", a.string(), slowed.string()));
  EXPECT_EQ(gate.exit_code, 4) << gate.out << gate.err;
  EXPECT_NE(gate.err.find("regression: " + key + " pp t/s -20.0%"), std::string::npos) << gate.err;
  const auto loose = test::run_mtb(fmt::format("compare '{}' '{}' --fail-above 25", a.string(), slowed.string()));
  EXPECT_EQ(loose.exit_code, 0) << loose.err;
}

TEST(CompareCli, AQualityRunIsRefusedSayingWhatCompareReads) {
  const fs::path q = fs::path(MTB_REPORT_FIXTURES) / "llm_quality/Test_Xeon_2C_24GB/2026-12-03__09:30:00";
  const auto r = test::run_mtb(fmt::format("compare '{}' '{}'", q.string(), q.string()));
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.err.find(q.string() + ": a quality run (KL divergence, no timings); compare reads LLM benchmark runs"),
            std::string::npos)
      << r.err;
}

TEST(CompareCli, NotARunFolderIsAClearError) {
  const fs::path empty = test::make_temp_dir("empty");
  const auto r = test::run_mtb(fmt::format("compare '{}' '{}'", empty.string(), empty.string()));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(empty.string() + ": not a run folder"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace mtb::report
