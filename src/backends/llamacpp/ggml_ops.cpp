// `mtb ops` on ggml: each op is a ggml graph built once per case from ggml's own ops (as llama.cpp
// builds its models: activations f32, matrices at the case's dtype or quant format), allocated on
// a ggml-backend device (CPU, or CUDA/Metal when compiled in) and computed on every run().
#include "backends/llamacpp/ggml_ops.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "backends/llamacpp/llamacpp_internal.h"
#include "build_info.h"
#include "core/system_info.h"
#include "ggml-alloc.h"
#include "ggml-backend.h"
#include "ggml-cpu.h"
#include "ggml.h"

namespace mtb {
namespace {

using ops::HostTensor;
using ops::Op;

void quiet_log(ggml_log_level level, const char* text, void*) {
  static const bool verbose = std::getenv("MTB_VERBOSE") != nullptr;
  if (verbose || level == GGML_LOG_LEVEL_ERROR) fputs(text, stderr);
}

ggml_backend_dev_t find_device(const std::string& device) {
  if (device == "cpu") return ggml_backend_dev_by_type(GGML_BACKEND_DEVICE_TYPE_CPU);
  const auto gpus = gpu_devices(device);
  return gpus.empty() ? nullptr : gpus[0];
}

ggml_type weight_type(const OpRequest& req) {
  if (req.op == Op::matmul_quant) return req.shape.quant == "q8_0" ? GGML_TYPE_Q8_0 : GGML_TYPE_Q4_0;
  if (req.dtype == "bfloat16") return GGML_TYPE_BF16;
  if (req.dtype == "float16") return GGML_TYPE_F16;
  return GGML_TYPE_F32;
}

// A tensor of ggml's reversed dimension order: torch [B, T, d] is ggml ne {d, T, B}, same bytes.
ggml_tensor* new_tensor(ggml_context* ctx, ggml_type type, const std::vector<int64_t>& shape) {
  int64_t ne[4] = {1, 1, 1, 1};
  const int n = static_cast<int>(shape.size());
  for (int i = 0; i < n; ++i) ne[i] = shape[size_t(n - 1 - i)];
  return ggml_new_tensor(ctx, type, n, ne);
}

// The bytes a host float tensor becomes in `type` (quantized, bf16, f16 or f32).
std::vector<uint8_t> encode(const HostTensor& t, ggml_type type) {
  const int64_t row = t.desc.shape.back(), rows = t.desc.numel() / row;
  std::vector<uint8_t> out(ggml_row_size(type, row) * size_t(rows));
  if (type == GGML_TYPE_F32) {
    std::memcpy(out.data(), t.data.data(), out.size());
  } else if (type == GGML_TYPE_BF16) {
    ggml_fp32_to_bf16_row(t.data.data(), reinterpret_cast<ggml_bf16_t*>(out.data()), t.desc.numel());
  } else if (type == GGML_TYPE_F16) {
    ggml_fp32_to_fp16_row(t.data.data(), reinterpret_cast<ggml_fp16_t*>(out.data()), t.desc.numel());
  } else {
    ggml_quantize_chunk(type, t.data.data(), out.data(), 0, rows, row, nullptr);
  }
  return out;
}

// Everything of one case: tensors for `slots` input copies, one graph per copy.
class GgmlOp final : public OpInstance {
 public:
  GgmlOp(const OpRequest& req, const std::vector<HostTensor>& inputs, int slots) : req_(req) {
    ggml_log_set(quiet_log, nullptr);
    ggml_backend_dev_t dev = find_device(req.device);
    if (!dev) throw Unsupported(fmt::format("this build of ggml has no '{}' device", req.device));
    backend_ = ggml_backend_dev_init(dev, nullptr);
    if (!backend_) throw std::runtime_error(fmt::format("cannot start ggml backend for {}", req.device));
    device_ = ggml_backend_dev_description(dev);
    threads_ = req.threads > 0 ? req.threads : default_cpu_threads();
    if (req.device == "cpu") ggml_backend_cpu_set_n_threads(backend_, threads_);

    // Leaf tensors (inputs of every slot, the mask, positions) live in one allocated context.
    const size_t n_leaf = inputs.size() * size_t(slots) + 2;
    ggml_init_params lp{(n_leaf + 4) * ggml_tensor_overhead(), nullptr, true};
    leaf_ctx_ = ggml_init(lp);
    std::vector<std::vector<ggml_tensor*>> slot_inputs(static_cast<size_t>(slots));
    for (int s = 0; s < slots; ++s)
      for (const HostTensor& t : inputs) slot_inputs[size_t(s)].push_back(new_tensor(leaf_ctx_, type_of(t), t.desc.shape));
    const int64_t T = req.shape.seq;
    if (ops::uses_mask(req.op) && req.shape.causal) mask_ = ggml_new_tensor_2d(leaf_ctx_, GGML_TYPE_F32, T, T);
    if (req.op == Op::rope) pos_ = ggml_new_tensor_1d(leaf_ctx_, GGML_TYPE_I32, T);
    leaf_buf_ = ggml_backend_alloc_ctx_tensors(leaf_ctx_, backend_);
    if (!leaf_buf_) throw std::runtime_error(fmt::format("not enough memory on {} for the op's inputs", req.device));

    for (int s = 0; s < slots; ++s)
      for (size_t i = 0; i < inputs.size(); ++i) {
        const std::vector<uint8_t> bytes = encode(inputs[i], slot_inputs[size_t(s)][i]->type);
        ggml_backend_tensor_set(slot_inputs[size_t(s)][i], bytes.data(), 0, bytes.size());
      }
    if (mask_) {  // causal: key j is visible to query i iff j <= i
      std::vector<float> m(size_t(T * T), 0.0f);
      for (int64_t i = 0; i < T; ++i)
        for (int64_t j = i + 1; j < T; ++j) m[size_t(i * T + j)] = -INFINITY;
      ggml_backend_tensor_set(mask_, m.data(), 0, m.size() * sizeof(float));
    }
    if (pos_) {
      std::vector<int32_t> p(static_cast<size_t>(T));
      for (int64_t i = 0; i < T; ++i) p[size_t(i)] = int32_t(i);
      ggml_backend_tensor_set(pos_, p.data(), 0, p.size() * sizeof(int32_t));
    }
    if (weight_type(req) != GGML_TYPE_F32)
      for (size_t i = 0; i < inputs.size(); ++i)
        if (type_of(inputs[i]) != GGML_TYPE_F32) effective_.push_back(decode(inputs[i], slot_inputs[0][i]));

    // One graph per slot, each with its own intermediate buffers (gallocr), built once.
    ggml_init_params gp{size_t(slots) * (ggml_graph_overhead() + 256 * ggml_tensor_overhead()), nullptr, true};
    graph_ctx_ = ggml_init(gp);
    for (int s = 0; s < slots; ++s) {
      named_ = {};
      for (size_t i = 0; i < inputs.size(); ++i) named_.push_back({inputs[i].desc.name, slot_inputs[size_t(s)][i]});
      ggml_tensor* out = build(graph_ctx_);
      ggml_set_output(out);
      ggml_cgraph* g = ggml_new_graph(graph_ctx_);
      ggml_build_forward_expand(g, out);
      for (int n = 0; n < ggml_graph_n_nodes(g); ++n)
        if (!ggml_backend_supports_op(backend_, ggml_graph_node(g, n)))
          throw Unsupported(fmt::format("ggml's {} backend cannot run {} ({}) for this case", req.device,
                                        ggml_op_desc(ggml_graph_node(g, n)), ggml_type_name(ggml_graph_node(g, n)->type)));
      ggml_gallocr_t ga = ggml_gallocr_new(ggml_backend_get_default_buffer_type(backend_));
      allocs_.push_back(ga);
      if (!ggml_gallocr_alloc_graph(ga, g))
        throw std::runtime_error(fmt::format("not enough memory on {} for the op's intermediates", req.device));
      graphs_.push_back(g);
      outs_.push_back(out);
      n_nodes_ = ggml_graph_n_nodes(g);
    }
  }

