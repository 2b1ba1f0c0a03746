// Turns what -m names (a zoo spec or a GGUF path) into a GGUF file on disk: synthesizing zoo models
// into the user cache on first use and reusing them after.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "models/gguf_synth.h"

namespace mtb {

struct ResolvedModel {
  std::string name;  // what the user wrote
  std::filesystem::path path;
  bool synthetic = false;
  bool created = false;  // synthesized by this call (false: reused from the cache, or a user file)
};

// $MTB_CACHE_DIR, else $XDG_CACHE_HOME/mtb, else ~/Library/Caches/mtb (macOS) or ~/.cache/mtb.
std::filesystem::path cache_dir();
// The calibration cache (`mtb info --calibrate`): cache_dir()/calibration.json.
std::filesystem::path calibration_file();
// Where the llama.cpp tree's tokenizer files live ($MTB_VOCAB_DIR overrides).
std::filesystem::path vocab_dir();

// A user's file when `model` is a path to one (anything with a '/' or ending in .gguf); else a zoo
// spec synthesized at `precision` with `seed`. Throws with close zoo names for an unknown model.
ResolvedModel resolve_model(const std::string& model, const std::string& precision, uint64_t seed,
                            const ProgressFn& progress);

// Synthesizes ahead the quantized files of several precisions of one zoo model, side by side (its
// bf16 file first when one of them, q4_k_m, is made from it: llama.cpp's quantizer spends most of a
// file in one thread, so two or three overlap to about the time of the longest).
// Files already cached, a user's GGUF and an unknown name are left alone; what fails here fails
// again, with its message, when resolve_model is called for it. `starting` hears which precisions
// are being quantized, before the wait.
void synthesize_ahead(const std::string& model, const std::vector<std::string>& precisions, uint64_t seed,
                      const ProgressFn& progress,
                      const std::function<void(const std::vector<std::string>&)>& starting = {});

bool looks_like_path(const std::string& model);

// The cache file name of a synthetic model: spec, precision, seed and recipe version in one key.
std::string synthetic_file_name(const ModelSpec& spec, const std::string& precision, uint64_t seed);

}  // namespace mtb
