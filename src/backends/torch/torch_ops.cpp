// `mtb ops` on libtorch: each op composed of aten ops as PyTorch's own modules compute it
// (nn.LayerNorm -> at::layer_norm, nn.MultiheadAttention -> linear + scaled_dot_product_attention +
// linear, ...), under inference mode. On CUDA a second variant captures the op once in a CUDA graph
// and replays it: the nearest C++ has to torch.compile (the ancestor's `compile` column).
#include "backends/torch/torch_threads.h"
#include "backends/torch/torch_ops.h"

#include <fmt/format.h>
#include <torch/version.h>

#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>
#include <cmath>
#include <cstring>
#include <map>

#include "backends/torch/torch_compat.h"
#include "backends/torch/torch_device.h"
#include "backends/torch/torch_model.h"
#include "core/system_info.h"
#if MTB_TORCH_HAS_CUDA_GRAPH
#include <ATen/cuda/CUDAContext.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace mtb {
namespace {

using ops::HostTensor;
using ops::Op;
using Tensors = std::map<std::string, at::Tensor>;
using torch_backend::kInt4Group;  // one group size for the LLM and op backends (torch_model.h)

at::ScalarType scalar_type(const std::string& dtype) {
  if (dtype == "bfloat16") return at::kBFloat16;
  if (dtype == "float16") return at::kHalf;
  return at::kFloat;
}

// Waits until the device has finished what was queued (CPU aten ops return when done).
void synchronize(const at::Device& d) {
#if MTB_TORCH_HAS_CUDA_GRAPH
  if (d.is_cuda()) at::cuda::getCurrentCUDAStream().synchronize();
#else
  (void)d;
#endif
}

// x [..., hd] -> cat(-x2, x1): Hugging Face's rotate_half (the NeoX layout of ops/op.h).
at::Tensor rotate_half(const at::Tensor& x) {
  const int64_t half = x.size(-1) / 2;
  return at::cat({x.narrow(-1, half, half).neg(), x.narrow(-1, 0, half)}, -1);
}

class TorchOp final : public OpInstance {
 public:
  TorchOp(const OpRequest& req, const std::vector<HostTensor>& inputs, int slots)
      : req_(req), device_(torch_backend::torch_device(req.device)) {
    threads_ = req.threads > 0 ? req.threads : default_cpu_threads();
    threading_ = torch_backend::set_cpu_threads(threads_);
    const auto opts = at::TensorOptions().dtype(scalar_type(req.dtype)).device(device_);
    for (int s = 0; s < slots; ++s) {
      Tensors t;
      for (const HostTensor& h : inputs) {
        auto host = at::from_blob(const_cast<float*>(h.data.data()), h.desc.shape, at::kFloat);
        at::Tensor dev = at::empty(h.desc.shape, opts);
        dev.copy_(host);  // a fresh copy per slot: distinct addresses
        t[h.desc.name] = dev;
      }
      if (req.op == Op::matmul_quant) req.shape.quant == "int4" ? quantize_int4(t) : quantize_int8(t);
      slots_.push_back(std::move(t));
    }
    if (req.op == Op::rope) rope_tables(opts);
    if (req.op == Op::matmul_quant) {
      const at::Tensor w = slots_[0]["weight_used"].to(at::kCPU, at::kFloat).contiguous();
      HostTensor e{ops::find_input(inputs, "weight").desc, std::vector<float>(size_t(w.numel()))};
      std::memcpy(e.data.data(), w.data_ptr<float>(), e.data.size() * sizeof(float));
      effective_.push_back(std::move(e));
    }
    if (req.variant == "cuda_graph") capture(slots);
  }

  void run(int slot) override {
#if MTB_TORCH_HAS_CUDA_GRAPH
    if (!graphs_.empty()) {
      graphs_[size_t(slot)]->replay();
      synchronize(device_);
      return;
    }
#endif
    c10::InferenceMode guard;
    at::Tensor out = forward(slots_[size_t(slot)]);
    synchronize(device_);
    if (slot == 0) out0_ = out;
  }

  std::vector<float> output() override {
    const at::Tensor o = out0_.to(at::kCPU, at::kFloat).contiguous();
    std::vector<float> v(size_t(o.numel()));
    std::memcpy(v.data(), o.data_ptr<float>(), v.size() * sizeof(float));
    return v;
  }

  std::vector<HostTensor> effective_inputs() override { return effective_; }