  ~GgmlOp() override {
    for (auto* a : allocs_) ggml_gallocr_free(a);
    if (graph_ctx_) ggml_free(graph_ctx_);
    if (leaf_buf_) ggml_backend_buffer_free(leaf_buf_);
    if (leaf_ctx_) ggml_free(leaf_ctx_);
    if (backend_) ggml_backend_free(backend_);
  }

  void run(int slot) override {
    if (ggml_backend_graph_compute(backend_, graphs_[size_t(slot)]) != GGML_STATUS_SUCCESS)
      throw std::runtime_error("ggml graph compute failed");
    ggml_backend_synchronize(backend_);
  }

  std::vector<float> output() override {
    ggml_tensor* out = outs_[0];
    std::vector<float> v(size_t(ggml_nelements(out)));
    ggml_backend_tensor_get(out, v.data(), 0, v.size() * sizeof(float));
    return v;
  }

  std::vector<HostTensor> effective_inputs() override { return effective_; }

  nlohmann::json facts() const override {
    nlohmann::json j = {{"device", device_},
                         {"graph_nodes", n_nodes_},
                         {"weight_type", ggml_type_name(weight_type(req_))},
                         {"activations", "f32"}};
    if (req_.device == "cpu") j["n_threads"] = threads_;
    if (ops::uses_mask(req_.op)) j["attention"] = "mul_mat + soft_max_ext (mask, scale) + mul_mat";
    return j;
  }

