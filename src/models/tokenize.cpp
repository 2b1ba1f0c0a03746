#include "models/tokenize.h"

#include <fmt/format.h>

#include <memory>
#include <stdexcept>

#include "llama.h"

namespace mtb {

namespace {

using VocabModel = std::unique_ptr<llama_model, decltype(&llama_model_free)>;

VocabModel load_vocab(const std::filesystem::path& gguf) {
  llama_model_params mp = llama_model_default_params();
  mp.vocab_only = true;  // the tokenizer only: no weights are read
  VocabModel model(llama_model_load_from_file(gguf.c_str(), mp), llama_model_free);
  if (!model) throw std::runtime_error(fmt::format("cannot read the tokenizer of {}", gguf.string()));
  return model;
}

}  // namespace

Token added_bos(const std::filesystem::path& gguf) {
  const VocabModel model = load_vocab(gguf);
  const llama_vocab* vocab = llama_model_get_vocab(model.get());
  return llama_vocab_get_add_bos(vocab) ? llama_vocab_bos(vocab) : -1;
}

std::vector<Token> tokenize_text(const std::filesystem::path& gguf, const std::string& text, bool add_special) {
  const VocabModel model = load_vocab(gguf);
  const llama_vocab* vocab = llama_model_get_vocab(model.get());
  const auto len = static_cast<int32_t>(text.size());
  const int n = -llama_tokenize(vocab, text.data(), len, nullptr, 0, add_special, false);
  std::vector<Token> tokens(static_cast<size_t>(std::max(n, 0)));
  if (n > 0 && llama_tokenize(vocab, text.data(), len, tokens.data(), n, add_special, false) != n)
    throw std::runtime_error("tokenization failed");
  if (tokens.empty()) throw std::runtime_error("the prompt text gives no tokens");
  return tokens;
}

TokenRows rows_from_text(const std::vector<Token>& text_tokens, int batch, int length) {
  TokenRows rows(batch);
  for (int b = 0; b < batch; ++b)
    for (int i = 0; i < length; ++i) rows[b].push_back(text_tokens[(static_cast<size_t>(b) + i) % text_tokens.size()]);
  return rows;
}

}  // namespace mtb
