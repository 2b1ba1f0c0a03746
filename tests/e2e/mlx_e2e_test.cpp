// The MLX backend end to end: beside llama.cpp and torch in one run, and `mtb check` proving it
// computes the same function as both, for every zoo family on the tiny synthetic weights. Without
// MLX (CI) every test here skips, saying why.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "e2e_util.h"

using namespace e2e;
namespace fs = std::filesystem;

namespace {

#ifdef MTB_HAVE_MLX
constexpr bool kHaveMlx = true;
#else
constexpr bool kHaveMlx = false;
#endif
#ifdef MTB_HAVE_TORCH
const std::string kBackends = "llamacpp,torch,mlx";
#else
const std::string kBackends = "llamacpp,mlx";
#endif

#define SKIP_WITHOUT_MLX()                                                                                           \
  if (!kHaveMlx)                                                                                                      \
  GTEST_SKIP() << "built without MLX: find_package(MLX) found no install at configure time (README: The MLX backend)"

const mtb::Record* find(const std::vector<mtb::Record>& recs, const std::string& backend, const std::string& precision) {
  for (const auto& r : recs)
    if (r.spec.backend == backend && r.spec.precision == precision) return &r;
  return nullptr;
}

}  // namespace

TEST(MlxE2E, RunsBesideTheOtherBackendsInOneRun) {
  SKIP_WITHOUT_MLX();
  const fs::path root = fresh_dir();
  const Result r = run_mtb("llm -b " + kBackends + " -m tiny -t f32,q8_0,q4_0 -p 16 -n 4 -r 2 -d cpu --cooldown 0 --measurements " +
                           root.string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto recs = records(only_run(root));
  ASSERT_EQ(recs.size(), kBackends == "llamacpp,mlx" ? 6u : 9u) << r.out;
  // MLX runs every one of them: dense float32 and its own 8- and 4-bit affine formats, with the
  // stored bits per quantized weight recorded (float32 scale and bias per group of 64 on the CPU).
  for (const auto& [precision, bits, qbpw] : {std::tuple{"f32", 0, 0.0}, {"q8_0", 8, 9.0}, {"q4_0", 4, 5.0}}) {
    const mtb::Record* rec = find(recs, "mlx", precision);
    ASSERT_NE(rec, nullptr) << precision;
    EXPECT_EQ(rec->status, mtb::Status::ok) << precision << ": " << rec->error;
    EXPECT_EQ(rec->gen_s.size(), 2u);
    EXPECT_GT(rec->gen_tps.median, 0);
    EXPECT_GT(rec->ttft_s.median, 0);
    EXPECT_EQ(rec->generated.size(), 5u);
    EXPECT_EQ(rec->model_arch, "qwen2");
    EXPECT_EQ(rec->backend_version.rfind("MLX ", 0), 0u) << rec->backend_version;
    EXPECT_EQ(rec->extra.value("attention", ""), "mx::fast::scaled_dot_product_attention") << rec->extra.dump();
    if (bits == 0) {
      EXPECT_NEAR(rec->bits_per_weight, 32, 0.5);
      EXPECT_FALSE(rec->extra.contains("quantization"));
    } else {
      const auto& q = rec->extra.at("quantization");
      EXPECT_EQ(q.at("bits").get<int>(), bits);
      EXPECT_EQ(q.at("group_size").get<int>(), 64);
      EXPECT_DOUBLE_EQ(q.at("bits_per_weight").get<double>(), qbpw);
      EXPECT_NEAR(rec->bits_per_weight, qbpw, 0.5);  // every tiny matrix is 64-wide: all quantized
      EXPECT_EQ(q.at("matrices_dense").get<int>(), 0);
    }
    const mtb::Record* ref = find(recs, "llamacpp", precision);
    ASSERT_NE(ref, nullptr);
    EXPECT_EQ(ref->tokens_hash, rec->tokens_hash);  // the same prompt everywhere
  }
}

TEST(MlxE2E, UnsupportedCasesAreRecordedSkips) {
  SKIP_WITHOUT_MLX();
  const fs::path root = fresh_dir();
  const Result r = run_mtb("llm -b mlx -m tiny -t q4_k_m -p 8 -n 2 -r 1 --cooldown 0 --measurements " + root.string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto recs = records(only_run(root));
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].status, mtb::Status::skipped);
  EXPECT_NE(recs[0].error.find("k-quant"), std::string::npos) << recs[0].error;
}

