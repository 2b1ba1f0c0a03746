#include "models/tokenize.h"

#include <fmt/format.h>

#include <memory>
#include <stdexcept>

#include "llama.h"

namespace mtb {

struct Vocabulary::Model {
  std::unique_ptr<llama_model, decltype(&llama_model_free)> model{nullptr, llama_model_free};
  const llama_vocab* vocab = nullptr;
};

Vocabulary::Vocabulary(const std::filesystem::path& gguf) : model_(std::make_unique<Model>()) {
  llama_model_params mp = llama_model_default_params();
  mp.vocab_only = true;  // the tokenizer only: no weights are read
  model_->model.reset(llama_model_load_from_file(gguf.c_str(), mp));
  if (!model_->model) throw std::runtime_error(fmt::format("cannot read the tokenizer of {}", gguf.string()));
  model_->vocab = llama_model_get_vocab(model_->model.get());
}

Vocabulary::~Vocabulary() = default;

Token Vocabulary::added_bos() const {
  return llama_vocab_get_add_bos(model_->vocab) ? llama_vocab_bos(model_->vocab) : -1;
}

std::vector<Token> Vocabulary::tokenize(const std::string& text, bool add_special) const {
  const auto len = static_cast<int32_t>(text.size());
  int n = 0;
  std::vector<Token> tokens;
  // llama.cpp's pre-tokenizer throws std::invalid_argument through its C API on bytes that are not
  // UTF-8 (found by fuzzing): said as this function's error, not an exception no caller expects.
  try {
    // One pass where it fits: a byte-level BPE token covers at least one byte, plus BOS and EOS.
    // (Tokenizing is the cost here, not the buffer: counting first would tokenize twice.)
    tokens.resize(text.size() + 2);
    n = llama_tokenize(model_->vocab, text.data(), len, tokens.data(), static_cast<int32_t>(tokens.size()), add_special, false);
    if (n < 0) {  // more tokens than bytes + 2 (no tokenizer known here does that): the size it asks for
      tokens.resize(static_cast<size_t>(-n));
      n = llama_tokenize(model_->vocab, text.data(), len, tokens.data(), -n, add_special, false);
      if (n < 0) throw std::runtime_error("tokenization failed");
    }
    tokens.resize(static_cast<size_t>(n));
  } catch (const std::logic_error& e) {  // invalid_argument, out_of_range
    throw std::runtime_error(fmt::format("the prompt text cannot be tokenized ({}): is it UTF-8 text?", e.what()));
  }
  if (tokens.empty()) throw std::runtime_error("the prompt text gives no tokens");
  return tokens;
}

std::vector<Token> tokenize_text(const std::filesystem::path& gguf, const std::string& text) {
  return Vocabulary(gguf).tokenize(text);
}

TokenRows rows_from_text(const std::vector<Token>& text_tokens, int batch, int length) {
  TokenRows rows(batch);
  for (int b = 0; b < batch; ++b)
    for (int i = 0; i < length; ++i) rows[b].push_back(text_tokens[(static_cast<size_t>(b) + i) % text_tokens.size()]);
  return rows;
}

}  // namespace mtb
