// Every op on every compiled-in op backend (ggml always; torch when built with it), at small shapes:
// each must pass verification against the float64 reference, or be skipped with a stated reason.
#include <gtest/gtest.h>

#include "backends/op_backend.h"
#include "ops/op_harness.h"

using namespace mtb;
using namespace mtb::ops;

namespace {

struct Outcome {
  int ok = 0, skipped = 0;
};

// All ops x both masks x the given dtypes, batch 2 x seq 16, width 64, 2 heads; timing kept short.
Outcome run_all(OpBackend& b, const std::vector<std::string>& dtypes,
                const std::function<bool(const OpCase&, const std::string&)>& skip_allowed) {
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
    // int8 weight-only needs aten::_weight_int8pack_mm (libtorch >= 2.3); Debian's is 1.13.
    return c.op == "matmul_quant" && why.find("_weight_int8pack_mm") != std::string::npos;
  });
  EXPECT_EQ(n.ok + n.skipped, 2 * 15);
  EXPECT_LE(n.skipped, 2);
}