 private:
  // Matrices take the case's weight type; vectors (biases, norms) and activations stay f32, as in
  // llama.cpp; K and V of sdpa take the dtype as a KV cache would.
  ggml_type type_of(const HostTensor& t) const {
    if (t.desc.weight && t.desc.shape.size() == 2) return weight_type(req_);
    if (req_.op == Op::sdpa && (t.desc.name == "k" || t.desc.name == "v")) {
      if (req_.dtype == "bfloat16") return GGML_TYPE_BF16;
      if (req_.dtype == "float16") return GGML_TYPE_F16;
    }
    return GGML_TYPE_F32;
  }

  // The values a tensor holds after encoding, back in float (what verification must compare with).
  static HostTensor decode(const HostTensor& t, ggml_tensor* dev) {
    std::vector<uint8_t> bytes(ggml_nbytes(dev));
    ggml_backend_tensor_get(dev, bytes.data(), 0, bytes.size());
    HostTensor out{t.desc, std::vector<float>(t.data.size())};
    const auto* traits = ggml_get_type_traits(dev->type);
    if (!traits->to_float) throw std::runtime_error(fmt::format("ggml type {} has no to_float", ggml_type_name(dev->type)));
    traits->to_float(bytes.data(), out.data.data(), t.desc.numel());
    return out;
  }

  ggml_tensor* in(const std::string& name) const {
    for (const auto& [n, t] : named_)
      if (n == name) return t;
    throw std::runtime_error(fmt::format("ggml op: no input '{}'", name));
  }

  // x [d_in, rows...] -> W x + b with W [d_in, d_out] (torch's [out, in]); `b` may be null.
  static ggml_tensor* linear(ggml_context* c, ggml_tensor* x, ggml_tensor* w, ggml_tensor* b) {
    ggml_tensor* y = ggml_mul_mat(c, w, x);
    return b ? ggml_add(c, y, b) : y;
  }

  static ggml_tensor* layer_norm(ggml_context* c, ggml_tensor* x, ggml_tensor* w, ggml_tensor* b) {
    return ggml_add(c, ggml_mul(c, ggml_norm(c, x, 1e-5f), w), b);
  }