  nlohmann::json facts() const override {
    nlohmann::json j = {{"torch_version", TORCH_VERSION}, {"dtype", req_.dtype}, {"inference_mode", true}};
    if (device_.is_cpu()) {
      j["n_threads"] = threads_;
      j["threading"] = threading_;
    }
    if (ops::uses_mask(req_.op)) j["attention"] = torch_compat::attention_path();
    if (req_.op == Op::matmul_quant) j["matmul"] = quant_kernel();
    if (req_.op == Op::rms_norm) j["rms_norm"] = MTB_TORCH_HAS_RMS_NORM ? "at::rms_norm" : "composed (pow, mean, rsqrt)";
    j["cuda_graph"] = req_.variant == "cuda_graph";
    return j;
  }

 private:
  std::string quant_kernel() const {
    if (req_.shape.quant == "int4")
      return fmt::format("aten::_weight_int4pack_mm (tinygemm, group {}, bfloat16 activations)", kInt4Group);
    return device_.is_cpu() ? "aten::_weight_int8pack_mm (int8 weight-only, per-output-row scales)"
                            : "gpt-fast's int8 on a GPU: linear(x, int8 weight cast to x's dtype) * per-row scales";
  }

  // Weight-only int8 with one scale per output row (amax / 127), as torchao's int8 weight-only.
  void quantize_int8(Tensors& t) const {
    const at::Tensor w = t["weight"].to(at::kFloat);
    const at::Tensor scale = w.abs().amax(1).clamp_min(1e-12) / 127.0;
    t["weight_int8"] = (w / scale.unsqueeze(1)).round().clamp(-127, 127).to(at::kChar).contiguous();
    t["weight_scale"] = scale.to(scalar_type(req_.dtype));
    t["weight_used"] = t["weight_int8"].to(at::kFloat) * t["weight_scale"].to(at::kFloat).unsqueeze(1);
    t.erase("weight");
  }

  // Asymmetric group-wise int4 as torchao quantizes for tinygemm: per group of kInt4Group inputs,
  // scale = (max - min) / 15 and zero = min + 8 scale, so w = (q - 8) scale + zero (scales in bf16).
  void quantize_int4(Tensors& t) const {
    const at::Tensor w = t["weight"].to(at::kFloat);
    const int64_t N = w.size(0), K = w.size(1);
    const at::Tensor g = w.view({N, K / kInt4Group, kInt4Group});
    const at::Tensor lo = std::get<0>(g.min(2, true)), hi = std::get<0>(g.max(2, true));
    const at::Tensor scale = ((hi - lo) / 15.0).clamp_min(1e-6).to(at::kBFloat16).to(at::kFloat);
    const at::Tensor zero = (lo + scale * 8.0).to(at::kBFloat16).to(at::kFloat);
    const at::Tensor q = ((g - (zero - scale * 8.0)) / scale).round().clamp(0, 15);
    t["weight_used"] = ((q - 8.0) * scale + zero).view({N, K});
    t["weight_scales_zeros"] = at::cat({scale, zero}, 2).transpose(0, 1).contiguous().to(at::kBFloat16);  // [K/g, N, 2]
    t["weight_int4"] = torch_compat::int4_pack(q.to(at::kByte).view({N, K}));
    t.erase("weight");
  }

  // cos/sin of position x inverse frequency, [T, hd] (both halves), computed once as models cache them.
  void rope_tables(const at::TensorOptions& opts) {
    const int64_t T = req_.shape.seq, hd = req_.shape.head_dim();
    const auto f64 = at::TensorOptions().dtype(at::kDouble);
    const at::Tensor inv = at::pow(10000.0, at::arange(0, hd, 2, f64) / double(hd)).reciprocal();
    const at::Tensor freqs = at::outer(at::arange(T, f64), inv);
    const at::Tensor emb = at::cat({freqs, freqs}, -1);          // [T, hd]
    cos_ = emb.cos().to(opts).view({1, T, 1, hd});
    sin_ = emb.sin().to(opts).view({1, T, 1, hd});
  }

