#include "models/gguf_synth.h"

#include <fmt/format.h>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/rng.h"
#include "ggml.h"
#include "gguf.h"

namespace mtb {
namespace fs = std::filesystem;
namespace {

// How a tensor's values are drawn.
enum class Fill { normal, ones, rope_factors };

struct TensorPlan {
  std::string name;
  std::vector<int64_t> ne;  // ggml order: ne[0] is the contiguous dimension
  Fill fill = Fill::normal;
  bool keep_f32 = false;  // norms, biases and RoPE factors stay f32, as convert_hf_to_gguf writes them
};

std::vector<TensorPlan> tensor_plan(const ModelSpec& s) {
  const int64_t h = s.hidden, q = int64_t(s.heads) * s.head_dim, kv = int64_t(s.kv_heads) * s.head_dim;
  std::vector<TensorPlan> t;
  auto add = [&](std::string name, std::vector<int64_t> ne, Fill fill = Fill::normal, bool f32 = false) {
    t.push_back({std::move(name), std::move(ne), fill, f32});
  };
  add("token_embd.weight", {h, s.vocab_size});
  if (s.rope_scaling.type == "llama3") add("rope_freqs.weight", {s.head_dim / 2}, Fill::rope_factors, true);
  for (int i = 0; i < s.layers; ++i) {
    const std::string b = fmt::format("blk.{}.", i);
    add(b + "attn_norm.weight", {h}, Fill::ones, true);
    add(b + "attn_q.weight", {h, q});
    add(b + "attn_k.weight", {h, kv});
    add(b + "attn_v.weight", {h, kv});
    if (s.qkv_bias) {
      add(b + "attn_q.bias", {q}, Fill::normal, true);
      add(b + "attn_k.bias", {kv}, Fill::normal, true);
      add(b + "attn_v.bias", {kv}, Fill::normal, true);
    }
    if (s.qk_norm) {
      add(b + "attn_q_norm.weight", {s.head_dim}, Fill::ones, true);
      add(b + "attn_k_norm.weight", {s.head_dim}, Fill::ones, true);
    }
    add(b + "attn_output.weight", {q, h});
    if (s.arch == "gemma3") add(b + "post_attention_norm.weight", {h}, Fill::ones, true);
    add(b + "ffn_norm.weight", {h}, Fill::ones, true);
    add(b + "ffn_gate.weight", {h, s.ffn});
    add(b + "ffn_up.weight", {h, s.ffn});
    add(b + "ffn_down.weight", {s.ffn, h});
    if (s.arch == "gemma3") add(b + "post_ffw_norm.weight", {h}, Fill::ones, true);
  }
  add("output_norm.weight", {h}, Fill::ones, true);
  if (!s.tied_embeddings) add("output.weight", {h, s.vocab_size});
  return t;
}

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

constexpr int64_t kChunk = 1 << 16;  // values per independent random stream: threads can split a tensor

int64_t numel(const TensorPlan& tp) {
  int64_t n = 1;
  for (auto d : tp.ne) n *= d;
  return n;
}

// The values of a tensor that is not drawn at random (norm weights, RoPE factors: small).
std::vector<float> fixed_values(const TensorPlan& tp, const ModelSpec& s) {
  if (tp.fill == Fill::rope_factors) return llama3_rope_factors(s.rope_scaling, s.rope_theta, s.head_dim);
  return std::vector<float>(size_t(numel(tp)), 1.0f);
}

// Chunk `c` of a randomly drawn tensor: its own stream, so the values do not depend on which thread
// draws them or in what order.
void draw_chunk(const TensorPlan& tp, const ModelSpec& s, uint64_t seed, int64_t c, std::vector<float>& dst) {
  const int64_t n = numel(tp), first = c * kChunk, count = std::min(n - first, kChunk);
  dst.resize(size_t(count));
  SplitMix64 rng(mix_seed(mix_seed(seed, fnv1a(tp.name)), static_cast<uint64_t>(c)));
  const float std = static_cast<float>(s.init_std);
  for (int64_t i = 0; i < count; ++i) dst[size_t(i)] = std * irwin_hall_normal(rng.next());
}
ggml_type storage_type(const std::string& precision) {
  if (precision == "f32") return GGML_TYPE_F32;
  if (precision == "f16") return GGML_TYPE_F16;
  if (precision == "bf16") return GGML_TYPE_BF16;
  throw std::invalid_argument("write_synthetic_gguf: precision " + precision + " is not a float type");
}

int file_type(ggml_type t) {  // llama_ftype values: ALL_F32 = 0, MOSTLY_F16 = 1, MOSTLY_BF16 = 32
  return t == GGML_TYPE_F32 ? 0 : t == GGML_TYPE_F16 ? 1 : 32;
}

struct GgufFree {
  void operator()(gguf_context* c) const { gguf_free(c); }
};
struct GgmlFree {
  void operator()(ggml_context* c) const { ggml_free(c); }
};
struct OwnedFd {  // closes the file on every way out
  int fd;
  ~OwnedFd() { ::close(fd); }
};

void set_metadata(gguf_context* ctx, const ModelSpec& s, ggml_type type) {
  const std::string a = s.arch;
  auto key = [&](const char* k) { return a + "." + k; };
  gguf_set_val_str(ctx, "general.architecture", a.c_str());
  gguf_set_val_str(ctx, "general.name", (s.name + " (mtb synthetic)").c_str());
  gguf_set_val_str(ctx, "general.source.url", s.hf_id.c_str());
  gguf_set_val_u32(ctx, "general.file_type", static_cast<uint32_t>(file_type(type)));
  gguf_set_val_u32(ctx, "general.quantization_version", 2);
  gguf_set_val_u32(ctx, key("context_length").c_str(), static_cast<uint32_t>(s.context));
  gguf_set_val_u32(ctx, key("embedding_length").c_str(), static_cast<uint32_t>(s.hidden));
  gguf_set_val_u32(ctx, key("block_count").c_str(), static_cast<uint32_t>(s.layers));
  gguf_set_val_u32(ctx, key("feed_forward_length").c_str(), static_cast<uint32_t>(s.ffn));
  gguf_set_val_u32(ctx, key("attention.head_count").c_str(), static_cast<uint32_t>(s.heads));
  gguf_set_val_u32(ctx, key("attention.head_count_kv").c_str(), static_cast<uint32_t>(s.kv_heads));
  gguf_set_val_u32(ctx, key("attention.key_length").c_str(), static_cast<uint32_t>(s.head_dim));
  gguf_set_val_u32(ctx, key("attention.value_length").c_str(), static_cast<uint32_t>(s.head_dim));
  gguf_set_val_f32(ctx, key("attention.layer_norm_rms_epsilon").c_str(), static_cast<float>(s.norm_eps));
  gguf_set_val_f32(ctx, key("rope.freq_base").c_str(), static_cast<float>(s.rope_theta));
  gguf_set_val_u32(ctx, key("rope.dimension_count").c_str(), static_cast<uint32_t>(s.head_dim));
  gguf_set_val_u32(ctx, key("vocab_size").c_str(), static_cast<uint32_t>(s.vocab_size));
  if (s.rope_scaling.type == "linear") {
    gguf_set_val_str(ctx, key("rope.scaling.type").c_str(), "linear");
    gguf_set_val_f32(ctx, key("rope.scaling.factor").c_str(), static_cast<float>(s.rope_scaling.factor));
  }
  if (s.sliding_window > 0) {
    gguf_set_val_u32(ctx, key("attention.sliding_window").c_str(), static_cast<uint32_t>(s.sliding_window));
    gguf_set_val_u32(ctx, key("attention.sliding_window_pattern").c_str(),
                     static_cast<uint32_t>(s.sliding_window_pattern));
    gguf_set_val_f32(ctx, key("rope.freq_base_swa").c_str(), static_cast<float>(s.rope_local_theta));
  }
}

// Copies the tokenizer from the vocab file, padding the token list to the spec's vocabulary size
// the way convert_hf_to_gguf pads checkpoints whose embedding matrix is larger than the tokenizer.
void set_tokenizer(gguf_context* ctx, const fs::path& vocab_path, int vocab_size) {
  gguf_init_params p{true, nullptr};
  std::unique_ptr<gguf_context, GgufFree> voc(gguf_init_from_file(vocab_path.c_str(), p));
  if (!voc) throw std::runtime_error(fmt::format("cannot read tokenizer file {}", vocab_path.string()));
  const int64_t n_kv = gguf_get_n_kv(voc.get());
  for (int64_t i = 0; i < n_kv; ++i) {
    const std::string k = gguf_get_key(voc.get(), i);
    if (k.rfind("tokenizer.", 0) != 0 || k == "tokenizer.chat_template") continue;
    const gguf_type t = gguf_get_kv_type(voc.get(), i);
    const bool per_token = k == "tokenizer.ggml.tokens" || k == "tokenizer.ggml.token_type" || k == "tokenizer.ggml.scores";
    if (t == GGUF_TYPE_ARRAY && per_token) {
      const size_t n = gguf_get_arr_n(voc.get(), i);
      if (n > size_t(vocab_size))
        throw std::runtime_error(fmt::format("tokenizer {} has {} tokens, more than the model's vocabulary of {}",
                                             vocab_path.string(), n, vocab_size));
      if (k == "tokenizer.ggml.tokens") {
        std::vector<std::string> toks;
        for (size_t j = 0; j < n; ++j) toks.emplace_back(gguf_get_arr_str(voc.get(), i, j));
        for (size_t j = n; j < size_t(vocab_size); ++j) toks.push_back(fmt::format("[PAD{}]", j));
        std::vector<const char*> ptrs;
        for (const auto& s : toks) ptrs.push_back(s.c_str());
        gguf_set_arr_str(ctx, k.c_str(), ptrs.data(), ptrs.size());
      } else if (k == "tokenizer.ggml.token_type") {
        std::vector<int32_t> v(static_cast<const int32_t*>(gguf_get_arr_data(voc.get(), i)),
                               static_cast<const int32_t*>(gguf_get_arr_data(voc.get(), i)) + n);
        v.resize(vocab_size, 5);  // LLAMA_TOKEN_TYPE_UNUSED
        gguf_set_arr_data(ctx, k.c_str(), GGUF_TYPE_INT32, v.data(), v.size());
      } else {
        std::vector<float> v(static_cast<const float*>(gguf_get_arr_data(voc.get(), i)),
                             static_cast<const float*>(gguf_get_arr_data(voc.get(), i)) + n);
        v.resize(vocab_size, -1000.0f);
        gguf_set_arr_data(ctx, k.c_str(), GGUF_TYPE_FLOAT32, v.data(), v.size());
      }
      continue;
    }
    // Everything else (model, pre-tokenizer, merges, special ids, flags) is copied as it is.
    if (t == GGUF_TYPE_ARRAY) {
      const gguf_type at = gguf_get_arr_type(voc.get(), i);
      const size_t n = gguf_get_arr_n(voc.get(), i);
      if (at == GGUF_TYPE_STRING) {
        std::vector<const char*> ptrs;
        for (size_t j = 0; j < n; ++j) ptrs.push_back(gguf_get_arr_str(voc.get(), i, j));
        gguf_set_arr_str(ctx, k.c_str(), ptrs.data(), n);
      } else {
        gguf_set_arr_data(ctx, k.c_str(), at, gguf_get_arr_data(voc.get(), i), n);
      }
    } else if (t == GGUF_TYPE_STRING) {
      gguf_set_val_str(ctx, k.c_str(), gguf_get_val_str(voc.get(), i));
    } else if (t == GGUF_TYPE_UINT32) {
      gguf_set_val_u32(ctx, k.c_str(), gguf_get_val_u32(voc.get(), i));
    } else if (t == GGUF_TYPE_INT32) {
      gguf_set_val_i32(ctx, k.c_str(), gguf_get_val_i32(voc.get(), i));
    } else if (t == GGUF_TYPE_BOOL) {
      gguf_set_val_bool(ctx, k.c_str(), gguf_get_val_bool(voc.get(), i));
    } else if (t == GGUF_TYPE_FLOAT32) {
      gguf_set_val_f32(ctx, k.c_str(), gguf_get_val_f32(voc.get(), i));
    } else {
      throw std::runtime_error(fmt::format("tokenizer key {} has an unexpected type {}", k, gguf_type_name(t)));
    }
  }
}

// Writes all n bytes at `offset` (pwrite may write fewer).
void put(int fd, const void* data, size_t n, uint64_t offset, const fs::path& p) {
  const auto* b = static_cast<const uint8_t*>(data);
  while (n > 0) {
    const ssize_t w = ::pwrite(fd, b, n, off_t(offset));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) throw std::runtime_error(fmt::format("cannot write {}: {}", p.string(), w < 0 ? strerror(errno) : "no space written"));
    b += w;
    n -= size_t(w);
    offset += uint64_t(w);
  }
}

}  // namespace

