#include "backends/mlx/mlx_ops.h"

#include <fmt/format.h>
#include <mlx/mlx.h>

#include <cmath>
#include <functional>
#include <map>

#include "backends/mlx/mlx_device.h"
#include "core/system_info.h"

namespace mtb {
namespace {
namespace mx = mlx::core;
using ops::HostTensor;
using ops::Op;
using Arrays = std::map<std::string, mx::array>;

constexpr int kGroup = 64;  // mlx-lm's quantization group size

mx::Dtype dtype_of(const std::string& dtype) {
  if (dtype == "bfloat16") return mx::bfloat16;
  if (dtype == "float16") return mx::float16;
  return mx::float32;
}

// ggml's block formats run as MLX's own affine format at the same bits (as `-t q8_0/q4_0` does in
// `mtb llm`): groups of 64 with a 16-bit scale and bias store 34/32 and 18/32 bytes per weight,
// exactly q8_0's and q4_0's.
int quant_bits(const std::string& quant) { return quant == "q8_0" ? 8 : quant == "q4_0" ? 4 : 0; }

class MlxOp final : public OpInstance {
 public:
  MlxOp(const OpRequest& req, const std::vector<HostTensor>& inputs, int slots, const mx::Device& d)
      : req_(req), d_(d), bits_(quant_bits(req.shape.quant)) {
    if (d == mx::Device::cpu) threads_ = mlx_backend::set_cpu_threads(req.threads);
    const mx::Dtype dt = dtype_of(req.dtype);
    for (int s = 0; s < slots; ++s) {
      Arrays a;
      for (const HostTensor& h : inputs) {
        mx::Shape shape(h.desc.shape.begin(), h.desc.shape.end());
        // A fresh copy per slot on the device: distinct buffers, evaluated before any timing.
        a.emplace(h.desc.name, mx::astype(mx::array(h.data.begin(), shape, mx::float32), dt, d));
      }
      if (bits_) quantize(a);
      for (auto& [name, arr] : a) mx::eval(arr);
      slots_.push_back(std::move(a));
    }
    if (bits_) {
      const Arrays& a = slots_[0];
      // Dequantized in float32, as the kernel expands them (not rounded to the dtype of the scales).
      auto w = mx::dequantize(a.at("weight_q"), a.at("weight_scales"), a.at("weight_biases"), kGroup, bits_, "affine",
                              std::nullopt, mx::float32, d);
      mx::eval(w);
      HostTensor e{ops::find_input(inputs, "weight").desc, std::vector<float>(w.data<float>(), w.data<float>() + w.size())};
      effective_.push_back(std::move(e));
    }
    if (req.variant == "compiled") {
      // One compiled function over every input by name order; slots differ only in their arrays.
      for (const auto& [name, arr] : slots_[0]) keys_.push_back(name);
      compiled_ = mx::compile([this](const std::vector<mx::array>& in) {
        Arrays a;
        for (size_t i = 0; i < in.size(); ++i) a.emplace(keys_[i], in[i]);
        return std::vector<mx::array>{forward(a)};
      });
    }
  }

  void run(int slot) override {
    const Arrays& a = slots_[size_t(slot)];
    mx::array out = compiled_ ? compiled_(args(a))[0] : forward(a);
    mx::eval(out);  // MLX is lazy: the op happens here, and eval returns when it is done
    if (slot == 0) out0_ = out;
  }

  std::vector<float> output() override {
    mx::array o = mx::contiguous(mx::astype(*out0_, mx::float32, d_), false, d_);
    mx::eval(o);
    return {o.data<float>(), o.data<float>() + o.size()};
  }

  std::vector<HostTensor> effective_inputs() override { return effective_; }

  nlohmann::json facts() const override {
    nlohmann::json j = {{"mlx_version", mx::version()},
                        {"mlx_device", d_ == mx::Device::cpu ? "cpu" : "gpu"},
                        {"dtype", req_.dtype},
                        {"compiled", req_.variant == "compiled"}};
    if (d_ == mx::Device::cpu) j["n_threads"] = threads_ ? nlohmann::json(threads_) : nlohmann::json("BLAS default");
    if (ops::uses_mask(req_.op)) j["attention"] = "mx::fast::scaled_dot_product_attention";
    if (req_.op == Op::rms_norm) j["rms_norm"] = "mx::fast::rms_norm";
    if (req_.op == Op::layer_norm || req_.op == Op::encoder_layer || req_.op == Op::decoder_layer)
      j["layer_norm"] = "mx::fast::layer_norm";
    if (req_.op == Op::rope) j["rope"] = "mx::fast::rope";
    if (bits_)
      j["matmul"] = fmt::format("mx::quantized_matmul (affine, {}-bit, group {}, scales and biases in {})", bits_, kGroup,
                                req_.dtype);
    return j;
  }

