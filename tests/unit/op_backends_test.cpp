// Every op on every compiled-in op backend (ggml always; torch when built with it), at small shapes:
// each must pass verification against the float64 reference, or be skipped with a stated reason.
#include <gtest/gtest.h>

#include "ops/op_backend.h"
#include "ops/op_harness.h"

using namespace mtb;
using namespace mtb::ops;

namespace {

struct Outcome {
  int ok = 0, skipped = 0;
};

// All ops x both masks x the given dtypes, batch 2 x seq 16, width 64, 2 heads; timing kept short.
Outcome run_all(OpBackend& b, const std::vector<std::string>& dtypes,
                const std::function<bool(const OpCase&, const std::string&)>& skip_allowed,
                const std::string& device = "cpu", const std::string& variant = "eager") {
  Outcome n;
  for (Op op : all_ops())
    for (const std::string& dtype : dtypes)
      for (const std::string mask : {"none", "causal"}) {
        if (!uses_mask(op) && mask == "causal") continue;
        std::vector<std::string> quants{""};
        if (uses_quant(op)) quants = b.quant_formats();
        for (const auto& q : quants) {
          OpCase c;
          c.op = op_name(op), c.backend = b.name(), c.dtype = dtype, c.mask = mask, c.quant = q;
          c.device = device, c.variant = variant;
          c.threads = device == "cpu" ? 1 : 0;  // one thread: quick and steady on a busy CI machine
          c.batch = 2, c.seq = 16, c.feature = 64, c.heads = 2;
          c.warmup = 1, c.min_reps = 2, c.time_cap_s = 0.01;
          const OpRecord r = run_op_case(b, c, {});
          SCOPED_TRACE(c.label());
          if (r.status == Status::skipped) {
            EXPECT_TRUE(skip_allowed(c, r.error)) << "unexpected skip: " << r.error;
            ++n.skipped;
            continue;
          }
          EXPECT_EQ(r.status, Status::ok) << r.error;
          EXPECT_TRUE(r.verification.ok) << r.verification.message();
          EXPECT_GT(r.verification.compared, 0);
          EXPECT_GE(r.samples_ms.size(), 2u);
          ++n.ok;
        }
      }
  return n;
}

bool has_device(const OpBackend& b, const std::string& device) {
  for (const auto& d : b.devices())
    if (d.name == device) return true;
  return false;
}

}  // namespace

TEST(GgmlOps, EveryOpVerifiedOnTheCpu) {
  OpBackend* b = find_op_backend("ggml");
  ASSERT_NE(b, nullptr);
  const Outcome n = run_all(*b, {"float32", "bfloat16"}, [](const OpCase& c, const std::string& why) {
    // Norms, softmax and RoPE have no lower-precision form in ggml (activations stay f32).
    return c.dtype == "bfloat16" && why.find("f32 activations") != std::string::npos;
  });
  EXPECT_EQ(n.skipped, 4);  // layer_norm, rms_norm, softmax, rope in bfloat16
  EXPECT_EQ(n.ok, 2 * 16 - 4);  // per dtype: 11 ops, 4 of them with two masks, matmul_quant with two formats
}

TEST(TorchOps, EveryOpVerifiedOnTheCpu) {
  OpBackend* b = find_op_backend("torch");
  if (!b) GTEST_SKIP() << "built without libtorch (scripts/setup.sh --torch builds it)";
  const Outcome n = run_all(*b, {"float32", "bfloat16"}, [](const OpCase& c, const std::string& why) {
    // int8 weight-only needs aten::_weight_int8pack_mm (libtorch >= 2.3), int4 tinygemm 2.5/2.6, and
    // the width (64 here) to be a multiple of int4's group of 128; Debian's libtorch is 1.13.
    return c.op == "matmul_quant" && (why.find("_weight_int8pack_mm") != std::string::npos ||
                                      why.find("int4") != std::string::npos);
  });
  EXPECT_EQ(n.ok + n.skipped, 2 * 16);
  EXPECT_LE(n.skipped, 4);  // int8 and int4 in both dtypes where the libtorch lacks the kernels
}

// On a GPU machine (bench/gpu_ops.sh): the same ops on CUDA, torch also replayed from CUDA graphs.
TEST(GgmlOps, EveryOpVerifiedOnCuda) {
  OpBackend* b = find_op_backend("ggml");
  ASSERT_NE(b, nullptr);
  if (!has_device(*b, "cuda")) GTEST_SKIP() << "no CUDA device in this ggml build (cmake -DMTB_CUDA=ON on a GPU machine)";
  const Outcome n = run_all(*b, {"float32", "bfloat16"}, [](const OpCase& c, const std::string& why) {
    return (c.dtype == "bfloat16" && why.find("f32 activations") != std::string::npos) ||
           why.find("cannot run") != std::string::npos;  // ggml-cuda's own supports_op answer, recorded
  }, "cuda");
  EXPECT_GT(n.ok, 20);
}

TEST(TorchOps, EveryOpVerifiedOnCudaEagerAndGraph) {
  OpBackend* b = find_op_backend("torch");
  if (!b) GTEST_SKIP() << "built without libtorch (scripts/setup.sh --torch builds it)";
  if (!has_device(*b, "cuda")) GTEST_SKIP() << "no CUDA device for this libtorch";
  auto int8_skip = [](const OpCase& c, const std::string& why) {
    return c.op == "matmul_quant" &&
           (why.find("_weight_int8pack_mm") != std::string::npos || why.find("int4") != std::string::npos);
  };
  for (const std::string variant : {"eager", "cuda_graph"}) {
    SCOPED_TRACE(variant);
    const Outcome n = run_all(*b, {"float32", "bfloat16"}, int8_skip, "cuda", variant);
    EXPECT_EQ(n.ok + n.skipped, 2 * 16);
    EXPECT_LE(n.skipped, 2);  // int4 at width 64 (its group is 128)
  }
}
