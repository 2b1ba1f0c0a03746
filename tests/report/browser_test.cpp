// The report as a reader sees it: every page loaded in headless Chromium (Debian's, driven by
// playwright-core from third_party/npm) with no console errors, every expected chart drawn with the
// right number of traces (the speed-quality charts of a quality run included), and every link
// resolving. Keeps screenshots in the build folder.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "report/fastest.h"
#include "report/llm_series.h"
#include "report/run.h"
#include "report/site.h"
#include "test_support.h"

namespace mtb::test {
namespace {
namespace fs = std::filesystem;

std::string find_chromium() {
  for (const char* p : {"/usr/bin/chromium", "/usr/bin/chromium-browser"})
    if (fs::exists(p)) return p;
  return "";
}

// What a page must show, counted from the records rather than from the page code: per model a prompt,
// a TTFT and a generation chart with one trace per framework/backend/precision, a memory chart where
// memory was recorded; per layer op one chart with one trace per framework/backend/compile/dtype.
// Serving load, per model with load records: a throughput chart (a trace per server series and per
// in-process series that ran a batch above 1), TTFT and TPOT charts (p50 and p99 per server series of
// closed loops), and a request-rate chart where there are open loops. Speed and quality, per model
// with quality records: one trace per backend/device/precision with a successful candidate record and
// a single-stream generation speed at the prompt length "Which is fastest" ranks at, plus the front.
std::map<std::string, int> expected_traces(const std::vector<const report::Run*>& runs) {
  std::map<std::string, std::set<std::string>> llm_series, mem_series, layer_series, roofline_series, closed, open, batched;
  std::map<std::string, std::set<std::string>> measured_quality;       // model -> backend|device|precision
  std::map<std::string, std::set<std::pair<std::string, int>>> speeds;  // model -> (backend|device|precision, n_prompt)
  std::set<std::string> quality_models;
  for (const auto* run : runs) {
    for (const auto& q : run->quality) {
      quality_models.insert(q.spec.model);
      if (q.status == Status::ok && !q.spec.reference)
        measured_quality[q.spec.model].insert(q.spec.backend + "|" + q.spec.device + "|" + q.spec.precision);
    }
    for (const auto& r : run->llm) {
      if (r.status != Status::ok) continue;
      const std::string base = r.spec.backend + "|" + r.spec.device + "|" + r.spec.precision;
      if (r.spec.load.active()) {
        (r.spec.load.open_loop() ? open : closed)[r.spec.model].insert(base);
        continue;
      }
      if (r.spec.batch > 1 && r.spec.n_depth == 0 && r.gen_tps.n > 0) batched[r.spec.model].insert(base);
      if (r.spec.batch == 1 && r.spec.n_depth == 0 && r.gen_tps.n > 0) speeds[r.spec.model].insert({base, r.spec.n_prompt});
      if (r.prompt_tps.n == 0 && r.gen_tps.n == 0) continue;
      const std::string s = base + "|b" + std::to_string(r.spec.batch) + "|d" + std::to_string(r.spec.n_depth);
      llm_series[r.spec.model].insert(s);
      if (r.peak_memory_bytes() > 0) mem_series[r.spec.model].insert(s);
    }
    for (const auto& l : run->layers) {
      const std::string s = l.framework + "|" + l.backend + "|" + std::to_string(l.compiled) + "|" + l.dtype;
      layer_series[l.name].insert(s);
      if (l.roofline_pct) roofline_series[l.name].insert(s);  // % of roofline where it was recorded
    }
  }
  std::map<std::string, int> out;
  int i = 0;
  for (const auto& [model, series] : llm_series) {  // models in sorted order, as the page numbers them
    for (const char* metric : {"prompt", "ttft", "gen"}) out[fmt::format("llm-{}-{}", i, metric)] = series.size();
    if (mem_series.count(model)) out[fmt::format("llm-{}-memory", i)] = mem_series[model].size();
    ++i;
  }
  i = 0;
  std::set<std::string> load_models;
  for (const auto* m : {&closed, &open})
    for (const auto& [model, _] : *m) load_models.insert(model);
  for (const auto& model : load_models) {
    const size_t n_closed = closed.count(model) ? closed[model].size() : 0;
    if (const size_t n = n_closed + (batched.count(model) ? batched[model].size() : 0); n)
      out[fmt::format("load-{}-throughput", i)] = n;
    if (n_closed) out[fmt::format("load-{}-ttft", i)] = out[fmt::format("load-{}-tpot", i)] = 2 * n_closed;
    if (open.count(model)) out[fmt::format("load-{}-rate", i)] = open[model].size();
    ++i;
  }
  std::map<std::string, int> ranked_prompt;
  for (const auto& m : report::group_llm(runs)) ranked_prompt[m.model] = report::common_prompt_length(m);
  i = 0;
  for (const auto& model : quality_models) {
    size_t drawn = 0;
    for (const auto& label : measured_quality[model])
      drawn += ranked_prompt.count(model) && speeds[model].count({label, ranked_prompt[model]});
    if (drawn) out[fmt::format("quality-{}", i)] = drawn + 1;
    ++i;
  }
  i = 0;
  for (const auto& [op, series] : layer_series) {
    if (roofline_series.count(op)) out[fmt::format("layer-{}-roofline", i)] = roofline_series[op].size();
    out[fmt::format("layer-{}", i++)] = series.size();
  }
  return out;
}

TEST(ReportInBrowser, EveryPageDrawsItsChartsWithoutErrorsAndLinksResolve) {
  const std::string chromium = find_chromium();
  if (chromium.empty()) GTEST_SKIP() << "chromium is not installed (scripts/setup.sh --tests installs it on Linux)";
  if (run_command("node --version").exit_code != 0) GTEST_SKIP() << "node is not installed (scripts/setup.sh installs it)";
  if (!fs::exists(fs::path(MTB_NPM_MODULES) / "playwright-core"))
    GTEST_SKIP() << "playwright-core is not in " << MTB_NPM_MODULES << " (scripts/setup.sh --tests installs it)";

  // The ancestor's runs (where ../shared is present) beside an mtb run, as a user would report them.
  MTB_REQUIRE_TINY_RUNS();
  const auto& runs = tiny_runs();
  // And the golden fixture's runs: every kind of LLM record, serving load included; and a quality run
  // beside a speed run of the same model (synthetic weights).
  std::vector<fs::path> roots{runs.a, MTB_GOLDEN_FIXTURES, MTB_REPORT_FIXTURES};
  if (!seed_dir().empty()) roots.push_back(seed_dir());
  const fs::path artefacts = MTB_TEST_ARTEFACTS;
  const fs::path site = artefacts / "site";
  fs::remove_all(site);
  std::string args;
  for (const auto& r : roots) args += " '" + r.string() + "'";
  const auto rep = run_mtb(fmt::format("report{} -o '{}'", args, site.string()));
  ASSERT_EQ(rep.exit_code, 0) << rep.err;

  const report::RunSet set = report::load_measurements(roots);
  ASSERT_TRUE(set.problems.empty());
  std::map<std::string, std::vector<const report::Run*>> by_hw;
  for (const auto& r : set.runs) by_hw[r.hardware].push_back(&r);
  ASSERT_EQ(by_hw.size(), seed_dir().empty() ? 3u : 4u);

  // One screenshot kept as an artefact: the ancestor's page where present (it has every kind of chart).
  const std::string shot_hw = seed_dir().empty() ? by_hw.begin()->first : "Apple_M4_Pro_10P+4E+20GPU_24GB";
  const fs::path shot = artefacts / "report-page.png", quality_shot = artefacts / "speed-quality-page.png";
  const std::string quality_hw = "Test_Xeon_2C_24GB";  // the fixture's speed and quality runs
  fs::remove(shot);
  fs::remove(quality_shot);
  std::string pages = " '" + (site / "index.html").string() + "'";
  for (const auto& [hw, _] : by_hw) pages += " '" + (site / report::page_file_name(hw)).string() + "'";
  const auto check = run_command(fmt::format(
      "node '{}' --playwright '{}' --chromium '{}' --screenshot '{}={}@1400x1000' --screenshot '{}={}'{}", MTB_BROWSER_CHECK,
      MTB_NPM_MODULES, chromium, report::page_file_name(shot_hw), shot.string(), report::page_file_name(quality_hw),
      quality_shot.string(), pages));
  ASSERT_EQ(check.exit_code, 0) << check.err;
  const nlohmann::json result = nlohmann::json::parse(check.out);
  ASSERT_EQ(result.at("pages").size(), by_hw.size() + 1);
  std::map<std::string, std::string> quality_titles;  // hardware -> its speed-quality charts' titles

  for (const auto& page : result.at("pages")) {
    const std::string file = page.at("file");
    SCOPED_TRACE(file);
    EXPECT_TRUE(page.at("drawn").get<bool>()) << "the page script never finished drawing";
    EXPECT_TRUE(page.at("consoleErrors").empty()) << page.at("consoleErrors").dump(1);
    EXPECT_TRUE(page.at("brokenLinks").empty()) << page.at("brokenLinks").dump(1);
    EXPECT_GT(page.at("links").get<int>(), 0);
    if (fs::path(file).filename() == "index.html") {
      EXPECT_GE(page.at("links").get<size_t>(), by_hw.size());  // one per hardware page, at least
      EXPECT_TRUE(page.at("plots").empty());
      continue;
    }
    const std::string hw = [&] {
      for (const auto& [h, _] : by_hw)
        if (fs::path(file).filename() == report::page_file_name(h)) return h;
      return std::string();
    }();
    ASSERT_FALSE(hw.empty());
    const auto expected = expected_traces(by_hw[hw]);
    std::map<std::string, int> drawn;
    for (const auto& plot : page.at("plots")) {
      EXPECT_EQ(plot.at("drawnTraces").get<int>(), plot.at("traces").get<int>()) << plot.at("id");
      drawn[plot.at("id")] = plot.at("drawnTraces").get<int>();
      if (plot.at("id").get<std::string>().starts_with("quality-")) {
        // A marker per point (the front is a line), on a log axis, titled with its weights.
        EXPECT_EQ(plot.at("markers").get<int>(), plot.at("traces").get<int>() - 1) << plot.at("id");
        EXPECT_EQ(plot.at("xType"), "log");
        quality_titles[hw] += plot.at("title").get<std::string>();
      }
    }
    EXPECT_EQ(drawn, expected);
  }
  // The fixture's page exactly: four points (three on the front) and the front line, titled as
  // synthetic; no other hardware has quality runs.
  EXPECT_EQ(expected_traces(by_hw[quality_hw]).at("quality-0"), 5);
  EXPECT_NE(quality_titles[quality_hw].find("synthetic weights"), std::string::npos) << quality_titles[quality_hw];
  EXPECT_EQ(quality_titles.size(), 1u);
  // The tiny run's page, exactly: tiny with f32 and q4_0 on the CPU gives 4 charts of 2 lines; the
  // fixture's load charts: two server series (closed loop; open loop) beside one batched series.
  const std::string tiny_hw = runs.a.parent_path().filename().string();
  EXPECT_EQ(expected_traces(by_hw[tiny_hw]),
            (std::map<std::string, int>{{"llm-0-prompt", 2}, {"llm-0-ttft", 2}, {"llm-0-gen", 2}, {"llm-0-memory", 2}}));
  const auto fixture = expected_traces(by_hw["Test_EPYC_2C_24GB"]);
  EXPECT_EQ(fixture.at("load-0-throughput"), 2);
  EXPECT_EQ(fixture.at("load-0-ttft"), 2);
  EXPECT_EQ(fixture.at("load-0-rate"), 1);
  ASSERT_TRUE(fs::exists(shot));
  EXPECT_GT(fs::file_size(shot), 10000u);
  ASSERT_TRUE(fs::exists(quality_shot));
  fmt::print("screenshots kept: {}, {}\nsite kept: {}\n", shot.string(), quality_shot.string(),
             (site / "index.html").string());
}

}  // namespace
}  // namespace mtb::test
