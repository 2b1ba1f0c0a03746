// The key-value part of a synthetic model's GGUF header: the architecture's metadata and the real
// tokenizer, as convert_hf_to_gguf (float files) and llama_model_quantize (quantized files) write them.
#pragma once
#include <filesystem>
#include <memory>
#include <string>

#include "gguf.h"
#include "models/zoo.h"

namespace mtb {

struct GgufFree {
  void operator()(gguf_context* c) const { gguf_free(c); }
};
using GgufPtr = std::unique_ptr<gguf_context, GgufFree>;

// No tensors yet. `vocab_gguf` is the tokenizer file to copy (ggml-vocab-*.gguf), padded to the
// spec's vocabulary size the way convert_hf_to_gguf pads.
GgufPtr synth_header(const ModelSpec& spec, const std::string& precision, const std::filesystem::path& vocab_gguf);

}  // namespace mtb
