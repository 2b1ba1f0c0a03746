#include "backends/mlx/mlx_model.h"

#include <fmt/format.h>

#include <cmath>
#include <numbers>
#include <stdexcept>

namespace mtb::mlx_backend {
namespace {

mx::Dtype host_type(HostDType t) {
  return t == HostDType::f32 ? mx::float32 : t == HostDType::f16 ? mx::float16 : mx::bfloat16;
}

// Gemma's gelu with the tanh approximation, as mlx-lm's nn.gelu_approx computes it.
mx::array gelu_tanh(const mx::array& x, const mx::Device& d) {
  const auto t = x.dtype();
  auto x3 = mx::multiply(mx::multiply(x, x, d), x, d);
  auto inner = mx::multiply(mx::array(std::sqrt(2.0 / std::numbers::pi), t),
                            mx::add(x, mx::multiply(mx::array(0.044715, t), x3, d), d), d);
  auto gate = mx::add(mx::array(1.0, t), mx::tanh(inner, d), d);
  return mx::multiply(mx::multiply(mx::array(0.5, t), x, d), gate, d);
}

mx::array silu(const mx::array& x, const mx::Device& d) { return mx::multiply(x, mx::sigmoid(x, d), d); }

}  // namespace

mx::array Weight::operator()(const mx::array& x, const mx::Device& d) const {
  mx::array y = scales ? mx::quantized_matmul(x, w, *scales, biases, /*transpose=*/true, group, bits, "affine", d)
                       : mx::matmul(x, mx::transpose(w, d), d);  // w.T is a view: BLAS reads it transposed
  return bias ? mx::add(y, *bias, d) : y;
}

mx::array Weight::rows(const mx::array& ids, const mx::Device& d) const {
  if (!scales) return mx::take(w, ids, 0, d);
  return mx::dequantize(mx::take(w, ids, 0, d), mx::take(*scales, ids, 0, d), mx::take(*biases, ids, 0, d), group, bits,
                        "affine", std::nullopt, std::nullopt, d);
}

uint64_t Weight::nbytes() const {
  uint64_t n = w.nbytes();
  for (const auto* a : {&bias, &scales, &biases})
    if (*a) n += (*a)->nbytes();
  return n;
}

mx::array Decoder::load(const TensorSource& src, const std::string& name, mx::Dtype dtype) {
  HostTensor h = src.read(name);
  mx::Shape shape(h.shape.begin(), h.shape.end());
  // MLX takes a mutable pointer; the blob (maybe the mapped file's pages) is only read, and lives
  // until MLX has copied it into its own buffer.
  mx::array host(const_cast<uint8_t*>(h.data.get()), shape, host_type(h.dtype), [keep = h.data](void*) {});
  n_params_ += uint64_t(h.numel());
  // A copy on the run's device in the run's dtype, evaluated now: load time is conversion time,
  // and the host blob is released before the next tensor is read.
  mx::array t = mx::copy(mx::astype(host, dtype, opt_.device), opt_.device);
  mx::eval(t);
  return t;
}

Weight Decoder::quantized(mx::array w) {
  // mlx-lm quantizes only matrices whose input width is a multiple of the group size.
  if (opt_.bits == 0 || w.shape(-1) % opt_.group != 0) {
    ++n_dense_;
    return {.w = w};
  }
  auto q = mx::quantize(w, opt_.group, opt_.bits, "affine", std::nullopt, opt_.device);  // {packed, scales, biases}
  mx::eval(q);
  ++n_quantized_;
  q_params_ += uint64_t(w.size());
  q_bytes_ += q[0].nbytes() + q[1].nbytes() + q[2].nbytes();
  return {.w = q[0], .scales = q[1], .biases = q[2], .bits = opt_.bits, .group = opt_.group};
}

Weight Decoder::matrix(const TensorSource& src, const std::vector<std::string>& names, bool bias) {
  std::vector<mx::array> ws, bs;
  for (const auto& n : names) {
    ws.push_back(load(src, n + ".weight", opt_.dtype));
    if (bias) bs.push_back(load(src, n + ".bias", opt_.dtype));
  }
  Weight m = quantized(ws.size() == 1 ? ws[0] : mx::concatenate(ws, 0, opt_.device));
  if (bias) m.bias = bs.size() == 1 ? bs[0] : mx::concatenate(bs, 0, opt_.device);
  mx::eval(m.w);
  if (m.bias) mx::eval(*m.bias);
  weight_bytes_ += m.nbytes();
  return m;
}

Decoder::Decoder(const TensorSource& src, const ModelOptions& opt) : cfg_(src.config()), opt_(opt) {
  const auto& c = cfg_;
  if (opt.n_ctx <= 0) throw std::invalid_argument("mlx backend: n_ctx must be positive");
  const mx::Device& d = opt.device;
  embed_ = matrix(src, {"token_embd"}, false);
  out_norm_ = load(src, "output_norm.weight", opt.dtype);
  if (!c.tied_embeddings) lm_head_ = matrix(src, {"output"}, false);
  for (int i = 0; i < c.layers; ++i) {
    const std::string p = fmt::format("blk.{}.", i);
    Layer l{.attn_norm = load(src, p + "attn_norm.weight", opt.dtype),
            .ffn_norm = load(src, p + "ffn_norm.weight", opt.dtype),
            .qkv = matrix(src, {p + "attn_q", p + "attn_k", p + "attn_v"}, c.qkv_bias),
            .o = matrix(src, {p + "attn_output"}, false),
            .gate_up = matrix(src, {p + "ffn_gate", p + "ffn_up"}, false),
            .down = matrix(src, {p + "ffn_down"}, false)};
    if (c.qk_norm) {
      l.q_norm = load(src, p + "attn_q_norm.weight", opt.dtype);
      l.k_norm = load(src, p + "attn_k_norm.weight", opt.dtype);
    }
    if (c.post_norms) {
      l.post_attn_norm = load(src, p + "post_attention_norm.weight", opt.dtype);
      l.post_ffn_norm = load(src, p + "post_ffw_norm.weight", opt.dtype);
    }
    layers_.push_back(std::move(l));
  }
  resize_context(opt.n_ctx);
  if (c.rope_freq_factors) {
    // mx::fast::rope takes wavelengths (base^(2i/D)), not inverse frequencies: Llama 3's factors
    // multiply them, as mlx-lm's Llama3RoPE passes them. Computed in double, handed over in f32.
    HostTensor f = src.read("rope_freqs.weight");
    if (f.dtype != HostDType::f32) throw std::runtime_error("rope_freqs.weight: expected float32");
    const auto* factor = reinterpret_cast<const float*>(f.data.get());
    std::vector<float> periods(size_t(c.head_dim / 2));
    for (size_t i = 0; i < periods.size(); ++i)
      periods[i] = float(std::pow(c.rope_theta, 2.0 * double(i) / c.head_dim) * factor[i]);
    rope_periods_ = mx::array(periods.begin(), {int(periods.size())}, mx::float32);
  }
}

mx::array Decoder::norm(const mx::array& x, const mx::array& w) const {
  return mx::fast::rms_norm(x, w, float(cfg_.norm_eps), opt_.device);
}

void Decoder::resize_context(int n_ctx) {
  if (n_ctx <= 0) throw std::invalid_argument("mlx backend: n_ctx must be positive");
  const auto& c = cfg_;
  opt_.n_ctx = n_ctx;
  k_cache_.clear();  // the old cache is released before the new one is made
  v_cache_.clear();
  for (int i = 0; i < c.layers; ++i) {
    k_cache_.push_back(mx::zeros({opt_.batch, c.kv_heads, n_ctx, c.head_dim}, opt_.dtype, opt_.device));
    v_cache_.push_back(mx::zeros({opt_.batch, c.kv_heads, n_ctx, c.head_dim}, opt_.dtype, opt_.device));
  }
  mx::eval(k_cache_);
  mx::eval(v_cache_);
}

mx::array Decoder::rope(const mx::array& x, bool local, int pos) const {
  // x [B, H, T, D], rotate-half (traditional = false): TensorSource's Q/K convention. llama.cpp's
  // local (sliding-window) layers use their own base and no position scaling.
  const auto& c = cfg_;
  const int D = c.head_dim;
  if (local) return mx::fast::rope(x, D, false, float(c.rope_local_theta), 1.0f, pos, std::nullopt, opt_.device);
  if (rope_periods_)
    return mx::fast::rope(x, D, false, std::nullopt, float(c.rope_freq_scale), pos, rope_periods_, opt_.device);
  return mx::fast::rope(x, D, false, float(c.rope_theta), float(c.rope_freq_scale), pos, std::nullopt, opt_.device);
}

mx::array Decoder::forward(const mx::array& tokens, int pos, bool all_logits) {
  const auto& c = cfg_;
  const mx::Device& d = opt_.device;
  const int B = tokens.shape(0), T = tokens.shape(1), H = c.heads, KV = c.kv_heads, D = c.head_dim, S = pos + T;
  if (S > opt_.n_ctx) throw std::runtime_error(fmt::format("mlx backend: {} tokens exceed the cache's {}", S, opt_.n_ctx));
  const float scale = float(c.attn_scale > 0 ? c.attn_scale : 1.0 / std::sqrt(double(D)));

  // Global layers: causal over the whole cache (MLX aligns the causal mask to the last key, so it
  // holds after a prefix too); one query sees every key. Local layers: a [T, S] boolean mask,
  // as llama.cpp masks them (key j hidden from query i when i - j >= window).
  const std::string global_mode = T > 1 ? "causal" : "";
  std::optional<mx::array> local_mask;
  if (c.sliding_window > 0 && (T > 1 || S > c.sliding_window)) {
    auto q = mx::reshape(mx::arange(pos, S, d), {T, 1}, d), k = mx::reshape(mx::arange(0, S, d), {1, S}, d);
    local_mask = mx::logical_and(mx::less_equal(k, q, d),
                                 mx::less(mx::subtract(q, k, d), mx::array(c.sliding_window, mx::int32), d), d);
  }

  mx::array x = embed_->rows(tokens, d);  // [B, T, hidden]
  if (c.embed_scale != 1) x = mx::multiply(x, mx::array(c.embed_scale, x.dtype()), d);
  for (size_t il = 0; il < layers_.size(); ++il) {
    const Layer& l = layers_[il];
    const bool swa = c.is_swa[il];
    auto qkv = l.qkv(norm(x, l.attn_norm), d);
    auto heads = [&](int from, int n) {  // [B, T, n*D] slice of qkv -> [B, n, T, D]
      auto part = mx::slice(qkv, {0, 0, from * D}, {B, T, (from + n) * D}, d);
      return mx::reshape(part, {B, T, n, D}, d);
    };
    auto q = heads(0, H), k = heads(H, KV), v = heads(H + KV, KV);
    if (c.qk_norm) q = norm(q, *l.q_norm), k = norm(k, *l.k_norm);
    q = rope(mx::transpose(q, {0, 2, 1, 3}, d), swa, pos);
    k = rope(mx::transpose(k, {0, 2, 1, 3}, d), swa, pos);
    v = mx::transpose(v, {0, 2, 1, 3}, d);
    // The new K/V written into the cache in place (MLX donates the old buffer to slice_update).
    k_cache_[il] = mx::slice_update(k_cache_[il], k, mx::Shape{0, 0, pos, 0}, mx::Shape{B, KV, S, D}, d);
    v_cache_[il] = mx::slice_update(v_cache_[il], v, mx::Shape{0, 0, pos, 0}, mx::Shape{B, KV, S, D}, d);
    auto keys = mx::slice(k_cache_[il], {0, 0, 0, 0}, {B, KV, S, D}, d);
    auto values = mx::slice(v_cache_[il], {0, 0, 0, 0}, {B, KV, S, D}, d);
    auto a = swa && local_mask
                 ? mx::fast::scaled_dot_product_attention(q, keys, values, scale, "array", local_mask, std::nullopt, d)
                 : mx::fast::scaled_dot_product_attention(q, keys, values, scale, global_mode, std::nullopt, std::nullopt, d);
    a = l.o(mx::reshape(mx::transpose(a, {0, 2, 1, 3}, d), {B, T, H * D}, d), d);
    if (c.post_norms) a = norm(a, *l.post_attn_norm);
    x = mx::add(x, a, d);

    auto gu = mx::split(l.gate_up(norm(x, l.ffn_norm), d), 2, -1, d);
    auto act = c.activation == "gelu_tanh" ? gelu_tanh(gu[0], d) : silu(gu[0], d);
    auto f = l.down(mx::multiply(act, gu[1], d), d);
    if (c.post_norms) f = norm(f, *l.post_ffn_norm);
    x = mx::add(x, f, d);
  }
  if (!all_logits) x = mx::slice(x, {0, T - 1, 0}, {B, T, c.hidden}, d);
  x = norm(x, *out_norm_);
  return mx::astype(lm_head_ ? (*lm_head_)(x, d) : (*embed_)(x, d), mx::float32, d);
}

std::vector<mx::array> Decoder::cache_arrays() const {
  std::vector<mx::array> all = k_cache_;
  all.insert(all.end(), v_cache_.begin(), v_cache_.end());
  return all;
}

}  // namespace mtb::mlx_backend
