// The model zoo: architecture specs of the ancestor's models and their neighbours, taken from their
// published Hugging Face config.json files. A spec is enough to synthesize a GGUF that llama.cpp
// (and every other backend) loads as that real architecture.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mtb {

struct RopeScaling {
  std::string type;  // "", "llama3", "linear"
  double factor = 1;
  double low_freq_factor = 1, high_freq_factor = 4;  // llama3
  int original_context = 0;                          // llama3
};

struct ModelSpec {
  std::string name;   // "qwen-2.5-0.5b-it": what -m takes
  std::string hf_id;  // where the numbers come from
  std::string arch;   // GGUF general.architecture: qwen2, qwen3, llama, gemma3
  std::string vocab;  // tokenizer: models/ggml-vocab-<vocab>.gguf of the llama.cpp tree
  int hidden = 0, layers = 0, heads = 0, kv_heads = 0, head_dim = 0, ffn = 0, vocab_size = 0, context = 0;
  double rope_theta = 10000, norm_eps = 1e-6;
  RopeScaling rope_scaling;
  bool tied_embeddings = false;
  bool qkv_bias = false;  // Qwen2
  bool qk_norm = false;   // Qwen3, Gemma 3
  int sliding_window = 0;          // Gemma 3: local attention window
  int sliding_window_pattern = 0;  // every Nth layer is global
  double rope_local_theta = 0;     // Gemma 3: RoPE base of the local layers
  std::string activation = "silu"; // gemma: gelu (tanh)
  double init_std = 0.02;          // initializer_range: the scale of synthetic weights
  bool test_only = false;          // tiny specs, hidden from the default listing

  uint64_t n_params() const;
  // Weight bytes at a precision (GGUF block sizes; q4_k_m is llama.cpp's mix, so an estimate).
  uint64_t bytes_at(const std::string& precision) const;
};

const std::vector<ModelSpec>& zoo();
const ModelSpec* find_spec(const std::string& name);
// Zoo names closest to `name` (edit distance), for "did you mean" messages.
std::vector<std::string> closest_specs(const std::string& name, size_t n = 3);

// The precisions mtb can synthesize, in the order `mtb models` prints them.
const std::vector<std::string>& synth_precisions();
bool is_synth_precision(const std::string& p);
double nominal_bits_per_weight(const std::string& precision);

// Llama 3's RoPE frequency factors (rope_freqs.weight), as convert_hf_to_gguf computes them from
// rope_scaling: one divisor per frequency, head_dim / 2 of them.
std::vector<float> llama3_rope_factors(const RopeScaling& r, double theta, int head_dim);

}  // namespace mtb
