// Token ids back to the text they stand for, from a GGUF's own vocabulary: how the seeded prompt
// reaches servers that take text only (Ollama, LM Studio). No framework needed: GPT-2 byte-level
// BPE and SentencePiece pieces decode by table.
#pragma once
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "core/tokens.h"

namespace mtb {

class TokenText {
 public:
  // Reads the vocabulary once (decoding is then a table walk, cheap enough inside a timed region).
  // Throws std::runtime_error when the file has no vocabulary or its tokenizer is neither "gpt2"
  // nor "llama".
  explicit TokenText(const std::filesystem::path& gguf);
  std::string decode(std::span<const Token> ids) const;  // throws for an id outside the vocabulary

 private:
  std::string path_;
  std::vector<std::string> pieces_;  // each token's bytes
};

}  // namespace mtb