 private:
  std::vector<mx::array> args(const Arrays& a) const {
    std::vector<mx::array> v;
    for (const auto& k : keys_) v.push_back(a.at(k));
    return v;
  }

  void quantize(Arrays& a) const {
    auto q = mx::quantize(a.at("weight"), kGroup, bits_, "affine", std::nullopt, d_);
    a.erase("weight");
    a.emplace("weight_q", q[0]);
    a.emplace("weight_scales", q[1]);
    a.emplace("weight_biases", q[2]);
  }

  // y = x W^T + b, as mlx.nn.Linear (addmm with the transposed view of W).
  mx::array linear(const mx::array& x, const mx::array& w, const std::optional<mx::array>& b = std::nullopt) const {
    if (b) return mx::addmm(*b, x, mx::transpose(w, d_), 1.f, 1.f, d_);
    return mx::matmul(x, mx::transpose(w, d_), d_);
  }

  mx::array attention(const mx::array& q, const mx::array& k, const mx::array& v, bool causal) const {
    const float scale = float(1.0 / std::sqrt(double(req_.shape.head_dim())));
    return mx::fast::scaled_dot_product_attention(q, k, v, scale, causal ? "causal" : "", std::nullopt, std::nullopt, d_);
  }

  // mlx.nn.MultiHeadAttention with PyTorch's packed in_proj: queries from xq, keys/values from xkv.
  mx::array mha(const Arrays& a, const mx::array& xq, const mx::array& xkv, const std::string& p, bool causal, bool self) const {
    const int d = req_.shape.feature, h = req_.shape.heads, hd = d / h, B = xq.shape(0), T = xq.shape(1);
    const mx::array& w = a.at(p + "in_proj_weight");
    const mx::array& b = a.at(p + "in_proj_bias");
    auto heads = [&](const mx::array& y) {  // [B, T, d] -> [B, h, T, hd]
      return mx::transpose(mx::reshape(y, {B, -1, h, hd}, d_), {0, 2, 1, 3}, d_);
    };
    std::vector<mx::array> qkv;
    if (self) {  // one fused projection, as PyTorch's in_proj does
      qkv = mx::split(linear(xq, w, b), 3, -1, d_);
    } else {
      auto rows = [&](int i) { return mx::slice(w, {i * d, 0}, {(i + 1) * d, d}, d_); };
      auto bias = [&](int i) { return mx::slice(b, {i * d}, {(i + 1) * d}, d_); };
      qkv = {linear(xq, rows(0), bias(0)), linear(xkv, rows(1), bias(1)), linear(xkv, rows(2), bias(2))};
    }
    auto o = attention(heads(qkv[0]), heads(qkv[1]), heads(qkv[2]), causal);
    o = mx::reshape(mx::transpose(o, {0, 2, 1, 3}, d_), {B, T, d}, d_);
    return linear(o, a.at(p + "out_proj_weight"), a.at(p + "out_proj_bias"));
  }

  mx::array feedforward(const Arrays& a, const mx::array& x) const {
    auto h = linear(x, a.at("linear1_weight"), a.at("linear1_bias"));
    h = mx::maximum(h, mx::array(0.0f, h.dtype()), d_);  // relu
    return linear(h, a.at("linear2_weight"), a.at("linear2_bias"));
  }

  mx::array norm(const Arrays& a, const mx::array& x, const std::string& name) const {
    return mx::fast::layer_norm(x, a.at(name + "_weight"), a.at(name + "_bias"), 1e-5f, d_);
  }