  // nn.MultiheadAttention: queries from xq, keys/values from xkv [B, T, d]; in_proj as three row blocks.
  at::Tensor mha(const Tensors& t, const at::Tensor& xq, const at::Tensor& xkv, const std::string& p, bool causal) const {
    const int64_t d = req_.shape.feature, h = req_.shape.heads, hd = d / h, B = xq.size(0), T = xq.size(1);
    const auto w = t.at(p + "in_proj_weight").chunk(3, 0);
    const auto b = t.at(p + "in_proj_bias").chunk(3, 0);
    auto heads = [&](const at::Tensor& y) { return y.view({B, -1, h, hd}).transpose(1, 2); };  // [B, h, T, hd]
    at::Tensor q, k, v;
    if (xq.is_same(xkv)) {  // self-attention: one fused projection, as PyTorch's in_proj does
      const auto qkv = at::linear(xq, t.at(p + "in_proj_weight"), t.at(p + "in_proj_bias")).chunk(3, -1);
      q = heads(qkv[0]), k = heads(qkv[1]), v = heads(qkv[2]);
    } else {
      q = heads(at::linear(xq, w[0], b[0]));
      k = heads(at::linear(xkv, w[1], b[1]));
      v = heads(at::linear(xkv, w[2], b[2]));
    }
    const at::Tensor o = torch_compat::attention(q, k, v, torch_compat::none, 1.0 / std::sqrt(double(hd)), causal);
    return at::linear(o.transpose(1, 2).reshape({B, T, d}), t.at(p + "out_proj_weight"), t.at(p + "out_proj_bias"));
  }

  static at::Tensor feedforward(const Tensors& t, const at::Tensor& x) {
    return at::linear(at::relu(at::linear(x, t.at("linear1_weight"), t.at("linear1_bias"))), t.at("linear2_weight"),
                      t.at("linear2_bias"));
  }

  at::Tensor norm(const Tensors& t, const at::Tensor& x, const std::string& name) const {
    return at::layer_norm(x, {req_.shape.feature}, t.at(name + "_weight"), t.at(name + "_bias"), 1e-5);
  }

  at::Tensor forward(const Tensors& t) const {
    const bool causal = req_.shape.causal;
    const int64_t d = req_.shape.feature;
    switch (req_.op) {
      case Op::layer_norm: return at::layer_norm(t.at("x"), {d}, t.at("weight"), t.at("bias"), 1e-5);
      case Op::rms_norm: return torch_compat::rms_norm(t.at("x"), t.at("weight"), 1e-6);
      case Op::softmax: return at::softmax(t.at("x"), -1);
      case Op::linear: return at::linear(t.at("x"), t.at("weight"), t.at("bias"));
      case Op::matmul_quant: {
        const at::Tensor& x = t.at("x");
        const at::Tensor x2 = x.reshape({-1, d});
        if (req_.shape.quant == "int4")  // tinygemm takes bfloat16 activations
          return torch_compat::int4_weight_mm(x2.to(at::kBFloat16), t.at("weight_int4"), kInt4Group,
                                              t.at("weight_scales_zeros"))
              .to(x.scalar_type())
              .view(x.sizes());
        if (!device_.is_cpu())  // _weight_int8pack_mm's CUDA kernel is ~10x slower than this (torch_model.cpp)
          return at::linear(x, t.at("weight_int8").to(x.scalar_type())) * t.at("weight_scale");
        return torch_compat::int8_weight_mm(x2, t.at("weight_int8"), t.at("weight_scale")).view(x.sizes());
      }
      case Op::rope: {
        const at::Tensor& x = t.at("x");
        return x * cos_ + rotate_half(x) * sin_;
      }
      case Op::swiglu: {
        const at::Tensor& x = t.at("x");
        return at::linear(at::silu(at::linear(x, t.at("w_gate"))) * at::linear(x, t.at("w_up")), t.at("w_down"));
      }
      case Op::sdpa: {
        const double scale = 1.0 / std::sqrt(double(req_.shape.head_dim()));
        return torch_compat::attention(t.at("q"), t.at("k"), t.at("v"), torch_compat::none, scale, causal);
      }
      case Op::mhsa: return mha(t, t.at("x"), t.at("x"), "", causal);
      case Op::encoder_layer: {
        const at::Tensor& x = t.at("x");
        const at::Tensor x1 = norm(t, x + mha(t, x, x, "self_attn.", causal), "norm1");
        return norm(t, x1 + feedforward(t, x1), "norm2");
      }
      case Op::decoder_layer: {
        const at::Tensor& x = t.at("x");
        const at::Tensor x1 = norm(t, x + mha(t, x, x, "self_attn.", causal), "norm1");
        const at::Tensor x2 = norm(t, x1 + mha(t, x1, t.at("memory"), "cross_attn.", false), "norm2");
        return norm(t, x2 + feedforward(t, x2), "norm3");
      }
    }
    throw std::runtime_error("torch op: unknown op");
  }

