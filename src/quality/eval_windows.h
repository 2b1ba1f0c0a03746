// The evaluation tokens of a quality case, cut into windows as llama-perplexity cuts its text: the
// same for the reference and every candidate of a model, so their distributions are compared position
// by position on identical input.
#pragma once
#include <filesystem>
#include <span>
#include <string>

#include "core/tokens.h"
#include "quality/quality_record.h"

namespace mtb {

struct EvalWindows {
  TokenRows windows;  // [window][n_ctx]
  int first = 0;      // the first scored position: logits at first .. n_ctx-2 predict tokens first+1 .. n_ctx-1
  std::string hash;   // tokens_hash of every window
  int n_scored() const { return windows.empty() ? 0 : int(windows[0].size()) - 1 - first; }
};

// Seeded tokens (n_chunks windows drawn from the ordinary tokens), or the case's --prompt-file through
// the model's tokenizer with its special tokens (llama-perplexity's common_tokenize(text, true)),
// n_chunks windows at most. Where the vocabulary asks for a BOS, each window starts with it, as
// llama-perplexity does. Throws a clear message when the text fills no window.
EvalWindows eval_windows(const QualityCase& c, const std::filesystem::path& gguf, std::span<const Token> ordinary);

}  // namespace mtb
