// Every difference between the libtorch versions mtb builds against (Debian's 1.13 CPU, pip 2.x with
// CUDA) lives here, so the model code reads the same for both.
#pragma once
#include <ATen/ATen.h>
#include <torch/version.h>

#include <c10/util/Optional.h>

#define MTB_TORCH_AT_LEAST(major, minor) \
  (TORCH_VERSION_MAJOR > (major) || (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

// Fused attention (flash / memory-efficient / math chosen by PyTorch) arrived in 2.0; GQA without
// copying K/V into every query head's group in 2.5.
#define MTB_TORCH_HAS_SDPA MTB_TORCH_AT_LEAST(2, 0)
#define MTB_TORCH_HAS_SDPA_GQA MTB_TORCH_AT_LEAST(2, 5)
// One-op RMSNorm (at::rms_norm) from 2.4.
#define MTB_TORCH_HAS_RMS_NORM MTB_TORCH_AT_LEAST(2, 4)
// Weight-only int8 matmul with per-channel scales (CPU from 2.3; other devices later, probed at load).
#define MTB_TORCH_HAS_INT8_MM MTB_TORCH_AT_LEAST(2, 3)
// Weight-only int4 with group-wise scales and zeros (the tinygemm kernel gpt-fast and torchao use):
// CUDA from 2.5 (packed from uint8 pairs), CPU through its own *_for_cpu pair from 2.6.
#define MTB_TORCH_HAS_INT4_MM MTB_TORCH_AT_LEAST(2, 5)
#define MTB_TORCH_HAS_INT4_MM_CPU MTB_TORCH_AT_LEAST(2, 6)
// CUDA graphs through the C++ API: only when the linked libtorch has CUDA (CMake sets MTB_TORCH_CUDA).
#if defined(MTB_TORCH_CUDA) && MTB_TORCH_AT_LEAST(2, 0)
#define MTB_TORCH_HAS_CUDA_GRAPH 1
#else
#define MTB_TORCH_HAS_CUDA_GRAPH 0
#endif

namespace mtb::torch_compat {

// aten's optional: c10::optional in 1.13, an alias of std::optional in 2.x.
template <class T>
using Opt = c10::optional<T>;
inline constexpr auto none = c10::nullopt;

inline const char* attention_path() { return MTB_TORCH_HAS_SDPA ? "at::scaled_dot_product_attention" : "matmul-softmax-matmul"; }

// q [B, H, T, D]; k, v [B, KV, S, D] with H a multiple of KV; mask [T, S] additive (0: attend,
// -inf: hidden) in q's dtype, or none; causal: key j attends to query i iff j <= i (only with T == S and no mask).
inline at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                            const Opt<at::Tensor>& mask, double scale, bool causal) {
  const int64_t group = q.size(1) / k.size(1);
#if MTB_TORCH_HAS_SDPA
#if MTB_TORCH_HAS_SDPA_GQA
  return at::scaled_dot_product_attention(q, k, v, mask, 0.0, causal, scale, /*enable_gqa=*/group > 1);
#else
  auto kk = group > 1 ? k.repeat_interleave(group, 1) : k;
  auto vv = group > 1 ? v.repeat_interleave(group, 1) : v;
  return at::scaled_dot_product_attention(q, kk, vv, mask, 0.0, causal, scale);
#endif
#else
  // The plain path: queries grouped by their KV head so K/V broadcast instead of being copied.
  const int64_t B = q.size(0), KV = k.size(1), T = q.size(2), D = q.size(3), S = k.size(2);
  auto qg = q.reshape({B, KV, group, T, D});
  auto scores = at::matmul(qg, k.unsqueeze(2).transpose(-1, -2)).mul_(scale).to(at::kFloat);  // [B, KV, g, T, S]
  if (mask) scores.add_(mask->to(at::kFloat));
  else if (causal) scores.masked_fill_(at::ones({T, S}, q.options().dtype(at::kBool)).triu(1), -INFINITY);
  auto out = at::matmul(scores.softmax(-1).to(q.scalar_type()), v.unsqueeze(2));  // [B, KV, g, T, D]
  return out.reshape({B, KV * group, T, D});
#endif
}

// RMSNorm over the last dimension, accumulated in float32 as Hugging Face's models do.
inline at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& w, double eps) {
#if MTB_TORCH_HAS_RMS_NORM
  return at::rms_norm(x, {x.size(-1)}, w, eps);  // accumulates in float32 for half types too
#else
  auto xf = x.to(at::kFloat);
  auto y = xf * at::rsqrt(xf.pow(2).mean(-1, true).add_(eps));
  return y.to(x.scalar_type()) * w;
#endif
}

inline bool has_int8_weight_kernel() { return MTB_TORCH_HAS_INT8_MM; }

// x [M, K] times int8 weight [N, K] with per-row scales [N]: PyTorch's weight-only int8 kernel.
inline at::Tensor int8_weight_mm(const at::Tensor& x, const at::Tensor& w, const at::Tensor& scales) {
#if MTB_TORCH_HAS_INT8_MM
  return at::_weight_int8pack_mm(x, w, scales);
#else
  (void)x, (void)w, (void)scales;
  TORCH_CHECK(false, "libtorch " TORCH_VERSION " has no _weight_int8pack_mm");
#endif
}

inline bool has_int4_weight_kernel(bool cpu) { return cpu ? MTB_TORCH_HAS_INT4_MM_CPU : MTB_TORCH_HAS_INT4_MM; }

// Packs int4 codes q [N, K] (uint8 values 0..15, on the target device) into the layout of
// int4_weight_mm; inner_k_tiles 8 as torchao uses for K a multiple of 128.
inline at::Tensor int4_pack(const at::Tensor& q) {
#if MTB_TORCH_HAS_INT4_MM
  if (q.device().is_cpu()) {
#if MTB_TORCH_HAS_INT4_MM_CPU
    return at::_convert_weight_to_int4pack_for_cpu(q.to(at::kInt), 8);
#endif
  } else {
    auto pairs = q.slice(1, 0, q.size(1), 2).bitwise_left_shift(4).bitwise_or(q.slice(1, 1, q.size(1), 2));  // even k high
    return at::_convert_weight_to_int4pack(pairs.to(at::kByte).contiguous(), 8);
  }
#endif
  TORCH_CHECK(false, "libtorch " TORCH_VERSION " has no int4 weight packing for ", q.device().str());
}

// x [M, K] (bfloat16) times the packed int4 weight with scales_zeros [K / group, N, 2]:
// w = (q - 8) * scale + zero, group-wise along K.
inline at::Tensor int4_weight_mm(const at::Tensor& x, const at::Tensor& packed, int64_t group, const at::Tensor& scales_zeros) {
#if MTB_TORCH_HAS_INT4_MM
  if (x.device().is_cpu()) {
#if MTB_TORCH_HAS_INT4_MM_CPU
    return at::_weight_int4pack_mm_for_cpu(x, packed, group, scales_zeros);
#endif
  } else {
    return at::_weight_int4pack_mm(x, packed, group, scales_zeros);
  }
#endif
  (void)packed, (void)group, (void)scales_zeros;
  TORCH_CHECK(false, "libtorch " TORCH_VERSION " has no int4 weight-only matmul for ", x.device().str());
}

}  // namespace mtb::torch_compat
