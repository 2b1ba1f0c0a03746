// The zoo's decoder architectures (Qwen2, Qwen3, Llama 3, Gemma 3) written once in libtorch ops,
// with a static KV cache: what a PyTorch user's inference loop computes, on any device.
#pragma once
#include <ATen/ATen.h>

#include "backends/torch/torch_compat.h"
#include <string>
#include <vector>

#include "models/tensor_source.h"

namespace mtb::torch_backend {

// How the big matmuls' weights are stored: as the compute dtype, or weight-only quantized.
enum class WeightQuant { none, int8, int4 };

// Group size of int4 weights: 128, torchao's and gpt-fast's default for the tinygemm kernel.
inline constexpr int64_t kInt4Group = 128;

// A Linear layer: dense, weight-only int8 (per-output-channel scales) or weight-only int4
// (group-wise scales and zeros, packed for the tinygemm kernel).
struct Linear {
  at::Tensor w, b, scales;  // int8: scales [N]; int4: scales = scales_zeros [K / group, N, 2]
  WeightQuant quant = WeightQuant::none;
  int64_t out_features = 0;
  at::Tensor operator()(const at::Tensor& x) const;
};

struct Layer {
  at::Tensor attn_norm, q_norm, k_norm, post_attn_norm, ffn_norm, post_ffn_norm;
  Linear qkv, o, gate_up, down;  // Q, K, V and gate, up fused: two matmuls fewer per layer
};

// cos and sin of every position, [n_ctx, D], in the rotate-half layout (see rope_tables).
struct RopeTables {
  at::Tensor cos, sin;
};

struct ModelOptions {
  at::Device device = at::kCPU;
  at::ScalarType dtype = at::kFloat;
  WeightQuant quant = WeightQuant::none;  // for the big matmuls
  int batch = 1, n_ctx = 0;
};

class Decoder {
 public:
  Decoder(const TensorSource& src, const ModelOptions& opt);

  // Runs tokens [B, T] (long, on the device) at positions [T] (long, on the device): writes their
  // K/V into the cache and returns float32 logits [B, T, V] (all positions) or [B, 1, V] (last).
  // n_keys: cache entries attended to (the filled length; or n_ctx under a CUDA graph, where shapes
  // must stay fixed and the mask hides the unfilled tail). pos0: the first position when the caller
  // knows it on the host (enables the causal fast path), -1 when it does not.
  at::Tensor forward(const at::Tensor& tokens, const at::Tensor& positions, int64_t n_keys, int64_t pos0, bool all_logits);

  // A new KV cache (and RoPE tables) for n_ctx tokens per sequence, the weights kept: what the
  // next case of other lengths needs. The old cache is freed first.
  void resize_context(int n_ctx);

  const ModelConfig& config() const { return cfg_; }
  uint64_t n_params() const { return n_params_; }
  uint64_t weight_bytes() const { return weight_bytes_; }
  const ModelOptions& options() const { return opt_; }

 private:
  at::Tensor device_values(const HostTensor& h) const;
  at::Tensor load(const TensorSource& src, const std::string& name, at::ScalarType dtype);
  at::Tensor load_stacked(const TensorSource& src, const std::vector<std::string>& names, at::ScalarType dtype);
  Linear linear(const TensorSource& src, const std::vector<std::string>& names, bool bias);
  std::pair<at::Tensor, at::Tensor> qkv_rotation(const RopeTables& t, const at::Tensor& positions) const;
  static at::Tensor rotate(const at::Tensor& x, const std::pair<at::Tensor, at::Tensor>& rot);

  ModelConfig cfg_;
  ModelOptions opt_;
  at::Tensor embed, out_norm;
  Linear lm_head;
  std::vector<Layer> layers_;
  RopeTables rope_global_, rope_local_;                        // computed once
  at::Tensor rope_factors_;                                    // llama3's rope_freqs (undefined elsewhere)
  at::Tensor key_pos_;                                         // arange(n_ctx): builds masks on the device
  std::vector<at::Tensor> kv_cache_;                           // per layer [2 (K, V), B, KV, n_ctx, D]
  uint64_t n_params_ = 0, weight_bytes_ = 0;
};

}  // namespace mtb::torch_backend
