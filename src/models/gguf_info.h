// Reads and validates a GGUF file's header (ggml's gguf API): architecture, context, vocabulary.
// Missing, truncated or corrupt files get one clear error before any backend touches them.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "models/model_shape.h"
#include "core/tokens.h"

namespace mtb {

struct GgufInfo {
  std::string path;
  std::string arch;
  std::string name;
  std::string file_type;  // "BF16", "Q4_K - Medium", ... (as llama.cpp names it), or "" when absent
  std::string precision;  // the same as an mtb precision ("bf16", "q4_k_m"), or "" for other types
  int64_t n_tensors = 0;
  int n_ctx_train = 0;
  int vocab_size = 0;
  uint64_t data_bytes = 0;
  std::vector<Token> ordinary_tokens;  // token_type NORMAL: what seeded prompts are drawn from
  ModelShape shape;                    // what the roofline needs
};

// Throws std::runtime_error naming the file and what is wrong with it.
GgufInfo read_gguf_info(const std::filesystem::path& path);

}  // namespace mtb
