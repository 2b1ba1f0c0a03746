// Real text as prompt tokens, through the model's own tokenizer (llama.cpp's, read from the GGUF),
// so `--prompt-file` gives every backend the same ids a chat user's text would.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "core/tokens.h"

namespace mtb {

// Tokenizes `text` with the tokenizer stored in `gguf` (no special tokens added).
std::vector<Token> tokenize_text(const std::filesystem::path& gguf, const std::string& text);

// `length` tokens from `text_tokens`, repeated as often as needed; row b starts b tokens later so
// parallel sequences differ.
TokenRows rows_from_text(const std::vector<Token>& text_tokens, int batch, int length);

}  // namespace mtb
