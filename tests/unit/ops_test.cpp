// `mtb ops` without a framework: op descriptions (FLOPs, bytes), seeded inputs, the float64
// reference, verification (a planted wrong implementation is caught and not timed), the plan.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <numeric>

#include "ops/op_backend.h"
#include "ops/op_harness.h"
#include "ops/op_plan.h"
#include "ops/reference.h"

using namespace mtb;
using namespace mtb::ops;

namespace {

OpShape shape(int b, int t, int d, int h = 1, bool causal = false) {
  OpShape s;
  s.batch = b, s.seq = t, s.feature = d, s.heads = h, s.causal = causal;
  return s;
}

// A test-only backend computing LayerNorm on the host in float, right or deliberately wrong (the
// bias left out): the harness must pass the first and fail the second without timing it.
class HostLayerNorm final : public OpInstance {
 public:
  HostLayerNorm(const OpRequest& req, const std::vector<HostTensor>& in, bool wrong) : req_(req), in_(in), wrong_(wrong) {}
  void run(int) override {
    const auto& x = find_input(in_, "x").data;
    const auto& w = find_input(in_, "weight").data;
    const auto& b = find_input(in_, "bias").data;
    const int d = req_.shape.feature;
    out_.resize(x.size());
    for (size_t r = 0; r < x.size() / size_t(d); ++r) {
      const float* xr = &x[r * size_t(d)];
      float mean = std::accumulate(xr, xr + d, 0.0f) / float(d), var = 0;
      for (int i = 0; i < d; ++i) var += (xr[i] - mean) * (xr[i] - mean);
      const float inv = 1.0f / std::sqrt(var / float(d) + 1e-5f);
      for (int i = 0; i < d; ++i) out_[r * size_t(d) + size_t(i)] = (xr[i] - mean) * inv * w[size_t(i)] + (wrong_ ? 0.0f : b[size_t(i)]);
    }
  }
  std::vector<float> output() override { return out_; }

 private:
  OpRequest req_;
  std::vector<HostTensor> in_;
  bool wrong_;
  std::vector<float> out_;
};

class PlantedBackend final : public OpBackend {
 public:
  explicit PlantedBackend(bool wrong) : wrong_(wrong) {}
  std::string name() const override { return "planted"; }
  std::string version() const override { return "test"; }
  std::vector<DeviceInfo> devices() const override { return {{"planted", "cpu", "host", 0, 0}}; }
  Support supports(const OpRequest& r) const override {
    return r.op == Op::layer_norm ? Support::yes() : Support::no("only layer_norm");
  }
  std::unique_ptr<OpInstance> prepare(const OpRequest& r, const std::vector<HostTensor>& in, int) override {
    return std::make_unique<HostLayerNorm>(r, in, wrong_);
  }

 private:
  bool wrong_;
};

OpCase layer_norm_case() {
  OpCase c;
  c.op = "layer_norm";
  c.backend = "planted";
  c.batch = 2, c.seq = 8, c.feature = 64;
  c.time_cap_s = 0.05;
  return c;
}

}  // namespace

TEST(OpDescription, FlopsAndBytesOfKnownShapes) {
  const OpShape s = shape(2, 3, 768);
  const double rows = 6;
  EXPECT_DOUBLE_EQ(op_flops(Op::linear, s), rows * (2.0 * 768 * 768 + 768));
  // x and y once, W and b once, float32.
  EXPECT_DOUBLE_EQ(op_min_bytes(Op::linear, s, 4), (2 * rows * 768 + 768.0 * 768 + 768) * 4);
  EXPECT_DOUBLE_EQ(op_flops(Op::layer_norm, s), 8 * rows * 768);
  // q4_0: 18 bytes per 32 weights; activations at float32.
  OpShape q = s;
  q.quant = "q4_0";
  EXPECT_DOUBLE_EQ(op_min_bytes(Op::matmul_quant, q, 4), 2 * rows * 768 * 4 + 768.0 * 768 * 18 / 32);
  // Causal attention counts the attended pairs only: T(T+1)/2 of T^2.
  const OpShape full = shape(1, 4, 8, 2), causal = shape(1, 4, 8, 2, true);
  EXPECT_DOUBLE_EQ(op_flops(Op::sdpa, full), 2 * 16 * (4.0 * 4 + 5));
  EXPECT_DOUBLE_EQ(op_flops(Op::sdpa, causal), 2 * 10 * (4.0 * 4 + 5));
  EXPECT_EQ(swiglu_ffn(768), 2048);
  EXPECT_EQ(op_title(Op::mhsa, shape(1, 1, 768, 8, true)), "MHSA(dim=768, num_heads=8, mask=causal)");
  EXPECT_EQ(op_title(Op::layer_norm, s), "LayerNorm(dim=768)");
}

