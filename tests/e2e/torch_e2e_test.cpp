// The torch backend end to end: beside llama.cpp in one run, and `mtb check` proving both compute
// the same function for every zoo family on the tiny synthetic weights.
#include <gtest/gtest.h>

#include <map>

#include "e2e_util.h"

using namespace e2e;
namespace fs = std::filesystem;

TEST(TorchE2E, TwoBackendRunWritesBothRecords) {
  const fs::path root = fresh_dir();
  const Result r = run_mtb("llm -b llamacpp,torch -m tiny -t f32,q4_0 -p 16 -n 4 -r 2 --cooldown 0 --measurements " + root.string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto recs = records(only_run(root));
  ASSERT_EQ(recs.size(), 4u);
  int torch_ok = 0;
  for (const auto& rec : recs) {
    if (rec.spec.backend == "torch" && rec.spec.precision == "q4_0") {
      EXPECT_EQ(rec.status, mtb::Status::skipped);
      EXPECT_NE(rec.error.find("int4"), std::string::npos) << rec.error;
      continue;
    }
    EXPECT_EQ(rec.status, mtb::Status::ok) << rec.spec.backend << ": " << rec.error;
    EXPECT_EQ(rec.gen_s.size(), 2u);
    EXPECT_GT(rec.gen_tps.median, 0);
    EXPECT_EQ(rec.generated.size(), 5u);
    EXPECT_EQ(rec.model_arch, "qwen2");
    if (rec.spec.backend == "torch") {
      ++torch_ok;
      EXPECT_NEAR(rec.bits_per_weight, 32, 0.5);
      EXPECT_TRUE(rec.extra.contains("attention")) << rec.extra.dump();
      EXPECT_EQ(rec.backend_version.rfind("libtorch ", 0), 0u) << rec.backend_version;
    }
  }
  EXPECT_EQ(torch_ok, 1);
  EXPECT_EQ(recs[0].tokens_hash, recs[2].tokens_hash);  // both backends saw the same prompt
}

// A worker keeps a model loaded across cases of other lengths (LlmSession::reshape): the case that
// reused it must generate exactly what a fresh load generates.
TEST(TorchE2E, AReusedModelGeneratesWhatAFreshLoadDoes) {
  const fs::path root = fresh_dir(), both = root / "both", alone = root / "alone";
  const std::string common = "llm -b llamacpp,torch -m tiny -t f32 -n 6 -r 1 --cooldown 0 --measurements ";
  ASSERT_EQ(run_mtb(common + both.string() + " -p 8,16").exit_code, 0);
  ASSERT_EQ(run_mtb(common + alone.string() + " -p 16").exit_code, 0);
  std::map<std::string, mtb::Record> reused, fresh;
  for (const auto& rec : records(only_run(both)))
    if (rec.spec.n_prompt == 16) reused[rec.spec.backend] = rec;
  for (const auto& rec : records(only_run(alone))) fresh[rec.spec.backend] = rec;
  for (const char* b : {"llamacpp", "torch"}) {
    ASSERT_TRUE(reused.count(b) && fresh.count(b)) << b;
    EXPECT_TRUE(reused[b].extra.value("weights_kept_from_previous_case", false)) << b;
    EXPECT_FALSE(fresh[b].extra.value("weights_kept_from_previous_case", false)) << b;
    EXPECT_EQ(reused[b].generated, fresh[b].generated) << b;
  }
}

class TorchCheck : public ::testing::TestWithParam<std::string> {};

TEST_P(TorchCheck, AgreesWithLlamaCppInFloat32) {
  // 24 prompt tokens pass tiny-gemma3's 16-token sliding window; batch 2 checks both sequences.
  const Result r = run_mtb("check -m " + GetParam() + " -t f32 -p 24 -n 4 --batch 2");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("PASS"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("| decode  |         8 |"), std::string::npos) << r.out;  // 4 steps x 2 rows
}

INSTANTIATE_TEST_SUITE_P(Families, TorchCheck, ::testing::Values("tiny", "tiny-qwen3", "tiny-llama", "tiny-gemma3"));

TEST(TorchCheckE2E, BeyondToleranceExitsFour) {
  // bf16 differs from llama.cpp's bf16 by rounding: far more than a 1e-6 bound allows.
  const Result r = run_mtb("check -m tiny -t bf16 -p 8 -n 2 --rtol 1e-6");
  EXPECT_EQ(r.exit_code, 4) << r.out;
  EXPECT_NE(r.out.find("FAIL"), std::string::npos) << r.out;
}
