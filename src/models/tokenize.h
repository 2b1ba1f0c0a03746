// Real text as prompt tokens, through the model's own tokenizer (llama.cpp's, read from the GGUF),
// so `--prompt-file` gives every backend the same ids a chat user's text would.
#pragma once
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/tokens.h"

namespace mtb {

// The tokenizer stored in a GGUF, read once (the vocabulary alone: no weights are read).
class Vocabulary {
 public:
  explicit Vocabulary(const std::filesystem::path& gguf);
  ~Vocabulary();
  // `add_special`: add the vocabulary's own special tokens (a BOS where it asks for one), as
  // llama-perplexity tokenizes its text.
  std::vector<Token> tokenize(const std::string& text, bool add_special = false) const;
  // The BOS token when the vocabulary asks for one at the start of every sequence; -1 otherwise.
  Token added_bos() const;

 private:
  struct Model;
  std::unique_ptr<Model> model_;
};

// Tokenizes `text` with the tokenizer stored in `gguf` (no special tokens added).
std::vector<Token> tokenize_text(const std::filesystem::path& gguf, const std::string& text);

// `length` tokens from `text_tokens`, repeated as often as needed; row b starts b tokens later so
// parallel sequences differ.
TokenRows rows_from_text(const std::vector<Token>& text_tokens, int batch, int length);

}  // namespace mtb
