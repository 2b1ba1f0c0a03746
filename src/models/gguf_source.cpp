// GGUF files as a TensorSource: metadata through ggml's gguf API, tensor bytes from one mapping of
// the file (float tensors are views into it), quantized types dequantized with ggml's own to_float
// (the same code llama.cpp uses) on every core.
#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <map>
#include <optional>
#include <stdexcept>

#include "ggml.h"
#include "gguf.h"
#include "models/dequantize.h"
#include "models/mapped_file.h"
#include "models/tensor_source.h"

namespace mtb {
namespace fs = std::filesystem;
namespace {

struct GgufFree {
  void operator()(gguf_context* c) const { gguf_free(c); }
};

// How a tensor of `type` is handed over as stored: float types always; q8_0 and q4_0 when blocks
// are asked for and this ggml lays them out as HostDType documents. None: dequantized to f32.
std::optional<HostDType> as_stored(ggml_type type, bool blocks) {
  switch (type) {
    case GGML_TYPE_F32: return HostDType::f32;
    case GGML_TYPE_F16: return HostDType::f16;
    case GGML_TYPE_BF16: return HostDType::bf16;
    case GGML_TYPE_Q8_0:
      if (blocks && ggml_type_size(type) == 34 && ggml_blck_size(type) == 32) return HostDType::q8_0;
      return std::nullopt;
    case GGML_TYPE_Q4_0:
      if (blocks && ggml_type_size(type) == 18 && ggml_blck_size(type) == 32) return HostDType::q4_0;
      return std::nullopt;
    default: return std::nullopt;
  }
}

class GgufSource final : public TensorSource {
 public:
  explicit GgufSource(const fs::path& path) : path_(path) {
    gguf_init_params p{true, nullptr};
    ctx_.reset(gguf_init_from_file(path.c_str(), p));
    if (!ctx_) throw std::runtime_error(fmt::format("model file {}: not a readable GGUF file", path.string()));
    file_ = MappedFile::open(path);
    read_config();
  }

  const ModelConfig& config() const override { return cfg_; }
  bool has(const std::string& name) const override { return gguf_find_tensor(ctx_.get(), name.c_str()) >= 0; }
  std::string describe() const override { return "GGUF " + storage_type(); }
  uint64_t file_bytes() const override { return data_bytes_; }
  std::string storage_type() const override { return type_name_; }

  HostTensor read(const std::string& name) const override { return read_as(name, false); }
  HostTensor read_blocks(const std::string& name) const override { return read_as(name, true); }

 private:
  HostTensor read_as(const std::string& name, bool blocks) const {
    const int64_t id = gguf_find_tensor(ctx_.get(), name.c_str());
    if (id < 0) throw std::runtime_error(fmt::format("model file {}: tensor {} is missing", path_.string(), name));
    const ggml_type type = gguf_get_tensor_type(ctx_.get(), id);
    const int64_t* ne = gguf_get_tensor_ne(ctx_.get(), id);
    HostTensor t;
    t.name = name;
    for (int d = GGML_MAX_DIMS - 1; d >= 0; --d)  // ggml's ne[0] is innermost: reverse for torch
      if (ne[d] != 1 || d == 0 || !t.shape.empty()) t.shape.push_back(ne[d]);
    const uint64_t off = gguf_get_data_offset(ctx_.get()) + gguf_get_tensor_offset(ctx_.get(), id);
    const size_t size = gguf_get_tensor_size(ctx_.get(), id);
    if (off + size > file_->size())
      throw std::runtime_error(fmt::format("model file {}: tensor {} ends at byte {}, past the end of the file ({} bytes)",
                                           path_.string(), name, off + size, file_->size()));
    if (const auto stored = as_stored(type, blocks)) {
      t.dtype = *stored;
      t.data = file_->view(off, size);  // no copy: the file's pages
      t.nbytes = size;
    } else {
      if (!ggml_get_type_traits(type)->to_float)
        throw std::runtime_error(fmt::format("model file {}: tensor {} has type {}, which ggml cannot dequantize",
                                             path_.string(), name, ggml_type_name(type)));
      t.dtype = HostDType::f32;
      float* out = reinterpret_cast<float*>(t.allocate(size_t(t.numel()) * sizeof(float)));
      dequantize_rows(type, file_->data() + off, out, ne[0] > 0 ? t.numel() / ne[0] : 0, ne[0]);
    }
    // convert_hf_to_gguf interleaves Q/K rows for llama's pairwise RoPE; the model uses rotate-half.
    if (cfg_.arch == "llama" && (name.ends_with("attn_q.weight") || name.ends_with("attn_k.weight")))
      unpermute_rope_rows(t, name.ends_with("attn_q.weight") ? cfg_.heads : cfg_.kv_heads);
    return t;
  }