TEST(OpInputs, SeededRoundedAndBatchIndependent) {
  const auto a = make_inputs(Op::linear, shape(1, 4, 64), "float32", 7);
  const auto b = make_inputs(Op::linear, shape(3, 4, 64), "float32", 7);
  const auto& xa = find_input(a, "x").data;
  const auto& xb = find_input(b, "x").data;
  // Batch element 0 is the same whatever the batch: one reference serves every batch size.
  EXPECT_TRUE(std::equal(xa.begin(), xa.end(), xb.begin()));
  EXPECT_NE(find_input(make_inputs(Op::linear, shape(1, 4, 64), "float32", 8), "x").data, xa);
  const auto bf = make_inputs(Op::linear, shape(1, 4, 64), "bfloat16", 7);
  for (float v : find_input(bf, "x").data) {
    uint32_t u;
    std::memcpy(&u, &v, 4);
    EXPECT_EQ(u & 0xffff, 0u) << v;  // exactly a bfloat16
  }
}

TEST(OpReference, LayerNormSoftmaxAndCausalAttention) {
  const OpShape s = shape(1, 5, 64);
  auto in = make_inputs(Op::layer_norm, s, "float32", 1);
  for (auto& v : in[1].data) v = 1;  // weight 1, bias 0: each row has mean 0 and variance 1
  for (auto& v : in[2].data) v = 0;
  const auto ln = reference(Op::layer_norm, s, in);
  for (int r = 0; r < 5; ++r) {
    double mean = 0, var = 0;
    for (int i = 0; i < 64; ++i) mean += ln[size_t(r * 64 + i)] / 64;
    for (int i = 0; i < 64; ++i) var += std::pow(ln[size_t(r * 64 + i)] - mean, 2) / 64;
    EXPECT_NEAR(mean, 0, 1e-12);
    EXPECT_NEAR(var, 1, 1e-4);  // eps 1e-5 shrinks it a little
  }
  const auto sm = reference(Op::softmax, s, make_inputs(Op::softmax, s, "float32", 1));
  EXPECT_NEAR(std::accumulate(sm.begin(), sm.begin() + 64, 0.0), 1.0, 1e-12);

  // Causal: the first query sees only the first key, so its output is v's first row.
  const OpShape a = shape(1, 6, 16, 2, true);
  const auto ain = make_inputs(Op::sdpa, a, "float32", 3);
  const auto out = reference(Op::sdpa, a, ain);
  const auto& v = find_input(ain, "v").data;
  for (int head = 0; head < 2; ++head)
    for (int c = 0; c < 8; ++c) EXPECT_NEAR(out[size_t(head * 6 * 8 + c)], v[size_t(head * 6 * 8 + c)], 1e-12);
}

TEST(OpVerify, CatchesErrorsAndNonFiniteValues) {
  const std::vector<double> ref{1, -1, 1, -1};
  const Tolerance tol{1e-3, 1e-3, "test"};
  EXPECT_TRUE(verify({1, -1, 1, -1.0005f}, ref, tol).ok);
  const Verification bad = verify({1, -1, 1.01f, -1}, ref, tol);
  EXPECT_FALSE(bad.ok);
  EXPECT_EQ(bad.worst_index, 2);
  EXPECT_NEAR(bad.rel_err, 0.01, 1e-6);
  EXPECT_FALSE(verify({1, -1, 1, -1, NAN}, ref, tol).ok);  // beyond batch element 0, still checked
  EXPECT_FALSE(verify({1, -1}, ref, tol).ok);               // too short
  // Every element a little off: within the worst-case bound, caught by the rms bound.
  const Verification drift = verify({1.0009f, -0.9991f, 1.0009f, -0.9991f}, ref, {1e-3, 5e-4, "test"});
  EXPECT_FALSE(drift.ok);
  EXPECT_NEAR(drift.rms_rel_err, 9e-4, 1e-6);
}