void write_synthetic_gguf(const ModelSpec& spec, const std::string& precision, uint64_t seed, const fs::path& vocab_gguf,
                          const fs::path& out, const ProgressFn& progress) {
  const ggml_type type = storage_type(precision);
  const std::vector<TensorPlan> plan = tensor_plan(spec);

  // Tensor descriptions only (no_alloc): the data is streamed after the header.
  ggml_init_params ip{ggml_tensor_overhead() * (plan.size() + 1), nullptr, true};
  std::unique_ptr<ggml_context, GgmlFree> meta(ggml_init(ip));
  std::unique_ptr<gguf_context, GgufFree> ctx(gguf_init_empty());
  set_metadata(ctx.get(), spec, type);
  set_tokenizer(ctx.get(), vocab_gguf, spec.vocab_size);

  std::vector<ggml_type> types;
  uint64_t total = 0;
  for (const auto& tp : plan) {
    const ggml_type t = tp.keep_f32 ? GGML_TYPE_F32 : type;
    ggml_tensor* tensor = nullptr;
    switch (tp.ne.size()) {
      case 1: tensor = ggml_new_tensor_1d(meta.get(), t, tp.ne[0]); break;
      default: tensor = ggml_new_tensor_2d(meta.get(), t, tp.ne[0], tp.ne[1]); break;
    }
    ggml_set_name(tensor, tp.name.c_str());
    gguf_add_tensor(ctx.get(), tensor);
    types.push_back(t);
    total += ggml_nbytes(tensor);
  }

  const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) throw std::runtime_error(fmt::format("cannot create {}: {}", out.string(), strerror(errno)));
  const OwnedFd owned{fd};
  std::vector<uint8_t> header(gguf_get_meta_size(ctx.get()));
  gguf_get_meta_data(ctx.get(), header.data());
  // The file at its final length first: the padding between tensors reads as the zeros it must be.
  const size_t align = gguf_get_alignment(ctx.get());
  const uint64_t last = plan.size() - 1;
  const uint64_t last_end = gguf_get_tensor_offset(ctx.get(), int64_t(last)) + gguf_get_tensor_size(ctx.get(), int64_t(last));
  if (::ftruncate(fd, off_t(header.size() + (last_end + align - 1) / align * align)) != 0)
    throw std::runtime_error(fmt::format("cannot write {}: {}", out.string(), strerror(errno)));
  put(fd, header.data(), header.size(), 0, out);

  // Every chunk of every tensor is drawn, converted and written at its own offset by whichever
  // thread takes it: a 7B model's 15 GB are written on every core, without ever holding a tensor
  // whole (which cost a page fault per 4 KB of a 2 GB embedding on a VM).
  struct Item {
    size_t tensor;
    int64_t chunk;
  };
  std::vector<Item> items;
  for (size_t i = 0; i < plan.size(); ++i)
    if (plan[i].fill == Fill::normal)
      for (int64_t c = 0; c < (numel(plan[i]) + kChunk - 1) / kChunk; ++c) items.push_back({i, c});
  auto write_values = [&](size_t i, int64_t chunk, const std::vector<float>& v, std::vector<uint8_t>& bytes) {
    const size_t el = ggml_type_size(types[i]);
    bytes.resize(v.size() * el);
    if (types[i] == GGML_TYPE_F16)
      ggml_fp32_to_fp16_row(v.data(), reinterpret_cast<ggml_fp16_t*>(bytes.data()), int64_t(v.size()));
    else if (types[i] == GGML_TYPE_BF16)
      ggml_fp32_to_bf16_row_ref(v.data(), reinterpret_cast<ggml_bf16_t*>(bytes.data()), int64_t(v.size()));
    else
      std::memcpy(bytes.data(), v.data(), bytes.size());
    put(fd, bytes.data(), bytes.size(), header.size() + gguf_get_tensor_offset(ctx.get(), int64_t(i)) + uint64_t(chunk * kChunk) * el, out);
  };
  {
    std::vector<uint8_t> bytes;
    for (size_t i = 0; i < plan.size(); ++i)
      if (plan[i].fill != Fill::normal) write_values(i, 0, fixed_values(plan[i], spec), bytes);
  }
  std::atomic<size_t> next{0};
  std::atomic<uint64_t> done{0};
  std::atomic<bool> failed{false};
  std::string error;
  std::mutex error_mutex;
  auto work = [&](bool reports) {
    std::vector<float> values;
    std::vector<uint8_t> bytes;
    try {
      for (size_t k = next++; k < items.size() && !failed; k = next++) {
        draw_chunk(plan[items[k].tensor], spec, seed, items[k].chunk, values);
        write_values(items[k].tensor, items[k].chunk, values, bytes);
        const uint64_t now = done += bytes.size();
        if (reports && progress && k % 256 == 0) progress(now, total);
      }
    } catch (const std::exception& e) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!failed.exchange(true)) error = e.what();
    }
  };
  const unsigned n_threads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < n_threads; ++t) pool.emplace_back(work, false);
  work(true);  // this thread reports progress: the callback is called from one thread only
  for (auto& th : pool) th.join();
  if (failed) throw std::runtime_error(error);
  if (progress) progress(total, total);
}

}  // namespace mtb
