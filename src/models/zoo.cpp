#include "models/zoo.h"

#include <algorithm>
#include <cmath>

namespace mtb {
namespace {

ModelSpec qwen25(std::string name, std::string hf, int hidden, int layers, int heads, int kv, int ffn, int vocab,
                 bool tied, int ctx = 32768, double theta = 1e6) {
  ModelSpec s;
  s.name = std::move(name);
  s.hf_id = std::move(hf);
  s.arch = "qwen2";
  s.vocab = "qwen2";
  s.hidden = hidden;
  s.layers = layers;
  s.heads = heads;
  s.kv_heads = kv;
  s.head_dim = hidden / heads;
  s.ffn = ffn;
  s.vocab_size = vocab;
  s.context = ctx;
  s.rope_theta = theta;
  s.norm_eps = 1e-6;
  s.tied_embeddings = tied;
  s.qkv_bias = true;
  return s;
}

ModelSpec qwen3(std::string name, std::string hf, int hidden, int layers, int heads, int kv, int ffn, bool tied) {
  ModelSpec s;
  s.name = std::move(name);
  s.hf_id = std::move(hf);
  s.arch = "qwen3";
  s.vocab = "qwen2";  // Qwen3 keeps Qwen2's BPE vocabulary and pre-tokenizer
  s.hidden = hidden;
  s.layers = layers;
  s.heads = heads;
  s.kv_heads = kv;
  s.head_dim = 128;
  s.ffn = ffn;
  s.vocab_size = 151936;
  s.context = 40960;
  s.rope_theta = 1e6;
  s.norm_eps = 1e-6;
  s.tied_embeddings = tied;
  s.qk_norm = true;
  return s;
}

// Llama 3.1 and 3.2: the llama3 RoPE scaling (factor 8 for 3.1, 32 for 3.2's small models), GQA
// with 8 KV heads, the 128K context and 128256-token vocabulary of the whole family.
ModelSpec llama3(std::string name, std::string hf, int hidden, int layers, int heads, int head_dim, int ffn,
                 double rope_factor, bool tied) {
  ModelSpec s;
  s.name = std::move(name);
  s.hf_id = std::move(hf);
  s.arch = "llama";
  s.vocab = "llama-bpe";
  s.hidden = hidden;
  s.layers = layers;
  s.heads = heads;
  s.kv_heads = 8;
  s.head_dim = head_dim;
  s.ffn = ffn;
  s.vocab_size = 128256;
  s.context = 131072;
  s.rope_theta = 500000;
  s.norm_eps = 1e-5;
  s.rope_scaling = {"llama3", rope_factor, 1.0, 4.0, 8192};
  s.tied_embeddings = tied;
  return s;
}

ModelSpec gemma3(std::string name, std::string hf, int hidden, int layers, int heads, int kv, int ffn, int vocab,
                 int window, int ctx, RopeScaling scaling) {
  ModelSpec s;
  s.name = std::move(name);
  s.hf_id = std::move(hf);
  s.arch = "gemma3";
  // The llama.cpp tree ships no Gemma 3 vocabulary; Gemma 4's has the same size (262144) and family.
  s.vocab = "gemma-4";
  s.hidden = hidden;
  s.layers = layers;
  s.heads = heads;
  s.kv_heads = kv;
  s.head_dim = 256;
  s.ffn = ffn;
  s.vocab_size = vocab;
  s.context = ctx;
  s.rope_theta = 1e6;
  s.rope_local_theta = 10000;
  s.rope_scaling = std::move(scaling);
  s.norm_eps = 1e-6;
  s.tied_embeddings = true;
  s.qk_norm = true;
  s.sliding_window = window;
  s.sliding_window_pattern = 6;
  s.activation = "gelu";
  return s;
}

ModelSpec tiny(std::string name, ModelSpec base) {
  base.name = std::move(name);
  base.hf_id = "(test spec: " + base.hf_id + " reduced to 2 layers of width 64)";
  base.hidden = 64;
  base.layers = 2;
  base.heads = 4;
  base.kv_heads = 2;
  base.head_dim = 16;
  base.ffn = 128;
  base.context = 8192;
  if (base.sliding_window) {
    base.sliding_window = 16;
    base.sliding_window_pattern = 2;  // one local, one global layer
  }
  // At width 64 the blocks add too little to the residual stream at the real models' 0.02, and
  // greedy decoding would only echo the last prompt token; wider draws make the layers matter.
  base.init_std = 0.2;
  base.test_only = true;
  return base;
}

std::vector<ModelSpec> build_zoo() {
  std::vector<ModelSpec> z;
  z.push_back(qwen25("qwen-2.5-0.5b-it", "Qwen/Qwen2.5-0.5B-Instruct", 896, 24, 14, 2, 4864, 151936, true));
  z.push_back(qwen25("qwen-2.5-1.5b-it", "Qwen/Qwen2.5-1.5B-Instruct", 1536, 28, 12, 2, 8960, 151936, true));
  z.push_back(qwen25("qwen-2.5-3b-it", "Qwen/Qwen2.5-3B-Instruct", 2048, 36, 16, 2, 11008, 151936, true));
  z.push_back(qwen25("qwen-2.5-7b-it", "Qwen/Qwen2.5-7B-Instruct", 3584, 28, 28, 4, 18944, 152064, false));
  // The several-GPU sizes, from huggingface.co/<hf_id>/blob/main/config.json (Qwen2ForCausalLM,
  // transformers 4.43.1): hidden_size, num_hidden_layers, num_attention_heads, num_key_value_heads,
  // intermediate_size and vocab_size as below; max_position_embeddings 32768, rms_norm_eps 1e-06,
  // rope_theta 1e6, tie_word_embeddings false, QKV bias (Qwen2) for all three. The parameter counts
  // these give are the checkpoints' to the parameter (safetensors total_size / 2; zoo_test.cpp).
  z.push_back(qwen25("qwen-2.5-14b-it", "Qwen/Qwen2.5-14B-Instruct", 5120, 48, 40, 8, 13824, 152064, false));
  z.push_back(qwen25("qwen-2.5-32b-it", "Qwen/Qwen2.5-32B-Instruct", 5120, 64, 40, 8, 27648, 152064, false));
  z.push_back(qwen25("qwen-2.5-72b-it", "Qwen/Qwen2.5-72B-Instruct", 8192, 80, 64, 8, 29568, 152064, false));
  z.push_back(qwen25("deepseek-r1-distill-qwen-7b", "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", 3584, 28, 28, 4, 18944,
                     152064, false, 131072, 10000));
  z.push_back(qwen3("qwen-3-0.6b-it", "Qwen/Qwen3-0.6B", 1024, 28, 16, 8, 3072, true));
  z.push_back(qwen3("qwen-3-8b-it", "Qwen/Qwen3-8B", 4096, 36, 32, 8, 12288, false));
  z.push_back(qwen3("qwen-3-14b-it", "Qwen/Qwen3-14B", 5120, 40, 40, 8, 17408, false));
  z.push_back(llama3("llama-3.2-1b-it", "meta-llama/Llama-3.2-1B-Instruct", 2048, 16, 32, 64, 8192, 32.0, true));
  z.push_back(llama3("llama-3.2-3b-it", "meta-llama/Llama-3.2-3B-Instruct", 3072, 28, 24, 128, 8192, 32.0, true));
  // Its config.json: hidden 8192, 80 layers, 64/8 heads, intermediate 28672, rope_theta 500000,
  // rope_scaling {rope_type llama3, factor 8.0, low_freq_factor 1.0, high_freq_factor 4.0,
  // original_max_position_embeddings 8192}, rms_norm_eps 1e-05, untied, 131072 positions.
  z.push_back(llama3("llama-3.1-70b-it", "meta-llama/Llama-3.1-70B-Instruct", 8192, 80, 64, 128, 28672, 8.0, false));
  z.push_back(gemma3("gemma-3-1b-it", "google/gemma-3-1b-it", 1152, 26, 4, 1, 6912, 262144, 512, 32768, {}));
  z.push_back(gemma3("gemma-3-4b-it", "google/gemma-3-4b-it (text model)", 2560, 34, 8, 4, 10240, 262208, 1024, 131072,
                     {"linear", 8.0}));
  // Test specs: the real tokenizers and layer structure, 2 layers of width 64.
  auto named = [&z](const char* n) { return *std::find_if(z.begin(), z.end(), [n](const ModelSpec& s) { return s.name == n; }); };
  z.push_back(tiny("tiny", named("qwen-2.5-0.5b-it")));
  z.push_back(tiny("tiny-qwen3", named("qwen-3-0.6b-it")));
  z.push_back(tiny("tiny-llama", named("llama-3.2-1b-it")));
  z.push_back(tiny("tiny-gemma3", named("gemma-3-1b-it")));
  return z;
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

uint64_t ModelSpec::n_params() const {
  const uint64_t h = hidden, q = uint64_t(heads) * head_dim, kv = uint64_t(kv_heads) * head_dim;
  uint64_t per_layer = h * q + 2 * h * kv + q * h  // attention projections
                       + 3 * h * ffn               // gate, up, down
                       + 2 * h;                    // attention and FFN norms
  if (qkv_bias) per_layer += q + 2 * kv;
  if (qk_norm) per_layer += 2 * uint64_t(head_dim);
  if (arch == "gemma3") per_layer += 2 * h;  // post-attention and post-FFN norms
  uint64_t total = uint64_t(vocab_size) * h * (tied_embeddings ? 1 : 2) + h + per_layer * layers;
  return total;
}

double nominal_bits_per_weight(const std::string& p) {
  if (p == "f32") return 32;
  if (p == "f16" || p == "bf16") return 16;
  if (p == "q8_0") return 8.5;
  if (p == "q4_0") return 4.5;
  if (p == "q4_k_m") return 4.85;  // llama.cpp's Q4_K/Q6_K mix, typical of 1-8B models
  return 0;
}

uint64_t ModelSpec::bytes_at(const std::string& precision) const {
  return static_cast<uint64_t>(std::llround(double(n_params()) * nominal_bits_per_weight(precision) / 8));
}

std::vector<float> llama3_rope_factors(const RopeScaling& r, double theta, int head_dim) {
  const double low_wavelen = r.original_context / r.low_freq_factor;
  const double high_wavelen = r.original_context / r.high_freq_factor;
  std::vector<float> f;
  for (int i = 0; i < head_dim; i += 2) {
    const double freq = 1.0 / std::pow(theta, double(i) / head_dim);
    const double wavelen = 2 * M_PI / freq;
    if (wavelen < high_wavelen) f.push_back(1.0f);
    else if (wavelen > low_wavelen) f.push_back(float(r.factor));
    else {
      const double smooth = (r.original_context / wavelen - r.low_freq_factor) / (r.high_freq_factor - r.low_freq_factor);
      f.push_back(float(1.0 / ((1 - smooth) / r.factor + smooth)));
    }
  }
  return f;
}

const std::vector<ModelSpec>& zoo() {
  static const std::vector<ModelSpec> z = build_zoo();
  return z;
}

const ModelSpec* find_spec(const std::string& name) {
  for (const auto& s : zoo())
    if (s.name == name) return &s;
  return nullptr;
}

std::vector<std::string> closest_specs(const std::string& name, size_t n) {
  std::vector<std::pair<size_t, std::string>> scored;
  for (const auto& s : zoo()) scored.push_back({edit_distance(name, s.name), s.name});
  std::sort(scored.begin(), scored.end());
  std::vector<std::string> out;
  for (size_t i = 0; i < scored.size() && out.size() < n; ++i) out.push_back(scored[i].second);
  return out;
}

const std::vector<std::string>& synth_precisions() {
  static const std::vector<std::string> p = {"f32", "f16", "bf16", "q8_0", "q4_0", "q4_k_m"};
  return p;
}

bool is_synth_precision(const std::string& p) {
  const auto& all = synth_precisions();
  return std::find(all.begin(), all.end(), p) != all.end();
}

}  // namespace mtb
