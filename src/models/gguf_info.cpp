#include "models/gguf_info.h"

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <fstream>
#include <memory>
#include <stdexcept>

#include "ggml.h"
#include "gguf.h"

namespace mtb {
namespace fs = std::filesystem;
namespace {

struct GgufFree {
  void operator()(gguf_context* c) const { gguf_free(c); }
};

// A count stored as any of the integer types writers use, or `fallback` where it is absent, of
// another type, negative or beyond an int: no model has 2^31 layers, and such a value is damage
// that would otherwise wrap into the shape (a division of INT64_MIN by -1, found by fuzzing).
int64_t u32_or(const gguf_context* ctx, const std::string& key, int64_t fallback) {
  const int64_t id = gguf_find_key(ctx, key.c_str());
  if (id < 0) return fallback;
  int64_t v = fallback;
  switch (gguf_get_kv_type(ctx, id)) {
    case GGUF_TYPE_UINT32: v = gguf_get_val_u32(ctx, id); break;
    case GGUF_TYPE_INT32: v = gguf_get_val_i32(ctx, id); break;
    case GGUF_TYPE_UINT64: v = static_cast<int64_t>(std::min<uint64_t>(gguf_get_val_u64(ctx, id), INT64_MAX)); break;
    default: break;
  }
  return v >= 0 && v <= INT_MAX ? v : fallback;
}

// llama_ftype values mtb synthesizes: llama.cpp's name for each and mtb's precision name.
struct FileType {
  int64_t ftype;
  const char* name;
  const char* precision;
};
constexpr FileType kFileTypes[] = {{0, "F32", "f32"},   {1, "F16", "f16"},   {2, "Q4_0", "q4_0"},
                                   {7, "Q8_0", "q8_0"}, {15, "Q4_K - Medium", "q4_k_m"}, {32, "BF16", "bf16"}};

}  // namespace

GgufInfo read_gguf_info(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw std::runtime_error(fmt::format("model file {}: no such file", path.string()));
  if (!fs::is_regular_file(path, ec)) throw std::runtime_error(fmt::format("model file {}: not a file", path.string()));
  const uint64_t file_size = fs::file_size(path, ec);
  {
    char magic[4] = {};
    std::ifstream in(path, std::ios::binary);
    in.read(magic, 4);
    if (in.gcount() != 4 || std::string(magic, 4) != "GGUF")
      throw std::runtime_error(fmt::format("model file {}: not a GGUF file (no GGUF magic at the start)", path.string()));
  }
  gguf_init_params p{true, nullptr};
  std::unique_ptr<gguf_context, GgufFree> ctx(gguf_init_from_file(path.c_str(), p));
  if (!ctx)
    throw std::runtime_error(fmt::format("model file {}: corrupt or truncated GGUF header ({} bytes)", path.string(), file_size));

  GgufInfo info;
  info.path = path.string();
  info.n_tensors = gguf_get_n_tensors(ctx.get());
  const int64_t arch_id = gguf_find_key(ctx.get(), "general.architecture");
  if (arch_id < 0 || gguf_get_kv_type(ctx.get(), arch_id) != GGUF_TYPE_STRING)
    throw std::runtime_error(fmt::format("model file {}: no general.architecture: not a model", path.string()));
  info.arch = gguf_get_val_str(ctx.get(), arch_id);
  if (const int64_t id = gguf_find_key(ctx.get(), "general.name"); id >= 0 && gguf_get_kv_type(ctx.get(), id) == GGUF_TYPE_STRING)
    info.name = gguf_get_val_str(ctx.get(), id);
  const int64_t ftype = u32_or(ctx.get(), "general.file_type", -1);
  info.file_type = ftype < 0 ? "" : fmt::format("ftype {}", ftype);
  for (const auto& t : kFileTypes)
    if (t.ftype == ftype) {
      info.file_type = t.name;
      info.precision = t.precision;
    }
  info.n_ctx_train = static_cast<int>(u32_or(ctx.get(), info.arch + ".context_length", 0));

  // Every tensor's data must lie inside the file: a cut download fails here, not in the backend.
  const uint64_t data_offset = gguf_get_data_offset(ctx.get());
  uint64_t end = data_offset;
  for (int64_t i = 0; i < info.n_tensors; ++i) {
    const uint64_t e = data_offset + gguf_get_tensor_offset(ctx.get(), i) + gguf_get_tensor_size(ctx.get(), i);
    end = std::max(end, e);
    info.data_bytes += gguf_get_tensor_size(ctx.get(), i);
  }
  if (end > file_size)
    throw std::runtime_error(fmt::format("model file {}: truncated: its tensors need {} bytes, the file has {}",
                                         path.string(), end, file_size));

  // Matrix-multiply weights: every 2-D tensor, but the embedding table only when it doubles as the
  // output projection (tied); a lookup costs no FLOPs.
  bool tied = gguf_find_tensor(ctx.get(), "output.weight") < 0;
  for (int64_t i = 0; i < info.n_tensors; ++i) {
    const int64_t* ne = gguf_get_tensor_ne(ctx.get(), i);
    if (ne[1] <= 1 || ne[2] > 1) continue;
    if (std::string(gguf_get_tensor_name(ctx.get(), i)) == "token_embd.weight" && !tied) continue;
    info.shape.matmul_params += static_cast<uint64_t>(ne[0]) * static_cast<uint64_t>(ne[1]);
  }
  info.shape.n_layer = static_cast<int>(u32_or(ctx.get(), info.arch + ".block_count", 0));
  info.shape.n_head = static_cast<int>(u32_or(ctx.get(), info.arch + ".attention.head_count", 0));
  info.shape.n_head_kv = static_cast<int>(u32_or(ctx.get(), info.arch + ".attention.head_count_kv", info.shape.n_head));
  const int64_t n_embd = u32_or(ctx.get(), info.arch + ".embedding_length", 0);
  info.shape.head_dim = static_cast<int>(
      u32_or(ctx.get(), info.arch + ".attention.key_length", info.shape.n_head ? n_embd / info.shape.n_head : 0));

  // gguf's array getters assert on a key of another type, so the type is checked first: a file
  // with a scalar where an array belongs gets a message, not an abort.
  const auto is_array_of = [&](int64_t id, gguf_type type) {
    return id >= 0 && gguf_get_kv_type(ctx.get(), id) == GGUF_TYPE_ARRAY && gguf_get_arr_type(ctx.get(), id) == type;
  };
  const int64_t tok_id = gguf_find_key(ctx.get(), "tokenizer.ggml.tokens");
  if (tok_id < 0) throw std::runtime_error(fmt::format("model file {}: has no tokenizer (tokenizer.ggml.tokens)", path.string()));
  if (!is_array_of(tok_id, GGUF_TYPE_STRING) || gguf_get_arr_n(ctx.get(), tok_id) > static_cast<size_t>(INT32_MAX))
    throw std::runtime_error(fmt::format("model file {}: tokenizer.ggml.tokens is not a list of strings", path.string()));
  info.vocab_size = static_cast<int>(gguf_get_arr_n(ctx.get(), tok_id));
  const int64_t type_id = gguf_find_key(ctx.get(), "tokenizer.ggml.token_type");
  if (is_array_of(type_id, GGUF_TYPE_INT32)) {
    const auto* types = static_cast<const int32_t*>(gguf_get_arr_data(ctx.get(), type_id));
    const size_t n = gguf_get_arr_n(ctx.get(), type_id);
    for (size_t i = 0; i < n; ++i)
      if (types[i] == 1) info.ordinary_tokens.push_back(static_cast<Token>(i));  // LLAMA_TOKEN_TYPE_NORMAL
  } else {
    for (int i = 0; i < info.vocab_size; ++i) info.ordinary_tokens.push_back(i);
  }
  return info;
}

}  // namespace mtb