  int64_t key(const std::string& k) const { return gguf_find_key(ctx_.get(), (cfg_.arch + "." + k).c_str()); }

  int64_t u32(const std::string& k, int64_t fallback, bool required = false) const {
    const int64_t id = key(k);
    if (id < 0) {
      if (required)
        throw std::runtime_error(fmt::format("model file {}: metadata {}.{} is missing", path_.string(), cfg_.arch, k));
      return fallback;
    }
    switch (gguf_get_kv_type(ctx_.get(), id)) {
      case GGUF_TYPE_UINT32: return gguf_get_val_u32(ctx_.get(), id);
      case GGUF_TYPE_INT32: return gguf_get_val_i32(ctx_.get(), id);
      case GGUF_TYPE_UINT64: return static_cast<int64_t>(gguf_get_val_u64(ctx_.get(), id));
      default:
        throw std::runtime_error(fmt::format("model file {}: metadata {}.{} is not an integer", path_.string(), cfg_.arch, k));
    }
  }

  double f32(const std::string& k, double fallback) const {
    const int64_t id = key(k);
    if (id < 0) return fallback;
    if (gguf_get_kv_type(ctx_.get(), id) != GGUF_TYPE_FLOAT32)  // gguf's getter would abort on another type
      throw std::runtime_error(fmt::format("model file {}: metadata {}.{} is not a float32", path_.string(), cfg_.arch, k));
    return gguf_get_val_f32(ctx_.get(), id);
  }

  std::string str(int64_t id, const char* what) const {
    if (gguf_get_kv_type(ctx_.get(), id) != GGUF_TYPE_STRING)
      throw std::runtime_error(fmt::format("model file {}: metadata {} is not a string", path_.string(), what));
    return gguf_get_val_str(ctx_.get(), id);
  }

