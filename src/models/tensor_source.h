// Where a backend that computes the model itself (torch, ...) gets its weights: a GGUF file or a
// Hugging Face checkpoint folder, seen through one interface. Tensors come back on the host, named
// as GGUF names them, shaped as PyTorch does ([out, in] for a Linear weight) and in one convention
// whatever the file: Q/K rows in rotate-half (NEOX) RoPE order and RMSNorm weights multiplicative
// (x * w). So a model written against this interface computes the same function from either file.
#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace mtb {

// The architecture's numbers, read from GGUF metadata or config.json.
struct ModelConfig {
  std::string arch;  // qwen2, qwen3, llama, gemma3
  std::string name;
  int hidden = 0, layers = 0, heads = 0, kv_heads = 0, head_dim = 0, ffn = 0, vocab = 0, n_ctx_train = 0;
  double norm_eps = 1e-6;
  double rope_theta = 10000;
  double rope_freq_scale = 1;   // linear RoPE scaling: positions are multiplied by this (1/factor)
  double rope_local_theta = 0;  // gemma3: RoPE base of the sliding-window layers
  int sliding_window = 0;       // 0: no sliding-window layers
  std::vector<bool> is_swa;     // per layer: sliding-window attention
  bool qkv_bias = false, qk_norm = false, post_norms = false, tied_embeddings = false;
  bool rope_freq_factors = false;  // llama3: rope_freqs.weight divides the frequencies
  std::string activation = "silu";  // "silu" or "gelu_tanh"
  double embed_scale = 1;           // gemma3: sqrt(hidden)
  double attn_scale = 0;            // 0: 1/sqrt(head_dim)
};

// q8_0 and q4_0 are ggml's blocks as the file stores them (TensorSource::read_blocks only): per 32
// values of a row, an f16 scale d, then 32 int8 codes (q8_0, value = code * d) or 16 bytes of 4-bit
// codes (q4_0: low nibbles are values 0-15, high nibbles 16-31, value = (code - 8) * d).
enum class HostDType { f32, f16, bf16, q8_0, q4_0 };
size_t element_size(HostDType t);  // float types only
const char* dtype_name(HostDType t);
bool is_blocks(HostDType t);

// One tensor's values in host memory. `data` points at `nbytes` bytes and keeps them alive: a
// buffer of the tensor's own, or a view into a memory-mapped file (sharing the mapping's ownership),
// so a framework wraps either without a copy. Read-only: a view's pages are the file's.
struct HostTensor {
  std::string name;
  HostDType dtype = HostDType::f32;
  std::vector<int64_t> shape;  // outermost first, as torch orders it
  std::shared_ptr<const uint8_t> data;
  size_t nbytes = 0;
  int64_t numel() const;
  // Gives the tensor a fresh, uninitialized buffer of its own of n bytes, to be filled through the
  // returned pointer (the previous data is released when no one else holds it).
  uint8_t* allocate(size_t n);
};

class TensorSource {
 public:
  virtual ~TensorSource() = default;
  virtual const ModelConfig& config() const = 0;
  virtual bool has(const std::string& gguf_name) const = 0;
  // Throws naming the file and tensor when it is missing or unreadable. Quantized GGUF tensors come
  // back dequantized to f32; float tensors as stored.
  virtual HostTensor read(const std::string& gguf_name) const = 0;
  // read, except that q8_0 and q4_0 tensors come back as their stored blocks (a view into the file),
  // for a framework that decodes them on its device: a 7B model's weights dequantized on the host
  // are 30 GB of f32 written and then copied to the device.
  virtual HostTensor read_blocks(const std::string& gguf_name) const { return read(gguf_name); }
  virtual std::string describe() const = 0;  // "GGUF F32" / "safetensors BF16, 2 shards"
  virtual uint64_t file_bytes() const = 0;   // tensor data as stored
  // The dominant stored type, named as mtb names precisions (-t): f32, bf16, q8_0 ... (lower case).
  virtual std::string storage_type() const = 0;
};

// A .gguf file, or a folder with config.json + *.safetensors (single file, sharded with
// model.safetensors.index.json, or a Hugging Face cache entry models--org--name).
std::unique_ptr<TensorSource> open_tensor_source(const std::filesystem::path& path);
std::unique_ptr<TensorSource> open_gguf_source(const std::filesystem::path& path);
std::unique_ptr<TensorSource> open_hf_source(const std::filesystem::path& folder);
// A Hugging Face folder's config.json and model.safetensors.index.json, from their text (`where`
// names the file in errors, std::runtime_error): the architecture, with llama3's computed
// rope_freqs.weight in `rope_factors` (else empty); the shard files the index names, each once.
ModelConfig parse_hf_config(const std::string& text, const std::filesystem::path& where, std::vector<float>& rope_factors);
std::vector<std::string> parse_safetensors_index(const std::string& text, const std::filesystem::path& where);

// Undoes convert_hf_to_gguf's Q/K row permutation for llama (interleaved-pair RoPE) so the rows
// follow the rotate-half order; `rows_per_head` = head_dim. Works on any element size.
void unpermute_rope_rows(HostTensor& t, int n_heads);

}  // namespace mtb