  // softmax(q k^T scale + mask) v over q, k, v of ggml shape [hd, T, h, B]; returns [hd, T, h, B].
  ggml_tensor* attention(ggml_context* c, ggml_tensor* q, ggml_tensor* k, ggml_tensor* v, bool masked) const {
    const int64_t hd = q->ne[0];
    ggml_tensor* kq = ggml_mul_mat(c, k, q);  // [Tk, Tq, h, B]
    kq = ggml_soft_max_ext(c, kq, masked ? mask_ : nullptr, 1.0f / std::sqrt(float(hd)), 0.0f);
    ggml_tensor* vt = ggml_cont(c, ggml_permute(c, v, 1, 0, 2, 3));  // [Tk, hd, h, B]
    return ggml_mul_mat(c, vt, kq);                                  // [hd, Tq, h, B]
  }

  // nn.MultiheadAttention: queries from xq, keys/values from xkv, both [d, T, B]; the in-projection
  // [d, 3d] is used as three row blocks (views), as separate q/k/v weights would be.
  ggml_tensor* mha(ggml_context* c, ggml_tensor* xq, ggml_tensor* xkv, const std::string& p, bool masked) const {
    const int64_t d = req_.shape.feature, h = req_.shape.heads, hd = d / h, T = xq->ne[1], B = xq->ne[2];
    ggml_tensor* w = in(p + "in_proj_weight");
    ggml_tensor* b = in(p + "in_proj_bias");
    auto wpart = [&](int i) { return ggml_view_2d(c, w, d, d, w->nb[1], size_t(i) * d * w->nb[1]); };
    auto bpart = [&](int i) { return ggml_view_1d(c, b, d, size_t(i) * d * b->nb[0]); };
    auto heads = [&](ggml_tensor* t) {  // [d, T, B] -> [hd, T, h, B]
      return ggml_permute(c, ggml_reshape_4d(c, t, hd, h, T, B), 0, 2, 1, 3);
    };
    ggml_tensor* q = heads(linear(c, xq, wpart(0), bpart(0)));
    ggml_tensor* k = heads(linear(c, xkv, wpart(1), bpart(1)));
    ggml_tensor* v = heads(linear(c, xkv, wpart(2), bpart(2)));
    ggml_tensor* o = attention(c, q, k, v, masked);                             // [hd, T, h, B]
    o = ggml_cont_3d(c, ggml_permute(c, o, 0, 2, 1, 3), d, T, B);             // [d, T, B]
    return linear(c, o, in(p + "out_proj_weight"), in(p + "out_proj_bias"));
  }

  ggml_tensor* feedforward(ggml_context* c, ggml_tensor* x) const {
    ggml_tensor* hdn = ggml_relu(c, linear(c, x, in("linear1_weight"), in("linear1_bias")));
    return linear(c, hdn, in("linear2_weight"), in("linear2_bias"));
  }

  ggml_tensor* norm(ggml_context* c, ggml_tensor* x, const std::string& name) const {
    return layer_norm(c, x, in(name + "_weight"), in(name + "_bias"));
  }

  ggml_tensor* build(ggml_context* c) const {
    const bool causal = req_.shape.causal;
    switch (req_.op) {
      case Op::layer_norm: return layer_norm(c, in("x"), in("weight"), in("bias"));
      case Op::rms_norm: return ggml_mul(c, ggml_rms_norm(c, in("x"), 1e-6f), in("weight"));
      case Op::softmax: return ggml_soft_max(c, in("x"));
      case Op::linear: return linear(c, in("x"), in("weight"), in("bias"));
      case Op::matmul_quant: return linear(c, in("x"), in("weight"), nullptr);
      case Op::rope: {
        const int hd = req_.shape.head_dim();  // x [hd, h, T, B]: positions index T (ne[2])
        return ggml_rope_ext(c, in("x"), pos_, nullptr, hd, GGML_ROPE_TYPE_NEOX, 0, 10000.0f, 1.0f, 0.0f, 1.0f, 0.0f, 0.0f);
      }
      case Op::swiglu: {
        ggml_tensor* x = in("x");
        ggml_tensor* g = ggml_swiglu_split(c, linear(c, x, in("w_gate"), nullptr), linear(c, x, in("w_up"), nullptr));
        return linear(c, g, in("w_down"), nullptr);
      }
      case Op::sdpa: {
        // q, k, v torch [B, h, T, hd] are ggml [hd, T, h, B] already.
        return attention(c, in("q"), in("k"), in("v"), causal);
      }
      case Op::mhsa: return mha(c, in("x"), in("x"), "", causal);
      case Op::encoder_layer: {
        ggml_tensor* x = in("x");
        ggml_tensor* x1 = norm(c, ggml_add(c, x, mha(c, x, x, "self_attn.", causal)), "norm1");
        return norm(c, ggml_add(c, x1, feedforward(c, x1)), "norm2");
      }
      case Op::decoder_layer: {
        ggml_tensor* x = in("x");
        ggml_tensor* x1 = norm(c, ggml_add(c, x, mha(c, x, x, "self_attn.", causal)), "norm1");
        ggml_tensor* x2 = norm(c, ggml_add(c, x1, mha(c, x1, in("memory"), "cross_attn.", false)), "norm2");
        return norm(c, ggml_add(c, x2, feedforward(c, x2)), "norm3");
      }
    }
    throw std::runtime_error("ggml op: unknown op");
  }

