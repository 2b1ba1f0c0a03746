// The quality suite's parts: llama-perplexity's KL-divergence statistics on distributions worked out by
// hand, the stored reference file, the evaluation windows and the plan.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "models/model_store.h"
#include "quality/eval_windows.h"
#include "quality/kl_divergence.h"
#include "quality/quality_plan.h"
#include "quality/reference_log_probs.h"

namespace mtb {
namespace {
namespace fs = std::filesystem;

std::vector<float> log_probs(std::vector<float> logits) {
  std::vector<float> out(logits.size());
  log_softmax(logits, out);
  return out;
}

TEST(KlDivergence, LogSoftmaxNormalizesAndKeepsDifferences) {
  const auto lp = log_probs({1.f, 2.f, 3.f});
  double sum = 0;
  for (float v : lp) sum += std::exp(v);
  EXPECT_NEAR(sum, 1.0, 1e-6);
  EXPECT_NEAR(lp[2] - lp[0], 2.0, 1e-6);
}

TEST(KlDivergence, IdenticalDistributionsGiveZero) {
  KlAccumulator acc;
  const std::vector<float> logits{0.3f, -1.f, 2.f, 0.f};
  for (int i = 0; i < 20; ++i) acc.add(log_probs(logits), logits, i % 4);
  const QualityMetrics m = acc.metrics();
  EXPECT_EQ(m.n_scored, 20);
  EXPECT_NEAR(m.kld.value, 0, 1e-7);
  EXPECT_NEAR(m.kld_max, 0, 1e-7);
  EXPECT_DOUBLE_EQ(m.same_top1_pct.value, 100);
  EXPECT_NEAR(m.dp_rms_pct.value, 0, 1e-6);
  EXPECT_NEAR(m.ppl_ratio.value, 1, 1e-6);
  EXPECT_NEAR(m.ppl.value, m.ppl_ref.value, 1e-4);
}

// p = (0.5, 0.5), q = (0.9, 0.1): KL(p||q) = 0.5 ln(0.5/0.9) + 0.5 ln(0.5/0.1).
TEST(KlDivergence, TwoTokensWorkedByHand) {
  KlAccumulator acc;
  const std::vector<float> ref = log_probs({0.f, 0.f});
  const std::vector<float> cand{std::log(0.9f), std::log(0.1f)};
  acc.add(ref, cand, /*next=*/1);
  const QualityMetrics m = acc.metrics();
  const double kl = 0.5 * std::log(0.5 / 0.9) + 0.5 * std::log(0.5 / 0.1);
  EXPECT_NEAR(m.kld.value, kl, 1e-6);
  EXPECT_NEAR(m.kld_median, kl, 1e-6);
  EXPECT_NEAR(m.kld_max, kl, 1e-6);
  // The reference's top is token 0 (a tie resolved to the first, as llama-perplexity's strict >), the candidate's 0.
  EXPECT_DOUBLE_EQ(m.same_top1_pct.value, 100);
  // Δp of the text's next token (1): 0.1 - 0.5.
  EXPECT_NEAR(m.dp_mean_pct.value, -40, 1e-4);
  EXPECT_NEAR(m.dp_rms_pct.value, 40, 1e-4);
  EXPECT_NEAR(m.ppl.value, 10, 1e-4);      // 1 / 0.1
  EXPECT_NEAR(m.ppl_ref.value, 2, 1e-5);   // 1 / 0.5
  EXPECT_NEAR(m.ppl_ratio.value, 5, 1e-4);
}

TEST(KlDivergence, DisagreeingTopAndStatistics) {
  KlAccumulator acc;
  // Half the positions agree on the top token, half do not.
  for (int i = 0; i < 40; ++i) {
    const std::vector<float> ref = log_probs({2.f, 0.f, 0.f});
    const std::vector<float> cand = i % 2 ? std::vector<float>{2.f, 0.f, 0.f} : std::vector<float>{0.f, 2.f, 0.f};
    acc.add(ref, cand, 0);
  }
  const QualityMetrics m = acc.metrics();
  EXPECT_DOUBLE_EQ(m.same_top1_pct.value, 50);
  EXPECT_NEAR(m.same_top1_pct.uncertainty, 100 * std::sqrt(0.25 / 39), 1e-9);
  EXPECT_GT(m.kld.value, 0);
  EXPECT_GT(m.kld.uncertainty, 0);  // more than 10 positions: a standard error
  EXPECT_NEAR(m.kld_median, m.kld.value, 1e-6);  // two equal halves: one value 0, one value x, median x/2
  EXPECT_GT(m.ppl_ratio.value, 1);
}

TEST(KlDivergence, MeanAndUncertaintyAsLlamaPerplexity) {
  EXPECT_DOUBLE_EQ(mean_and_uncertainty(10, 30, 5).uncertainty, 0);  // 10 values or fewer: no uncertainty
  const Estimate e = mean_and_uncertainty(11 * 2.0, 11 * 5.0, 11);       // mean 2, E[x^2] 5: var 1
  EXPECT_DOUBLE_EQ(e.value, 2);
  EXPECT_NEAR(e.uncertainty, std::sqrt(1.0 / 10), 1e-12);
  const std::vector<float> sorted{0, 1, 2, 3, 4};
  EXPECT_DOUBLE_EQ(sorted_percentile(sorted, 0.5), 2);
  EXPECT_DOUBLE_EQ(sorted_percentile(sorted, 0.99), 3.96);
  EXPECT_DOUBLE_EQ(sorted_percentile(sorted, 1), 4);
}

fs::path tmp(const std::string& name) {
  fs::create_directories(MTB_TEST_TMP);
  return fs::path(MTB_TEST_TMP) / name;
}

TEST(ReferenceFile, RoundTripsWindowsExactly) {
  const fs::path p = tmp("ref-roundtrip.logprobs");
  fs::remove(p);  // an earlier run of this test left it
  const ReferenceHeader h{5, 16, 7, 3, "0123456789abcdef"};
  {
    ReferenceWriter w(p, h);
    for (int win = 0; win < 3; ++win) {
      std::vector<float> v(7 * 5);
      for (size_t i = 0; i < v.size(); ++i) v[i] = -float(win * 1000 + i) / 7.f;
      w.add_window(v);
    }
    EXPECT_FALSE(fs::exists(p)) << "the final name appears only when the file is whole";
    w.close();
  }
  ReferenceReader r(p);
  EXPECT_EQ(r.header().n_vocab, 5u);
  EXPECT_EQ(r.header().n_windows, 3u);
  EXPECT_EQ(r.header().tokens_hash, "0123456789abcdef");
  const auto w2 = r.window(2);
  ASSERT_EQ(w2.size(), 35u);
  EXPECT_FLOAT_EQ(w2[4], -float(2004) / 7.f);
  EXPECT_EQ(fs::file_size(p), h.bytes());
}

TEST(ReferenceFile, ATruncatedOrForeignFileIsRefused) {
  const fs::path p = tmp("ref-truncated.logprobs");
  {
    ReferenceWriter w(p, {4, 16, 7, 1, "0123456789abcdef"});
    w.add_window(std::vector<float>(28, -1.f));
    w.close();
  }
  fs::resize_file(p, fs::file_size(p) - 8);
  try {
    ReferenceReader r(p);
    FAIL() << "a truncated reference was read";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
  }
  std::ofstream(tmp("not-a-ref")) << "hello world, not a reference file at all";
  EXPECT_THROW(ReferenceReader r(tmp("not-a-ref")), std::runtime_error);
  EXPECT_THROW(ReferenceReader r(tmp("missing")), std::runtime_error);
}

TEST(ReferenceFile, AWriterClosedEarlyLeavesNoFinalFile) {
  const fs::path p = tmp("ref-early.logprobs");
  fs::remove(p);
  ReferenceWriter w(p, {4, 16, 7, 2, "0123456789abcdef"});
  w.add_window(std::vector<float>(28, -1.f));
  EXPECT_THROW(w.close(), std::logic_error);
  EXPECT_FALSE(fs::exists(p));
}

TEST(EvalWindows, SeededWindowsAreTheSameForEveryPrecisionOfAModel) {
  const ResolvedModel f32 = resolve_model("tiny", "f32", 42, {}), q4 = resolve_model("tiny", "q4_0", 42, {});
  QualityCase c;
  c.n_ctx = 64;
  c.n_chunks = 3;
  const std::vector<Token> vocab{5, 6, 7, 8, 9};
  const EvalWindows a = eval_windows(c, f32.path, vocab), b = eval_windows(c, q4.path, vocab);
  ASSERT_EQ(a.windows.size(), 3u);
  EXPECT_EQ(a.windows[0].size(), 64u);
  EXPECT_EQ(a.first, 32);
  EXPECT_EQ(a.n_scored(), 31);  // llama-perplexity's n_ctx - 1 - n_ctx/2
  EXPECT_EQ(a.hash, b.hash);
  c.seed = 43;
  EXPECT_NE(eval_windows(c, f32.path, vocab).hash, a.hash);
}

TEST(EvalWindows, TextShorterThanOneWindowIsRefusedWithTheCounts) {
  const ResolvedModel m = resolve_model("tiny", "f32", 42, {});
  const fs::path text = tmp("short.txt");
  std::ofstream(text) << "Only a few words here.";
  QualityCase c;
  c.n_ctx = 512;
  c.prompt_file = text.string();
  try {
    eval_windows(c, m.path, {});
    FAIL() << "a text shorter than a window was accepted";
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("fewer than one window of --ctx 512"), std::string::npos) << msg;
    EXPECT_NE(msg.find(text.string()), std::string::npos) << msg;
  }
  c.n_ctx = 4;
  c.n_chunks = 100;
  const EvalWindows w = eval_windows(c, m.path, {});
  EXPECT_GE(w.windows.size(), 1u);
  EXPECT_LT(w.windows.size(), 100u);  // as many as the text fills
}

TEST(QualityPlan, EachZooModelHasItsReferenceFirst) {
  QualityAxes a;
  a.models = {"tiny", "tiny-llama"};
  a.backends = {"llamacpp", "torch"};
  a.devices = {"cpu"};
  a.precisions = {"q8_0", "q4_0"};
  const auto cases = expand(a);
  ASSERT_EQ(cases.size(), 2u * (1 + 4));
  EXPECT_TRUE(cases[0].reference);
  EXPECT_EQ(cases[0].backend, "llamacpp");
  EXPECT_EQ(cases[0].precision, "f32");
  EXPECT_EQ(cases[1].model, "tiny");
  EXPECT_FALSE(cases[1].reference);
  EXPECT_TRUE(cases[5].reference);
  EXPECT_EQ(cases[5].model, "tiny-llama");
  EXPECT_EQ(cases[6].ref_model, "tiny-llama");
  std::set<std::string> keys;
  for (const auto& c : cases) keys.insert(c.key());
  EXPECT_EQ(keys.size(), cases.size());
}

TEST(QualityPlan, ReferenceParsing) {
  const QualityReference r = parse_reference("torch:bf16:cuda", "cpu");
  EXPECT_EQ(r.backend, "torch");
  EXPECT_EQ(r.precision, "bf16");
  EXPECT_EQ(r.device, "cuda");
  const QualityReference f = parse_reference("llamacpp:/models/x-f16.gguf", "metal");
  EXPECT_EQ(f.model, "/models/x-f16.gguf");
  EXPECT_EQ(f.precision, "file");
  EXPECT_EQ(f.device, "metal");
  EXPECT_THROW(parse_reference("llamacpp", "cpu"), std::runtime_error);
  EXPECT_THROW(parse_reference("llamacpp::cpu", "cpu"), std::runtime_error);
}

}  // namespace
}  // namespace mtb