// Reference backend x zoo family: each family's distinct parts (Qwen2's QKV bias, Qwen3's QK-norm,
// Llama 3's frequency factors, Gemma 3's local layers, scaled embeddings and extra norms).
class MlxCheck : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {};

TEST_P(MlxCheck, AgreesInFloat32) {
  SKIP_WITHOUT_MLX();
  const auto& [reference, model] = GetParam();
#ifndef MTB_HAVE_TORCH
  if (reference == "torch") GTEST_SKIP() << "built without libtorch: no torch reference";
#endif
  // 24 prompt tokens pass tiny-gemma3's 16-token sliding window; batch 2 checks both sequences.
  const Result r = run_mtb("check -b " + reference + ",mlx -m " + model + " -t f32 -p 24 -n 4 --batch 2");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("PASS"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("| decode  |         8 |"), std::string::npos) << r.out;  // 4 steps x 2 rows
}

INSTANTIATE_TEST_SUITE_P(Families, MlxCheck,
                         ::testing::Combine(::testing::Values("llamacpp", "torch"),
                                            ::testing::Values("tiny", "tiny-qwen3", "tiny-llama", "tiny-gemma3")),
                         [](const auto& info) {
                           std::string n = std::get<0>(info.param) + "_" + std::get<1>(info.param);
                           for (char& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

TEST(MlxCheckE2E, HalfPrecisionsAgreeWithinTheirBounds) {
  SKIP_WITHOUT_MLX();
  for (const char* t : {"f16", "bf16"}) {
    const Result r = run_mtb(std::string("check -b llamacpp,mlx -m tiny -t ") + t + " -p 24 -n 4 --batch 2");
    EXPECT_EQ(r.exit_code, 0) << t << "\n" << r.out;
    EXPECT_NE(r.out.find("PASS"), std::string::npos) << r.out;
  }
}

TEST(MlxCheckE2E, EightBitAffineTracksQ8_0) {
  SKIP_WITHOUT_MLX();
  // MLX requantizes the file's q8_0 values to its own 8-bit affine groups of 64: a second rounding
  // that the tiny models (init std 0.2, so every rounding grows through the layers) turn into ~8e-2
  // of logit difference, so the bound is wider than check's q8_0 default. A wrong quantized product
  // or embedding lookup gives errors of order 1.
  const Result r = run_mtb("check -b llamacpp,mlx -m tiny -t q8_0 -p 24 -n 4 --batch 2 --rtol 0.12 --top1 0.75");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("PASS"), std::string::npos) << r.out;
}

TEST(MlxOpsE2E, EveryOpRunsAndIsVerifiedBesideTheOtherBackends) {
  SKIP_WITHOUT_MLX();
#ifdef MTB_HAVE_TORCH
  const std::string backends = "torch,ggml,mlx";
#else
  const std::string backends = "ggml,mlx";
#endif
  const fs::path root = fresh_dir();
  const Result r = run_mtb("ops -b " + backends + " --batch 1 --seq 16 --feature 64 --heads 2 --time-cap 0.02 --warmup 1 "
                           "--min-reps 2 --no-report --measurements " + root.string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  fs::path run;
  for (const auto& hw : fs::directory_iterator(root / "layer_benchmarks"))
    for (const auto& dir : fs::directory_iterator(hw.path())) run = dir.path();
  std::ifstream in(run / "results.jsonl");
  std::set<std::string> mlx_ok;
  int mlx_cases = 0;
  for (std::string line; std::getline(in, line);) {
    const auto j = nlohmann::json::parse(line);
    if (j.at("backend") != "mlx") continue;
    ++mlx_cases;
    SCOPED_TRACE(j.dump().substr(0, 300));
    EXPECT_EQ(j.at("status"), "ok") << j.value("error", "");
    EXPECT_TRUE(j.at("verification").at("ok").get<bool>());
    mlx_ok.insert(j.at("op").get<std::string>() + (j.at("extra").value("compiled", false) ? "+compiled" : ""));
  }
  EXPECT_EQ(mlx_cases, 2 * 16);  // eager and compiled: 11 ops, 4 with two masks, matmul_quant with q8_0 and q4_0
  EXPECT_EQ(mlx_ok.size(), 2 * 11u);
}
