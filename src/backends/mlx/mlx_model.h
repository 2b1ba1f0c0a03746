// The zoo's decoder architectures (Qwen2, Qwen3, Llama 3, Gemma 3) written once in MLX ops and
// mx::fast kernels, with a preallocated KV cache: what an mlx-lm user's inference loop computes,
// on MLX's CPU or GPU (Metal, CUDA), the device a parameter of every op.
#pragma once
#include <mlx/mlx.h>

#include <optional>
#include <string>
#include <vector>

#include "models/tensor_source.h"

namespace mtb::mlx_backend {
namespace mx = mlx::core;

// A weight matrix [out, in], dense or in MLX's affine quantization (mx::quantize: packed uint32
// values plus a scale and a bias per group of `group` inputs), as mlx-lm's nn.QuantizedLinear
// holds it. Also the embedding table: rows() gathers token rows as nn.QuantizedEmbedding does.
struct Weight {
  mx::array w;
  std::optional<mx::array> bias{}, scales{}, biases{};  // scales set: w is quantized
  int bits = 0, group = 0;

  mx::array operator()(const mx::array& x, const mx::Device& d) const;  // x @ w.T + bias
  mx::array rows(const mx::array& ids, const mx::Device& d) const;       // w[ids], dequantized
  uint64_t nbytes() const;
};

struct Layer {
  mx::array attn_norm, ffn_norm;
  std::optional<mx::array> q_norm{}, k_norm{}, post_attn_norm{}, post_ffn_norm{};
  Weight qkv, o, gate_up, down;  // Q, K, V and gate, up fused: two matmuls fewer per layer
};

struct ModelOptions {
  mx::Device device = mx::Device::cpu;
  mx::Dtype dtype = mx::float32;  // weights (unquantized ones) and activations
  int bits = 0;                   // 0: dense; 8 or 4: affine quantization of every matrix
  int group = 64;                 // quantization group size (mlx-lm's default)
  int batch = 1, n_ctx = 0;
};

class Decoder {
 public:
  Decoder(const TensorSource& src, const ModelOptions& opt);

  // Runs tokens [B, T] (int32) at positions pos..pos+T-1: writes their K/V into the cache and
  // returns float32 logits [B, T, V] (all positions) or [B, 1, V] (last). Lazy: nothing is
  // computed until the caller evaluates the result (together with cache_arrays()).
  mx::array forward(const mx::array& tokens, int pos, bool all_logits);

  // The cache after the last forward: evaluated with the logits so the graph never grows.
  std::vector<mx::array> cache_arrays() const;

  // A new KV cache for n_ctx tokens per sequence, the weights kept (the next case of other lengths).
  void resize_context(int n_ctx);

  const ModelConfig& config() const { return cfg_; }
  const ModelOptions& options() const { return opt_; }
  uint64_t n_params() const { return n_params_; }
  uint64_t weight_bytes() const { return weight_bytes_; }
  int quantized_matrices() const { return n_quantized_; }
  int dense_matrices() const { return n_dense_; }
  // Stored bits per weight of the quantized matrices alone (values + a scale and a bias per group):
  // at group 64, 8.5 / 4.5 with 16-bit scales, 9 / 5 with float32 ones; 0 when none is quantized.
  double quantized_bits_per_weight() const { return q_params_ ? 8.0 * double(q_bytes_) / double(q_params_) : 0; }

 private:
  mx::array load(const TensorSource& src, const std::string& name, mx::Dtype dtype);
  Weight matrix(const TensorSource& src, const std::vector<std::string>& names, bool bias);
  Weight quantized(mx::array w);
  mx::array norm(const mx::array& x, const mx::array& w) const;
  mx::array rope(const mx::array& x, bool local, int pos) const;

  ModelConfig cfg_;
  ModelOptions opt_;
  std::optional<Weight> embed_, lm_head_;  // lm_head_ empty: tied to the embedding
  std::optional<mx::array> out_norm_, rope_periods_;  // rope_periods_: Llama 3's scaled wavelengths
  std::vector<Layer> layers_;
  std::vector<mx::array> k_cache_, v_cache_;  // per layer [B, KV, n_ctx, D]
  uint64_t n_params_ = 0, weight_bytes_ = 0;
  int n_quantized_ = 0, n_dense_ = 0;
  uint64_t q_params_ = 0, q_bytes_ = 0;
};

}  // namespace mtb::mlx_backend