  // One CUDA graph per slot, captured on a side stream after warm-up runs (as PyTorch's docs do it).
  void capture(int slots) {
#if MTB_TORCH_HAS_CUDA_GRAPH
    c10::InferenceMode guard;
    at::cuda::getCurrentCUDAStream().synchronize();
    auto side = c10::cuda::getStreamFromPool();
    {
      c10::cuda::CUDAStreamGuard stream_guard(side);
      for (int s = 0; s < slots; ++s) {
        for (int i = 0; i < 3; ++i) forward(slots_[size_t(s)]);
        auto g = std::make_unique<at::cuda::CUDAGraph>();
        g->capture_begin();
        at::Tensor out = forward(slots_[size_t(s)]);
        g->capture_end();
        if (s == 0) out0_ = out;  // the graph's output buffer: replays rewrite it
        graphs_.push_back(std::move(g));
      }
    }
    side.synchronize();
#else
    (void)slots;
    throw Unsupported("this libtorch has no CUDA graphs");
#endif
  }

  OpRequest req_;
  at::Device device_;
  int threads_ = 0;
  std::string threading_;
  std::vector<Tensors> slots_;
  at::Tensor cos_, sin_, out0_;
  std::vector<HostTensor> effective_;
#if MTB_TORCH_HAS_CUDA_GRAPH
  std::vector<std::unique_ptr<at::cuda::CUDAGraph>> graphs_;
#endif
};

class TorchOpBackend final : public OpBackend {
 public:
  std::string name() const override { return "torch"; }
  std::string version() const override { return "libtorch " TORCH_VERSION; }

  std::vector<DeviceInfo> devices() const override { return torch_backend::torch_devices(name(), false); }

  std::vector<std::string> compiled_variants(const std::string& device) const override {
    if (device == "cuda" && MTB_TORCH_HAS_CUDA_GRAPH && torch_backend::device_available("cuda")) return {"cuda_graph"};
    return {};
  }

  std::vector<std::string> quant_formats() const override { return {"int8", "int4"}; }

  Support supports(const OpRequest& req) const override {
    if (req.device != "cpu" && !(req.device == "cuda" && torch_backend::device_available("cuda")))
      return Support::no(fmt::format("this libtorch ({}) has no '{}' device here (built without it, or none found)",
                                     TORCH_VERSION, req.device));
    if (req.op == Op::matmul_quant) {
      const bool cpu = req.device == "cpu";
      if (req.shape.quant == "int4") {
        if (!torch_compat::has_int4_weight_kernel(cpu))
          return Support::no(fmt::format("libtorch " TORCH_VERSION " has no int4 weight-only matmul on {} (tinygemm: "
                                         "CUDA from 2.5, CPU from 2.6)", req.device));
        if (req.shape.feature % kInt4Group != 0)
          return Support::no(fmt::format("int4 (tinygemm) needs the width to be a multiple of its group, {}", kInt4Group));
      } else if (req.shape.quant != "int8") {
        return Support::no(fmt::format("torch has no '{}' weight format (its weight-only formats: int8, int4)", req.shape.quant));
      } else if (cpu && !torch_compat::has_int8_weight_kernel()) {
        return Support::no("libtorch " TORCH_VERSION " has no _weight_int8pack_mm (from 2.3)");
      }
    }
    if (req.variant == "cuda_graph" && req.device != "cuda") return Support::no("CUDA graphs need -d cuda");
    return Support::yes();
  }

  std::unique_ptr<OpInstance> prepare(const OpRequest& req, const std::vector<HostTensor>& inputs, int slots) override {
    try {
      auto op = std::make_unique<TorchOp>(req, inputs, slots);
      op->run(0);  // a kernel missing for this device or dtype shows here, as a skip with its reason
      return op;
    } catch (const c10::NotImplementedError& e) {  // an aten kernel missing for this device/dtype
      throw Unsupported(fmt::format("libtorch {}: {}", TORCH_VERSION, e.what_without_backtrace()));
    } catch (const c10::Error& e) {
      // Kernel coverage by device and dtype varies by version (float16 on an old CPU build, the int8
      // kernel on CUDA): aten's "not implemented for" refusal, or any refusal of the int8 kernel, is a skip.
      const std::string what = e.what_without_backtrace();
      if (req.op == Op::matmul_quant || what.find("not implemented for") != std::string::npos)
        throw Unsupported(fmt::format("libtorch {}: {}", TORCH_VERSION, what.substr(0, what.find('\n'))));
      throw std::runtime_error(what);
    }
  }
};

}  // namespace

std::unique_ptr<OpBackend> make_torch_op_backend() { return std::make_unique<TorchOpBackend>(); }

}  // namespace mtb