  OpRequest req_;
  ggml_backend_t backend_ = nullptr;
  std::string device_;
  int threads_ = 0;
  ggml_context* leaf_ctx_ = nullptr;
  ggml_backend_buffer_t leaf_buf_ = nullptr;
  ggml_context* graph_ctx_ = nullptr;
  ggml_tensor* mask_ = nullptr;
  ggml_tensor* pos_ = nullptr;
  std::vector<std::pair<std::string, ggml_tensor*>> named_;  // the slot being built
  std::vector<ggml_gallocr_t> allocs_;
  std::vector<ggml_cgraph*> graphs_;
  std::vector<ggml_tensor*> outs_;
  std::vector<HostTensor> effective_;
  int n_nodes_ = 0;
};

class GgmlOpBackend final : public OpBackend {
 public:
  std::string name() const override { return "ggml"; }
  std::string version() const override {
    return fmt::format("ggml (llama.cpp {})", std::string(build::kLlamaCppCommit).substr(0, 7));
  }

  std::vector<DeviceInfo> devices() const override {
    std::vector<DeviceInfo> out;
    for (const std::string kind : {"cpu", "cuda", "metal"}) {
      ggml_backend_dev_t d = find_device(kind);
      if (!d) continue;
      DeviceInfo info;
      info.backend = name();
      info.name = kind;
      info.description = ggml_backend_dev_description(d);
      ggml_backend_dev_memory(d, &info.memory_free, &info.memory_total);
      out.push_back(info);
    }
    return out;
  }

  std::vector<std::string> quant_formats() const override { return {"q8_0", "q4_0"}; }

  Support supports(const OpRequest& req) const override {
    if (!find_device(req.device))
      return Support::no(fmt::format("this build of ggml has no '{}' device (built without it, or none found)", req.device));
    if (req.op == Op::matmul_quant && req.shape.quant != "q8_0" && req.shape.quant != "q4_0")
      return Support::no(fmt::format("ggml has no '{}' weight format here (its block formats: q8_0, q4_0)", req.shape.quant));
    // llama.cpp keeps activations in f32; a lower dtype applies to matrices (and sdpa's K/V, as a
    // KV cache). An op with neither has no lower-precision form in ggml.
    const bool has_matrix = req.op != Op::layer_norm && req.op != Op::rms_norm && req.op != Op::softmax && req.op != Op::rope;
    if (req.dtype != "float32" && !has_matrix)
      return Support::no(fmt::format("ggml computes {} on f32 activations only (llama.cpp keeps activations in f32; "
                                     "{} applies to weights)", ops::op_name(req.op), req.dtype));
    return Support::yes();
  }

  std::unique_ptr<OpInstance> prepare(const OpRequest& req, const std::vector<HostTensor>& inputs, int slots) override {
    return std::make_unique<GgmlOp>(req, inputs, slots);
  }
};

}  // namespace

std::unique_ptr<OpBackend> make_ggml_op_backend() { return std::make_unique<GgmlOpBackend>(); }

}  // namespace mtb
