#include "backends/torch/torch_model.h"

#include <fmt/format.h>

#include <cmath>

#include "llm/backend.h"
#include "backends/torch/torch_blocks.h"
#include "backends/torch/torch_compat.h"

namespace mtb::torch_backend {
namespace {

at::ScalarType host_type(HostDType t) {
  return t == HostDType::f32 ? at::kFloat : t == HostDType::f16 ? at::kHalf : at::kBFloat16;
}

// RoPE tables for one (base, position scale) pair, as ggml_rope_ext computes the angle:
// pos * scale * base^(-2i/D) / factor[i]. In the rotate-half (NEOX) form the rotation is
// x * [cos, cos] + [x2, x1] * [-sin, sin], so the tables are kept [n_ctx, D] with the sign folded
// in: the rotation is then one multiply, one concatenation and one addcmul. Computed in float64,
// cast once to the run's dtype.
RopeTables rope_tables(int n_ctx, int head_dim, double base, double scale, const torch_compat::Opt<at::Tensor>& factors,
                       const ModelOptions& o) {
  auto f64 = at::TensorOptions().dtype(at::kDouble);
  auto inv = at::pow(base, at::arange(0, head_dim, 2, f64) / double(head_dim)).reciprocal();
  if (factors) inv = inv / factors->to(at::kDouble).cpu();
  auto ang = at::outer(at::arange(n_ctx, f64) * scale, inv);  // [n_ctx, D/2]
  auto cos = ang.cos(), sin = ang.sin();
  return {at::cat({cos, cos}, 1).to(o.dtype).to(o.device), at::cat({-sin, sin}, 1).to(o.dtype).to(o.device)};
}

}  // namespace

at::Tensor Linear::operator()(const at::Tensor& x) const {
  if (quant == WeightQuant::none) {
    // One row on the CPU (batch-1 decode): matrix-vector (BLAS gemv). at::linear takes BLAS gemm,
    // which with OpenBLAS (Debian's libtorch) packs the whole weight matrix on every call: 3.5x
    // slower for qwen-2.5-0.5b's output layer (70 vs 20 ms, measured on the CI VM).
    if (w.device().is_cpu() && x.numel() == x.size(-1)) {
      auto y = at::mv(w, x.reshape({-1}));
      if (b.defined()) y = y + b;
      auto sizes = x.sizes().vec();
      sizes.back() = w.size(0);
      return y.reshape(sizes);
    }
    return at::linear(x, w, b.defined() ? torch_compat::Opt<at::Tensor>(b) : torch_compat::none);
  }
  if (quant == WeightQuant::int8 && !w.device().is_cpu()) {
    // On GPUs, gpt-fast's formulation: dequantize, matmul, scale. _weight_int8pack_mm has a CUDA
    // kernel in torch 2.11 but it is ~10x slower than this at batch 1 (measured on an H100).
    auto y = at::linear(x, w.to(x.scalar_type())) * scales;
    return b.defined() ? y + b : y;
  }
  auto x2 = x.reshape({-1, x.size(-1)});
  auto y = quant == WeightQuant::int8 ? torch_compat::int8_weight_mm(x2, w, scales)
                                      : torch_compat::int4_weight_mm(x2, w, kInt4Group, scales);
  auto sizes = x.sizes().vec();
  sizes.back() = out_features;
  y = y.reshape(sizes);
  return b.defined() ? y + b : y;
}

namespace {

// Symmetric per-output-channel int8, the layout _weight_int8pack_mm takes.
void quantize_int8(Linear& l, at::ScalarType dtype) {
  auto amax = l.w.abs().amax(1).clamp_min(1e-12);
  l.scales = (amax / 127.0).to(dtype);
  l.w = (l.w / (amax / 127.0).unsqueeze(1)).round().clamp(-127, 127).to(at::kChar);
}

// Asymmetric group-wise int4 as torchao quantizes for tinygemm: per group of kInt4Group inputs,
// scale = (max - min) / 15 and zero = min + 8 * scale, so w = (q - 8) * scale + zero.
void quantize_int4(Linear& l) {
  const int64_t N = l.w.size(0), K = l.w.size(1);
  if (K % kInt4Group != 0)
    throw Unsupported(fmt::format("torch int4 weights need every matmul's input size to be a multiple of {} (the group size); "
                                  "this model has {}", kInt4Group, K));
  auto g = l.w.to(at::kFloat).view({N, K / kInt4Group, kInt4Group});
  auto lo = std::get<0>(g.min(2, true)), hi = std::get<0>(g.max(2, true));
  auto scale = ((hi - lo) / 15.0).clamp_min(1e-6);
  auto q = ((g - lo) / scale).round().clamp(0, 15).to(at::kByte).view({N, K});
  auto zero = lo + scale * 8.0;
  l.scales = at::cat({scale, zero}, 2).transpose(0, 1).contiguous().to(at::kBFloat16);  // [K / group, N, 2]
  l.w = torch_compat::int4_pack(q);
}

}  // namespace

// A stored tensor's values on the run's device: float tensors as stored, q8_0 / q4_0 blocks decoded
// to f32 there (torch_blocks). On the CPU a float tensor is a view of the host blob, not a copy.
at::Tensor Decoder::device_values(const HostTensor& h) const {
  const bool cpu = opt_.device.is_cpu();
  // from_blob takes a mutable pointer; the blob (maybe the mapped file's pages) is only read, and
  // lives until torch has copied it.
  auto blob = [&](std::vector<int64_t> shape, at::ScalarType t) {
    return at::from_blob(const_cast<uint8_t*>(h.data.get()), shape, [keep = h.data](void*) {}, at::TensorOptions().dtype(t));
  };
  if (is_blocks(h.dtype)) {
    const int64_t rows = h.shape.size() > 1 ? h.numel() / h.shape.back() : 1;
    const at::Tensor bytes = blob({rows, int64_t(h.nbytes) / rows}, at::kByte);
    return decode_blocks(cpu ? bytes : bytes.to(opt_.device), h.dtype, h.shape.back()).view(h.shape);
  }
  const at::Tensor host = blob(h.shape, host_type(h.dtype));
  return cpu ? host : host.to(opt_.device);
}

// The tensors named, stacked along dim 0 (Q, K, V; gate, up), on the run's device in `dtype`. Each
// part is written straight into its rows of the result: one copy per weight where loading each and
// concatenating took two. Off the CPU, a part crosses in its stored dtype (or blocks) and is
// converted on the device: .to(device, dtype) converts on the host first, which for bf16 -> f32
// moved 2.3 GB/s to an H100 against 7.1 GB/s for .to(device).to(dtype) (torch 2.11, pageable
// memory; same values).
// One tensor is the same with one part; the copy into `out` also keeps nothing of the file's pages.
at::Tensor Decoder::load_stacked(const TensorSource& src, const std::vector<std::string>& names, at::ScalarType dtype) {
  std::vector<HostTensor> parts;
  int64_t rows = 0;
  for (const auto& name : names) {
    parts.push_back(src.read_blocks(name));
    n_params_ += uint64_t(parts.back().numel());
    rows += parts.back().shape.at(0);
  }
  auto sizes = parts[0].shape;
  sizes[0] = rows;
  at::Tensor out = at::empty(sizes, at::TensorOptions().dtype(dtype).device(opt_.device));
  int64_t row = 0;
  for (auto& p : parts) {
    out.narrow(0, row, p.shape[0]).copy_(device_values(p));
    row += p.shape[0];
    p = HostTensor();  // the host blob goes now, not with the last part
  }
  return out;
}

at::Tensor Decoder::load(const TensorSource& src, const std::string& name, at::ScalarType dtype) {
  return load_stacked(src, {name}, dtype);
}

Linear Decoder::linear(const TensorSource& src, const std::vector<std::string>& names, bool bias) {
  auto with_leaf = [&](const char* leaf) {
    std::vector<std::string> v;
    for (const auto& n : names) v.push_back(n + leaf);
    return v;
  };
  Linear l;
  l.w = load_stacked(src, with_leaf(".weight"), opt_.quant != WeightQuant::none ? at::kFloat : opt_.dtype);
  if (bias) l.b = load_stacked(src, with_leaf(".bias"), opt_.dtype);
  l.out_features = l.w.size(0);
  l.quant = opt_.quant;
  if (l.quant == WeightQuant::int8) quantize_int8(l, opt_.dtype);
  if (l.quant == WeightQuant::int4) quantize_int4(l);
  if (l.scales.defined()) weight_bytes_ += uint64_t(l.scales.numel() * l.scales.element_size());
  weight_bytes_ += uint64_t(l.w.numel() * l.w.element_size());
  return l;
}

Decoder::Decoder(const TensorSource& src, const ModelOptions& opt) : cfg_(src.config()), opt_(opt) {
  const auto& c = cfg_;
  if (opt.n_ctx <= 0) throw std::invalid_argument("torch backend: n_ctx must be positive");
  embed = load(src, "token_embd.weight", opt.dtype);
  weight_bytes_ += uint64_t(embed.numel() * embed.element_size());
  out_norm = load(src, "output_norm.weight", opt.dtype);
  if (c.tied_embeddings) {
    lm_head.w = embed;
    lm_head.out_features = embed.size(0);
    if (opt.quant != WeightQuant::none) lm_head = linear(src, {"token_embd"}, false);
  } else {
    lm_head = linear(src, {"output"}, false);
  }
  for (int i = 0; i < c.layers; ++i) {
    const std::string p = fmt::format("blk.{}.", i);
    Layer l;
    l.attn_norm = load(src, p + "attn_norm.weight", opt.dtype);
    l.qkv = linear(src, {p + "attn_q", p + "attn_k", p + "attn_v"}, c.qkv_bias);
    if (c.qk_norm) {
      l.q_norm = load(src, p + "attn_q_norm.weight", opt.dtype);
      l.k_norm = load(src, p + "attn_k_norm.weight", opt.dtype);
    }
    l.o = linear(src, {p + "attn_output"}, false);
    if (c.post_norms) {
      l.post_attn_norm = load(src, p + "post_attention_norm.weight", opt.dtype);
      l.post_ffn_norm = load(src, p + "post_ffw_norm.weight", opt.dtype);
    }
    l.ffn_norm = load(src, p + "ffn_norm.weight", opt.dtype);
    l.gate_up = linear(src, {p + "ffn_gate", p + "ffn_up"}, false);
    l.down = linear(src, {p + "ffn_down"}, false);
    layers_.push_back(std::move(l));
  }
  if (c.rope_freq_factors) rope_factors_ = load(src, "rope_freqs.weight", at::kFloat);
  resize_context(opt.n_ctx);
}

void Decoder::resize_context(int n_ctx) {
  if (n_ctx <= 0) throw std::invalid_argument("torch backend: n_ctx must be positive");
  const auto& c = cfg_;
  opt_.n_ctx = n_ctx;
  kv_cache_.clear();  // the old cache is freed before the new one is allocated
  const auto kv_opts = at::TensorOptions().dtype(opt_.dtype).device(opt_.device);
  for (int i = 0; i < c.layers; ++i) kv_cache_.push_back(at::zeros({2, opt_.batch, c.kv_heads, n_ctx, c.head_dim}, kv_opts));
  torch_compat::Opt<at::Tensor> factors;
  if (rope_factors_.defined()) factors = rope_factors_;
  rope_global_ = rope_tables(n_ctx, c.head_dim, c.rope_theta, c.rope_freq_scale, factors, opt_);
  if (c.sliding_window > 0)  // llama.cpp: local layers use their own base and no position scaling
    rope_local_ = rope_tables(n_ctx, c.head_dim, c.rope_local_theta, 1.0, torch_compat::none, opt_);
  key_pos_ = at::arange(n_ctx, at::TensorOptions().dtype(at::kLong).device(opt_.device));
}

// The rotation factors of this call's positions for the fused QKV output viewed as [B, T, H+2KV, D]:
// Q and K heads rotate, V heads get cos 1 and sin 0 (exact identity). One rotation then covers Q and
// K of a layer and leaves K and V adjacent for a single cache write: five kernels fewer per layer
// than rotating Q and K apart, which is what decides decode speed on a GPU.
std::pair<at::Tensor, at::Tensor> Decoder::qkv_rotation(const RopeTables& t, const at::Tensor& positions) const {
  const int64_t T = positions.size(0), QK = cfg_.heads + cfg_.kv_heads, KV = cfg_.kv_heads, D = cfg_.head_dim;
  auto cos = t.cos.index_select(0, positions).unsqueeze(1), sin = t.sin.index_select(0, positions).unsqueeze(1);
  return {at::cat({cos.expand({T, QK, D}), at::ones({T, KV, D}, cos.options())}, 1),
          at::cat({sin.expand({T, QK, D}), at::zeros({T, KV, D}, sin.options())}, 1)};
}

at::Tensor Decoder::rotate(const at::Tensor& x, const std::pair<at::Tensor, at::Tensor>& rot) {
  const int64_t half = x.size(-1) / 2;
  auto swapped = at::cat({x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
  return at::addcmul(x * rot.first, swapped, rot.second);
}

at::Tensor Decoder::forward(const at::Tensor& tokens, const at::Tensor& positions, int64_t n_keys, int64_t pos0,
                            bool all_logits) {
  const auto& c = cfg_;
  const int64_t B = tokens.size(0), T = tokens.size(1), H = c.heads, KV = c.kv_heads, D = c.head_dim;
  const double scale = c.attn_scale > 0 ? c.attn_scale : 1.0 / std::sqrt(double(D));

  // Attention masks over the n_keys cache entries, built once per call from positions on the
  // device (so a CUDA graph can replay them), additive (0 or -inf, in the compute dtype) so that
  // attention does not convert a boolean mask in every layer. nullopt: every key is visible, or
  // plain causal.
  const bool known_prefix = pos0 >= 0 && n_keys == pos0 + T;
  auto mask_for = [&](int window) -> torch_compat::Opt<at::Tensor> {
    if (known_prefix && window == 0 && (T == 1 || pos0 == 0)) return torch_compat::none;
    auto q = positions.unsqueeze(1), k = key_pos_.narrow(0, 0, n_keys).unsqueeze(0);
    auto hidden = k > q;
    if (window > 0) hidden = hidden.logical_or(q - k >= window);  // llama.cpp: masked when p1 - p0 >= n_swa
    return at::zeros(hidden.sizes(), embed.options()).masked_fill_(hidden, -INFINITY);
  };
  const auto mask_global = mask_for(0);
  const auto mask_local = c.sliding_window > 0 ? mask_for(c.sliding_window) : torch_compat::none;
  const bool causal_fast = known_prefix && pos0 == 0 && T > 1;

  const auto rot_global = qkv_rotation(rope_global_, positions);
  const auto rot_local = c.sliding_window > 0 ? qkv_rotation(rope_local_, positions) : rot_global;

  at::Tensor x = at::embedding(embed, tokens);
  if (c.embed_scale != 1) x = x * c.embed_scale;
  for (size_t il = 0; il < layers_.size(); ++il) {
    const Layer& l = layers_[il];
    const bool swa = c.is_swa[il];
    auto h = torch_compat::rms_norm(x, l.attn_norm, c.norm_eps);
    auto qkv = l.qkv(h).view({B, T, H + 2 * KV, D});
    if (c.qk_norm) {
      qkv = at::cat({torch_compat::rms_norm(qkv.narrow(2, 0, H), l.q_norm, c.norm_eps),
                     torch_compat::rms_norm(qkv.narrow(2, H, KV), l.k_norm, c.norm_eps), qkv.narrow(2, H + KV, KV)},
                    2);
    }
    qkv = rotate(qkv, swa ? rot_local : rot_global);
    auto q = qkv.narrow(2, 0, H).transpose(1, 2);                                // [B, H, T, D]
    auto kv = qkv.narrow(2, H, 2 * KV).view({B, T, 2, KV, D}).permute({2, 0, 3, 1, 4});  // [2, B, KV, T, D]
    kv_cache_[il].index_copy_(3, positions, kv);
    auto keys = kv_cache_[il][0].narrow(2, 0, n_keys), values = kv_cache_[il][1].narrow(2, 0, n_keys);
    const auto& mask = swa ? mask_local : mask_global;
    auto a = torch_compat::attention(q, keys, values, mask, scale, causal_fast && !swa);
    a = l.o(a.transpose(1, 2).reshape({B, T, H * D}));
    if (c.post_norms) a = torch_compat::rms_norm(a, l.post_attn_norm, c.norm_eps);
    x = x + a;

    h = torch_compat::rms_norm(x, l.ffn_norm, c.norm_eps);
    auto gu = l.gate_up(h).chunk(2, -1);
    auto act = c.activation == "gelu_tanh" ? at::gelu(gu[0], "tanh") : at::silu(gu[0]);
    auto f = l.down(act * gu[1]);
    if (c.post_norms) f = torch_compat::rms_norm(f, l.post_ffn_norm, c.norm_eps);
    x = x + f;
  }
  if (!all_logits) x = x.narrow(1, T - 1, 1);
  return lm_head(torch_compat::rms_norm(x, out_norm, c.norm_eps)).to(at::kFloat);
}

}  // namespace mtb::torch_backend
