#include "models/synth_header.h"

#include <fmt/format.h>

#include <stdexcept>
#include <vector>

#include "models/synth_layout.h"

namespace mtb {
namespace fs = std::filesystem;
namespace {

int float_file_type(ggml_type t) {  // llama_ftype values: ALL_F32 = 0, MOSTLY_F16 = 1, MOSTLY_BF16 = 32
  return t == GGML_TYPE_F32 ? 0 : t == GGML_TYPE_F16 ? 1 : 32;
}

void set_metadata(gguf_context* ctx, const ModelSpec& s, ggml_type type) {
  const std::string a = s.arch;
  auto key = [&](const char* k) { return a + "." + k; };
  gguf_set_val_str(ctx, "general.architecture", a.c_str());
  gguf_set_val_str(ctx, "general.name", (s.name + " (mtb synthetic)").c_str());
  gguf_set_val_str(ctx, "general.source.url", s.hf_id.c_str());
  gguf_set_val_u32(ctx, "general.file_type", static_cast<uint32_t>(float_file_type(type)));
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
  GgufPtr voc(gguf_init_from_file(vocab_path.c_str(), p));
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

}  // namespace

GgufPtr synth_header(const ModelSpec& spec, const std::string& precision, const fs::path& vocab_gguf) {
  const bool quantized = !is_float_precision(precision);
  GgufPtr base(gguf_init_empty());
  set_metadata(base.get(), spec, quantized ? GGML_TYPE_BF16 : float_type(precision));
  set_tokenizer(base.get(), vocab_gguf, spec.vocab_size);
  if (!quantized) return base;
  // What llama_model_quantize writes for the bf16 file: its keys in their order, then these two set
  // again (gguf_set_val_* removes a key and appends it).
  GgufPtr out(gguf_init_empty());
  gguf_set_kv(out.get(), base.get());
  gguf_set_val_u32(out.get(), "general.quantization_version", GGML_QNT_VERSION);
  gguf_set_val_u32(out.get(), "general.file_type", static_cast<uint32_t>(quantized_ftype(precision)));
  return out;
}

}  // namespace mtb