  void read_config() {
    const int64_t arch_id = gguf_find_key(ctx_.get(), "general.architecture");
    if (arch_id < 0) throw std::runtime_error(fmt::format("model file {}: no general.architecture", path_.string()));
    cfg_.arch = str(arch_id, "general.architecture");
    if (cfg_.arch != "qwen2" && cfg_.arch != "qwen3" && cfg_.arch != "llama" && cfg_.arch != "gemma3")
      throw std::runtime_error(fmt::format("model file {}: architecture '{}' is not one the torch backend implements "
                                           "(qwen2, qwen3, llama, gemma3)", path_.string(), cfg_.arch));
    if (int64_t id = gguf_find_key(ctx_.get(), "general.name"); id >= 0) cfg_.name = str(id, "general.name");
    cfg_.hidden = int(u32("embedding_length", 0, true));
    cfg_.layers = int(u32("block_count", 0, true));
    cfg_.heads = int(u32("attention.head_count", 0, true));
    cfg_.kv_heads = int(u32("attention.head_count_kv", cfg_.heads));
    cfg_.head_dim = int(u32("attention.key_length", cfg_.hidden / std::max(1, cfg_.heads)));
    cfg_.ffn = int(u32("feed_forward_length", 0, true));
    cfg_.n_ctx_train = int(u32("context_length", 0));
    cfg_.norm_eps = f32("attention.layer_norm_rms_epsilon", 1e-6);
    cfg_.rope_theta = f32("rope.freq_base", 10000);
    if (int64_t id = key("rope.scaling.type"); id >= 0 && str(id, "rope.scaling.type") == "linear")
      cfg_.rope_freq_scale = 1.0 / f32("rope.scaling.factor", 1);
    const int64_t embd = gguf_find_tensor(ctx_.get(), "token_embd.weight");
    if (embd < 0) throw std::runtime_error(fmt::format("model file {}: tensor token_embd.weight is missing", path_.string()));
    cfg_.vocab = int(gguf_get_tensor_ne(ctx_.get(), embd)[1]);
    cfg_.qkv_bias = has("blk.0.attn_q.bias");
    cfg_.qk_norm = has("blk.0.attn_q_norm.weight");
    cfg_.post_norms = has("blk.0.post_attention_norm.weight");
    cfg_.tied_embeddings = !has("output.weight");
    cfg_.rope_freq_factors = has("rope_freqs.weight");
    cfg_.is_swa.assign(cfg_.layers, false);
    if (cfg_.arch == "gemma3") {
      cfg_.activation = "gelu_tanh";
      cfg_.embed_scale = std::sqrt(double(cfg_.hidden));
      cfg_.sliding_window = int(u32("attention.sliding_window", 0));
      cfg_.rope_local_theta = f32("rope.freq_base_swa", 10000);
      // llama.cpp's rule (set_swa_pattern): every pattern-th layer is global, the others local.
      const int64_t pattern = u32("attention.sliding_window_pattern", 6);
      if (cfg_.sliding_window > 0)
        for (int l = 0; l < cfg_.layers; ++l) cfg_.is_swa[l] = pattern == 0 || l % pattern < pattern - 1;
    }
    std::map<ggml_type, uint64_t> by_type;
    for (int64_t i = 0; i < gguf_get_n_tensors(ctx_.get()); ++i) {
      const size_t sz = gguf_get_tensor_size(ctx_.get(), i);
      data_bytes_ += sz;
      by_type[gguf_get_tensor_type(ctx_.get(), i)] += sz;
    }
    ggml_type top = GGML_TYPE_F32;
    for (auto [t, b] : by_type)
      if (b > by_type[top]) top = t;
    type_name_ = ggml_type_name(top);
  }

  fs::path path_;
  std::unique_ptr<gguf_context, GgufFree> ctx_;
  std::shared_ptr<const MappedFile> file_;  // tensors that are views keep it mapped
  uint64_t data_bytes_ = 0;
  std::string type_name_;
  ModelConfig cfg_;
};

}  // namespace

size_t element_size(HostDType t) { return t == HostDType::f32 ? 4 : 2; }
bool is_blocks(HostDType t) { return t == HostDType::q8_0 || t == HostDType::q4_0; }

const char* dtype_name(HostDType t) {
  switch (t) {
    case HostDType::f32: return "f32";
    case HostDType::f16: return "f16";
    case HostDType::bf16: return "bf16";
    case HostDType::q8_0: return "q8_0";
    case HostDType::q4_0: return "q4_0";
  }
  return "?";
}

int64_t HostTensor::numel() const {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

uint8_t* HostTensor::allocate(size_t n) {
  std::shared_ptr<uint8_t> buf(new uint8_t[n], std::default_delete<uint8_t[]>());  // not zeroed: filled next
  data = buf;
  nbytes = n;
  return buf.get();
}

void unpermute_rope_rows(HostTensor& t, int n_heads) {
  const auto in = t.data;  // may be a view into the file: the result goes to a buffer of its own
  const int64_t rows = t.shape.at(0), row_bytes = int64_t(t.nbytes) / rows, hd = rows / n_heads;
  uint8_t* out = t.allocate(t.nbytes);
  for (int64_t h = 0; h < n_heads; ++h)
    for (int64_t i = 0; i < hd / 2; ++i)
      for (int64_t j = 0; j < 2; ++j)  // GGUF row (h, i, j) holds HF row (h, j, i)
        std::memcpy(out + (h * hd + j * hd / 2 + i) * row_bytes, in.get() + (h * hd + 2 * i + j) * row_bytes,
                    size_t(row_bytes));
}

std::unique_ptr<TensorSource> open_gguf_source(const fs::path& path) { return std::make_unique<GgufSource>(path); }

std::unique_ptr<TensorSource> open_tensor_source(const fs::path& path) {
  if (fs::is_directory(path)) return open_hf_source(path);
  return open_gguf_source(path);
}

}  // namespace mtb
