// Synthetic models: from a zoo spec, a precision and a seed, a GGUF file that llama.cpp loads as
// that real architecture (real tensor names, shapes, metadata and tokenizer), filled with seeded
// weights scaled like the model's initialisation. Same inputs, same bytes.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "models/zoo.h"

namespace mtb {

// Bytes written so far and in all; called often, from the writing thread.
using ProgressFn = std::function<void(uint64_t done, uint64_t total)>;

// Writes `out` in f32, f16, bf16, q8_0 or q4_0, streamed a block of rows at a time (memory stays
// about a block per core, whatever the model's size). A q8_0 or q4_0 file is made straight from
// the seeded values, byte for byte what quantize_gguf makes of the bf16 file. `vocab_gguf` is the
// tokenizer file to copy (ggml-vocab-*.gguf).
void write_synthetic_gguf(const ModelSpec& spec, const std::string& precision, uint64_t seed,
                          const std::filesystem::path& vocab_gguf, const std::filesystem::path& out,
                          const ProgressFn& progress);

// The precisions write_synthetic_gguf makes; the others (q4_k_m) are quantize_gguf'd from bf16.
bool synthesizes_directly(const std::string& precision);

// Quantizes a GGUF to q8_0, q4_0 or q4_k_m with llama.cpp's own quantizer (llama_model_quantize).
void quantize_gguf(const std::filesystem::path& in, const std::filesystem::path& out, const std::string& precision,
                   int threads);

// A version number of the synthesis recipe: part of the cache key, bumped when the bytes change.
inline constexpr int kSynthVersion = 1;

}  // namespace mtb