  mx::array forward(const Arrays& a) const {
    const bool causal = req_.shape.causal;
    switch (req_.op) {
      case Op::layer_norm: return mx::fast::layer_norm(a.at("x"), a.at("weight"), a.at("bias"), 1e-5f, d_);
      case Op::rms_norm: return mx::fast::rms_norm(a.at("x"), a.at("weight"), 1e-6f, d_);
      // precise: accumulated in float32 for half types (mlx-lm's choice for attention scores), as
      // PyTorch's softmax does; MLX's default accumulates in the input's type.
      case Op::softmax: return mx::softmax(a.at("x"), -1, /*precise=*/true, d_);
      case Op::linear: return linear(a.at("x"), a.at("weight"), a.at("bias"));
      case Op::matmul_quant:
        return mx::quantized_matmul(a.at("x"), a.at("weight_q"), a.at("weight_scales"), a.at("weight_biases"), true,
                                    kGroup, bits_, "affine", d_);
      case Op::rope: {
        // x [B, T, h, hd]; mx::fast::rope rotates along the second-to-last axis: positions there.
        auto x = mx::transpose(a.at("x"), {0, 2, 1, 3}, d_);
        x = mx::fast::rope(x, req_.shape.head_dim(), false, 10000.0f, 1.0f, 0, std::nullopt, d_);
        return mx::transpose(x, {0, 2, 1, 3}, d_);
      }
      case Op::swiglu: {
        const mx::array& x = a.at("x");
        auto g = linear(x, a.at("w_gate"));
        auto act = mx::multiply(g, mx::sigmoid(g, d_), d_);  // silu
        return linear(mx::multiply(act, linear(x, a.at("w_up")), d_), a.at("w_down"));
      }
      case Op::sdpa: return attention(a.at("q"), a.at("k"), a.at("v"), causal);
      case Op::mhsa: return mha(a, a.at("x"), a.at("x"), "", causal, true);
      case Op::encoder_layer: {
        const mx::array& x = a.at("x");
        auto x1 = norm(a, mx::add(x, mha(a, x, x, "self_attn.", causal, true), d_), "norm1");
        return norm(a, mx::add(x1, feedforward(a, x1), d_), "norm2");
      }
      case Op::decoder_layer: {
        const mx::array& x = a.at("x");
        auto x1 = norm(a, mx::add(x, mha(a, x, x, "self_attn.", causal, true), d_), "norm1");
        auto x2 = norm(a, mx::add(x1, mha(a, x1, a.at("memory"), "cross_attn.", false, false), d_), "norm2");
        return norm(a, mx::add(x2, feedforward(a, x2), d_), "norm3");
      }
    }
    throw std::runtime_error("mlx op: unknown op");
  }

  OpRequest req_;
  mx::Device d_;
  int bits_ = 0, threads_ = 0;
  std::vector<std::string> keys_;  // input names in the compiled function's argument order
  std::vector<Arrays> slots_;
  std::function<std::vector<mx::array>(const std::vector<mx::array>&)> compiled_;
  std::optional<mx::array> out0_;
  std::vector<HostTensor> effective_;
};

class MlxOpBackend final : public OpBackend {
 public:
  std::string name() const override { return "mlx"; }
  std::string version() const override { return std::string("MLX ") + mx::version(); }

  std::vector<DeviceInfo> devices() const override { return mlx_backend::mlx_devices(name()); }

  std::vector<std::string> compiled_variants(const std::string& device) const override {
    std::string why;
    return mlx_backend::mlx_device(device, &why) ? std::vector<std::string>{"compiled"} : std::vector<std::string>{};
  }

  std::vector<std::string> quant_formats() const override { return {"q8_0", "q4_0"}; }

  Support supports(const OpRequest& req) const override {
    std::string why;
    if (!mlx_backend::mlx_device(req.device, &why)) return Support::no(why);
    if (req.op == Op::matmul_quant && !quant_bits(req.shape.quant))
      return Support::no(fmt::format("mlx has no '{}' weight format (it runs q8_0 / q4_0 as its 8- / 4-bit affine format)",
                                     req.shape.quant));
    if (req.op == Op::matmul_quant && req.shape.feature % kGroup != 0)
      return Support::no(fmt::format("mlx quantizes in groups of {}: feature {} is not a multiple", kGroup, req.shape.feature));
    if (req.variant != "eager" && req.variant != "compiled") return Support::no("mlx variants: eager, compiled");
    return Support::yes();
  }

  std::unique_ptr<OpInstance> prepare(const OpRequest& req, const std::vector<HostTensor>& inputs, int slots) override {
    std::string why;
    const auto d = mlx_backend::mlx_device(req.device, &why);
    if (!d) throw Unsupported(why);
    auto op = std::make_unique<MlxOp>(req, inputs, slots, *d);
    op->run(0);  // a kernel missing for this device or dtype (or a failing JIT compile) shows here
    return op;
  }
};

}  // namespace

std::unique_ptr<OpBackend> make_mlx_op_backend() { return std::make_unique<MlxOpBackend>(); }

}  // namespace mtb
