// The speed-quality join and its Pareto front, "fastest within a KLD bound", and the chart drawn from
// them, on records built here: which quality record meets which speed, what is left undrawn and why.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "llm/derived.h"
#include "report/fastest.h"
#include "report/html.h"
#include "report/llm_series.h"
#include "report/pages.h"
#include "report/sections.h"
#include "report/speed_quality.h"

namespace mtb::report {
namespace {

const std::string kModel = "qwen-2.5-0.5b-it";

QualityRecord candidate(const std::string& backend, const std::string& precision, double kld,
                        Status status = Status::ok, const std::string& model = kModel) {
  QualityRecord q;
  q.spec = {.model = model, .backend = backend, .device = "cpu", .precision = precision, .reference = false,
            .ref_backend = "llamacpp", .ref_device = "cpu", .ref_precision = "f32"};
  q.status = status;
  if (status != Status::ok) q.error = "no kernel for this precision";
  q.synthetic = true;
  q.metrics.n_scored = 2040;
  q.metrics.kld = {kld, kld / 50};
  return q;
}

QualityRecord reference(const std::string& model = kModel) {
  QualityRecord q;
  q.spec = {.model = model, .backend = "llamacpp", .device = "cpu", .precision = "f32", .reference = true,
            .ref_backend = "llamacpp", .ref_device = "cpu", .ref_precision = "f32"};
  q.synthetic = true;
  q.metrics.n_scored = 2040;
  q.metrics.ppl_ref = {148377.2, 1021.6};
  return q;
}

// Three repetitions of 32 generated tokens at about `gen_tps`, their summaries derived as mtb derives them.
Record speed(const std::string& backend, const std::string& precision, int n_prompt, double gen_tps, int batch = 1,
             int depth = 0) {
  Record r;
  r.spec = {.model = kModel, .backend = backend, .device = "cpu", .precision = precision, .n_prompt = n_prompt,
            .n_gen = 32, .n_depth = depth, .batch = batch};
  r.prompt_s = {n_prompt / 200.0, n_prompt / 201.0, n_prompt / 199.0};
  r.gen_s = {32 * batch / gen_tps, 32 * batch / (gen_tps * 1.01), 32 * batch / (gen_tps * 0.99)};
  derive_numbers(r);
  return r;
}

Run llm_run(const std::string& datetime, std::vector<Record> records) {
  Run r;
  r.kind = RunKind::llm;
  r.datetime = datetime;
  r.origin = "mtb";
  r.llm = std::move(records);
  return r;
}

Run quality_run(const std::string& datetime, std::vector<QualityRecord> records) {
  Run r;
  r.kind = RunKind::quality;
  r.datetime = datetime;
  r.origin = "mtb";
  r.quality = std::move(records);
  return r;
}

std::vector<const Run*> pointers(const std::vector<Run>& runs) {
  std::vector<const Run*> out;
  for (const auto& r : runs) out.push_back(&r);
  return out;
}

std::vector<std::string> labels(const std::vector<SpeedQualityPoint>& v) {
  std::vector<std::string> out;
  for (const auto& p : v) out.push_back(p.label);
  return out;
}

TEST(ReportParetoFront, NothingBothFasterAndCloser) {
  EXPECT_TRUE(pareto_front({}).empty());
  EXPECT_EQ(pareto_front({{0.02, 20}}), std::vector<bool>{true});  // a single point is its own front
  // bf16 close and slow, q8_0 between, q4_0 far and fast: each buys speed with KLD. torch bf16 is both
  // slower and farther than llama.cpp's bf16.
  EXPECT_EQ(pareto_front({{3.1e-5, 13.3}, {4.2e-4, 19.8}, {2.1e-2, 20.9}, {3.4e-5, 9.1}}),
            (std::vector<bool>{true, true, true, false}));
  // A faster point with more KLD does not push a closer one off the front.
  EXPECT_EQ(pareto_front({{0.01, 10}, {0.02, 30}}), (std::vector<bool>{true, true}));
}

TEST(ReportParetoFront, TiesKeepOnlyWhatBuysSomething) {
  // The same KLD: only the faster is on the front; the slower buys nothing for its speed.
  EXPECT_EQ(pareto_front({{0.01, 10}, {0.01, 12}}), (std::vector<bool>{false, true}));
  // The same speed: only the closer one.
  EXPECT_EQ(pareto_front({{0.01, 10}, {0.02, 10}}), (std::vector<bool>{true, false}));
  // Identical points: neither beats the other, both stay.
  EXPECT_EQ(pareto_front({{0.01, 10}, {0.01, 10}, {0.03, 5}}), (std::vector<bool>{true, true, false}));
}

TEST(ReportParetoFront, AKldOfZeroIsTheClosestPossible) {
  EXPECT_EQ(pareto_front({{0, 5}, {0.01, 10}, {0.02, 8}, {0, 4}}), (std::vector<bool>{true, true, false, false}));
  EXPECT_EQ(pareto_front({{0, 5}, {0, 5}}), (std::vector<bool>{true, true}));
}

// Two speed runs and two quality runs of one model: the newest of each wins, speeds are taken at the
// prompt length "Which is fastest" ranks at, and what cannot be drawn is kept with its reason.
class ReportSpeedQualityJoin : public ::testing::Test {
 protected:
  ReportSpeedQualityJoin() {
    runs_.push_back(llm_run("2026-12-01__10:00:00",
                            {speed("llamacpp", "q4_0", 64, 30), speed("llamacpp", "q4_0", 256, 20),
                             speed("llamacpp", "q8_0", 64, 25), speed("llamacpp", "q8_0", 256, 18),
                             speed("llamacpp", "bf16", 64, 14),  // no speed at 256: not drawn
                             speed("llamacpp", "q4_0", 256, 60, /*batch=*/4), speed("llamacpp", "q4_0", 256, 15, 1, 512),
                             speed("torch", "bf16", 256, 9)}));
    runs_.push_back(llm_run("2026-12-02__10:00:00", {speed("llamacpp", "q4_0", 256, 22)}));  // newer: this one
    runs_.push_back(quality_run("2026-12-01__11:00:00",
                                {reference(), candidate("llamacpp", "q4_0", 0.03), candidate("llamacpp", "q8_0", 0.002),
                                 candidate("llamacpp", "bf16", 3e-5), candidate("llamacpp", "f16", 1e-5),
                                 candidate("torch", "q4_0", 0, Status::skipped), candidate("torch", "bf16", 4e-5),
                                 reference("llama-3.2-1b-it")}));
    // Newer: q4_0's KLD; torch bf16 failed this time, so the older success stays drawn.
    runs_.push_back(quality_run("2026-12-03__11:00:00",
                                {reference(), candidate("llamacpp", "q4_0", 0.025), candidate("torch", "bf16", 0, Status::failed)}));
    joined_ = join_speed_quality(pointers(runs_));
  }
  std::vector<report::Run> runs_;
  std::vector<ModelSpeedQuality> joined_;
};

TEST_F(ReportSpeedQualityJoin, NewestQualityMeetsNewestSingleStreamSpeedAtTheRankedPromptLength) {
  ASSERT_EQ(joined_.size(), 2u);  // a model whose quality run measured only its reference is listed too
  const ModelSpeedQuality& m = joined_[1];
  ASSERT_EQ(m.model, kModel);
  ASSERT_TRUE(m.n_prompt.has_value());
  EXPECT_EQ(*m.n_prompt, 256);  // the length "Which is fastest" ranks at
  EXPECT_EQ(labels(m.drawn), (std::vector<std::string>{"torch cpu bf16", "llamacpp cpu q8_0", "llamacpp cpu q4_0"}));
  const SpeedQualityPoint& q4 = m.drawn[2];
  EXPECT_DOUBLE_EQ(q4.kld(), 0.025);                       // the newer quality run's
  EXPECT_EQ(q4.quality_run->datetime, "2026-12-03__11:00:00");
  EXPECT_NEAR(q4.gen_tps(), 22, 0.01);                     // the newer speed run's, single stream, depth 0
  EXPECT_EQ(q4.speed_run->datetime, "2026-12-02__10:00:00");
  EXPECT_EQ(q4.speed->spec.n_prompt, 256);
  EXPECT_EQ(m.drawn[0].quality_run->datetime, "2026-12-01__11:00:00");  // torch bf16's later failure does not hide it
  for (const auto& p : m.drawn) EXPECT_TRUE(p.pareto) << p.label;
  EXPECT_EQ(labels(m.no_speed), (std::vector<std::string>{"llamacpp cpu bf16", "llamacpp cpu f16"}));
  EXPECT_EQ(labels(m.failed), (std::vector<std::string>{"torch cpu q4_0"}));
  EXPECT_EQ(m.failed[0].quality->status, Status::skipped);
  EXPECT_TRUE(m.synthetic());

  const ModelSpeedQuality& only_reference = joined_[0];
  EXPECT_EQ(only_reference.model, "llama-3.2-1b-it");
  EXPECT_FALSE(only_reference.n_prompt.has_value());  // no LLM run of it
  EXPECT_TRUE(only_reference.drawn.empty() && only_reference.no_speed.empty() && only_reference.failed.empty());
}

TEST_F(ReportSpeedQualityJoin, TheRankedPromptLengthIsTheFastestTablesOne) {
  const auto fastest = fastest_per_model(group_llm(pointers(runs_)));
  ASSERT_EQ(fastest.size(), 1u);
  EXPECT_EQ(fastest[0].n_prompt, *joined_[1].n_prompt);
}

TEST_F(ReportSpeedQualityJoin, FastestWithinABoundIsTheFastestPointAtMostThatFar) {
  const ModelSpeedQuality& m = joined_[1];
  const auto loose = fastest_within_kld(m, 0.05);
  ASSERT_TRUE(loose);
  EXPECT_EQ(loose->leader.label, "llamacpp cpu q4_0");
  EXPECT_EQ(loose->leader.runner_up, "llamacpp cpu q8_0");
  EXPECT_EQ(loose->leader.contenders, 3);
  EXPECT_DOUBLE_EQ(loose->point->kld(), 0.025);
  const auto tight = fastest_within_kld(m, 0.01);
  ASSERT_TRUE(tight);
  EXPECT_EQ(tight->leader.label, "llamacpp cpu q8_0");
  EXPECT_EQ(fastest_within_kld(m, 0.002)->leader.label, "llamacpp cpu q8_0");  // the bound is inclusive
  const auto one = fastest_within_kld(m, 1e-4);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->leader.label, "torch cpu bf16");
  EXPECT_FALSE(one->leader.runner_up);
  EXPECT_FALSE(fastest_within_kld(m, 1e-5));
  EXPECT_FALSE(fastest_within_kld(joined_[0], 1));
}

TEST(ReportSpeedQuality, NoSpeedRunLeavesEveryPointUndrawnAndSaysSo) {
  const std::vector<report::Run> runs{quality_run("2026-12-01__11:00:00", {reference(), candidate("llamacpp", "q4_0", 0.02)})};
  const auto joined = join_speed_quality(pointers(runs));
  ASSERT_EQ(joined.size(), 1u);
  EXPECT_FALSE(joined[0].n_prompt);
  EXPECT_EQ(labels(joined[0].no_speed), std::vector<std::string>{"llamacpp cpu q4_0"});
  const Section s = speed_quality_charts(joined, {});
  EXPECT_TRUE(s.figures.empty());
  EXPECT_NE(s.html.find("no LLM run of this model on this hardware"), std::string::npos) << s.html;
  EXPECT_NE(s.html.find(html_escape(kSyntheticKldNote)), std::string::npos);
  EXPECT_TRUE(join_speed_quality(pointers({llm_run("2026-12-01__10:00:00", {speed("llamacpp", "q4_0", 64, 30)})})).empty());
}

TEST(ReportSpeedQualityChart, OnePointTraceEachAndTheFrontAKldOfZeroAtTheLeftEdge) {
  std::vector<report::Run> runs{llm_run("2026-12-01__10:00:00", {speed("llamacpp", "f32", 64, 9), speed("llamacpp", "q8_0", 64, 24),
                                                           speed("llamacpp", "q4_0", 64, 28), speed("torch", "f32", 64, 8)}),
                        quality_run("2026-12-01__11:00:00",
                                    {reference(), candidate("torch", "f32", 0), candidate("llamacpp", "q8_0", 4e-4),
                                     candidate("llamacpp", "q4_0", 0.02)})};
  const auto llm = group_llm(pointers(runs));
  const auto joined = join_speed_quality(pointers(runs));
  const Section s = speed_quality_charts(joined, llm);
  ASSERT_EQ(s.figures.size(), 1u);
  const nlohmann::json& f = s.figures[0];
  EXPECT_EQ(f.at("div"), "quality-0");
  const nlohmann::json& traces = f.at("data");
  ASSERT_EQ(traces.size(), 4u);  // three points and the front
  EXPECT_EQ(traces[0].at("name"), "torch cpu f32");
  EXPECT_DOUBLE_EQ(traces[0].at("x")[0].get<double>(), 4e-5);  // KLD 0: a decade below the least positive one
  EXPECT_NE(traces[0].at("text")[0].get<std::string>().find("a log axis has no 0"), std::string::npos);
  ASSERT_EQ(f.at("layout").at("annotations").size(), 1u);  // and the chart says it at the point
  EXPECT_EQ(f.at("layout").at("annotations")[0].at("text"), "KLD 0");
  EXPECT_DOUBLE_EQ(f.at("layout").at("annotations")[0].at("x").get<double>(), std::log10(4e-5));
  EXPECT_EQ(traces[0].at("marker").at("symbol"), "diamond");  // all three are on the front
  EXPECT_EQ(traces[3].at("name"), "Pareto front");
  EXPECT_EQ(traces[3].at("x"), (nlohmann::json{4e-5, 4e-4, 0.02}));
  EXPECT_EQ(f.at("layout").at("xaxis").at("type"), "log");
  // Every quality figure on hover; the synthetic note under the title and above the table.
  const std::string hover = traces[2].at("text")[0];
  for (const char* key : {"metrics.kld.value", "metrics.kld_p99", "metrics.same_top1_pct.value", "metrics.ppl_ratio.value",
                          "synthetic", "speed.gen_tps_median"})
    EXPECT_NE(hover.find(key), std::string::npos) << key;
  EXPECT_NE(f.at("layout").at("title").at("text").get<std::string>().find("synthetic weights"), std::string::npos);
  EXPECT_NE(s.html.find(html_escape(kSyntheticKldNote)), std::string::npos);
  // Each point in its colour of the model's LLM charts.
  std::map<std::string, nlohmann::json> llm_colour;
  const Section llm_section = llm_charts(llm);
  for (const auto& t : llm_section.figures[0].at("data")) llm_colour[t.at("name")] = t.at("marker").at("color");
  for (size_t i = 0; i < 3; ++i) {
    const std::string name = traces[i].at("name");
    ASSERT_TRUE(llm_colour.count(name)) << name;
    EXPECT_EQ(traces[i].at("marker").at("color"), llm_colour[name]) << name;
  }
}

TEST(ReportSpeedQualityChart, RealWeightsCarryNoSyntheticNote) {
  QualityRecord q = candidate("llamacpp", "q4_0", 0.02);
  q.synthetic = false;
  const std::vector<report::Run> runs{llm_run("2026-12-01__10:00:00", {speed("llamacpp", "q4_0", 64, 28)}), quality_run("2026-12-01__11:00:00", {q})};
  const Section s = speed_quality_charts(join_speed_quality(pointers(runs)), group_llm(pointers(runs)));
  ASSERT_EQ(s.figures.size(), 1u);
  EXPECT_EQ(s.figures[0].at("layout").at("title").at("text").get<std::string>().find("synthetic"), std::string::npos);
  EXPECT_EQ(s.html.find("synthetic"), std::string::npos);
  EXPECT_EQ(s.figures[0].at("data").size(), 2u);  // a single point is its own front
}

TEST(ReportSpeedQualityPage, WhichIsFastestNamesTheBoundAndSaysWhyACellIsEmpty) {
  std::vector<report::Run> runs{llm_run("2026-12-01__10:00:00", {speed("llamacpp", "q8_0", 64, 24), speed("llamacpp", "q4_0", 64, 28)}),
                        quality_run("2026-12-01__11:00:00",
                                    {reference(), candidate("llamacpp", "q8_0", 4e-4), candidate("llamacpp", "q4_0", 0.02)})};
  Record other = speed("llamacpp", "q4_0", 64, 50);
  other.spec.model = "tiny";
  runs[0].llm.push_back(other);
  const std::string loose = hardware_page("hw", pointers(runs), "plotly.min.js", 0.05).html;
  EXPECT_NE(loose.find("fastest generation, KLD ≤ 0.05"), std::string::npos);
  EXPECT_NE(loose.find("no quality run of this model"), std::string::npos);  // tiny's row
  EXPECT_NE(loose.find("Speed and quality"), std::string::npos);
  EXPECT_NE(loose.find(html_escape(kSyntheticKldNote)), std::string::npos);
  const std::string tight = hardware_page("hw", pointers(runs), "plotly.min.js", 1e-4).html;
  EXPECT_NE(tight.find("fastest generation, KLD ≤ 0.0001"), std::string::npos);
  EXPECT_NE(tight.find("none: the closest, llamacpp cpu q8_0, has mean KLD 0.0004 · synthetic weights"), std::string::npos);
  // Without quality runs the page has no trace of them.
  const std::string speed_only = hardware_page("hw", {&runs[0]}, "plotly.min.js", 0.05).html;
  EXPECT_EQ(speed_only.find("KLD"), std::string::npos);
  EXPECT_EQ(speed_only.find("speed-quality"), std::string::npos);
}

}  // namespace
}  // namespace mtb::report