TEST(OpHarness, CorrectImplementationIsVerifiedAndTimed) {
  PlantedBackend right(false);
  const OpRecord r = run_op_case(right, layer_norm_case(), {});
  ASSERT_EQ(r.status, Status::ok) << r.error;
  EXPECT_TRUE(r.verification.ok);
  EXPECT_LT(r.verification.rel_err, 1e-5);
  EXPECT_GE(r.samples_ms.size(), 2u);
  EXPECT_GT(r.ms.median, 0);
  EXPECT_GT(r.gflops, 0);
  EXPECT_FALSE(r.stop.empty());
}

TEST(OpHarness, PlantedWrongImplementationIsFailedNotTimed) {
  PlantedBackend wrong(true);
  const OpRecord r = run_op_case(wrong, layer_norm_case(), {});
  EXPECT_EQ(r.status, Status::failed);
  EXPECT_NE(r.error.find("verification failed"), std::string::npos) << r.error;
  EXPECT_FALSE(r.verification.ok);
  EXPECT_GT(r.verification.rel_err, r.verification.tolerance);
  EXPECT_TRUE(r.samples_ms.empty());
  EXPECT_EQ(r.ms.n, 0);
}

TEST(OpHarness, UnsupportedIsASkipWithTheReason) {
  PlantedBackend right(false);
  OpCase c = layer_norm_case();
  c.op = "softmax";
  const OpRecord r = run_op_case(right, c, {});
  EXPECT_EQ(r.status, Status::skipped);
  EXPECT_EQ(r.error, "only layer_norm");
}

TEST(OpPlan, AxesApplyOnlyToTheOpsThatHaveThem) {
  OpAxes a;
  a.ops = {"layer_norm", "sdpa", "matmul_quant"};
  a.backends = {"torch", "ggml"};
  a.devices = {"cpu"};
  a.dtypes = {"float32"};
  a.masks = {"none", "causal"};
  a.quants = {"q8_0", "int8"};
  a.batch = {1, 2};
  a.seq = {16};
  a.feature = {64};
  a.heads = {1, 2};
  a.threads = {0};
  PlanHooks h;
  h.has_quant = [](const std::string& b, const std::string& q) { return (b == "ggml") == (q == "q8_0"); };
  h.variants = [](const std::string& b, const std::string&) {
    return b == "torch" ? std::vector<std::string>{"graph"} : std::vector<std::string>{};
  };
  const auto cases = expand(a, h);
  auto count = [&](const std::string& op) {
    return std::count_if(cases.begin(), cases.end(), [&](const OpCase& c) { return c.op == op; });
  };
  // layer_norm: 2 batch x (torch eager, torch graph, ggml); no heads/mask axes.
  EXPECT_EQ(count("layer_norm"), 2 * 3);
  EXPECT_EQ(count("sdpa"), 2 * 2 * 2 * 3);  // heads x mask x batch x variants
  // matmul_quant: each backend with its own format only.
  EXPECT_EQ(count("matmul_quant"), 2 * 3);  // batch x (ggml q8_0; torch int8 eager and graph)
  for (const auto& c : cases)
    if (c.op == "matmul_quant") EXPECT_EQ(c.backend == "ggml", c.quant == "q8_0");
  EXPECT_THROW(validate([&] { auto b = a; b.masks = {"diagonal"}; return b; }()), std::runtime_error);
  EXPECT_THROW(validate([&] { auto b = a; b.heads = {3}; return b; }()), std::runtime_error);
  EXPECT_THROW(validate([&] { auto b = a; b.ops = {"conv"}; return b; }()), std::runtime_error);
}

TEST(OpRecord, JsonRoundTripAndAncestorColumnsFirst) {
  PlantedBackend right(false);
  const OpRecord r = run_op_case(right, layer_norm_case(), {});
  const OpRecord back = nlohmann::json(r).get<OpRecord>();
  EXPECT_EQ(back.spec.key(), r.spec.key());
  EXPECT_EQ(back.samples_ms, r.samples_ms);
  EXPECT_DOUBLE_EQ(back.verification.rel_err, r.verification.rel_err);
  const std::string csv = op_record_fields().format({r}, OutputFormat::csv);
  EXPECT_EQ(csv.substr(0, csv.find(",op,")),
            "name,framework,backend,compile,batch_size,sequence_length,num_warmup_iterations,num_iterations,"
            "num_repeats,median_ms,duration_ms,std_ms,dtype");
  EXPECT_NE(csv.find("LayerNorm(dim=64),planted,cpu,False,2,8,"), std::string::npos) << csv;
}
