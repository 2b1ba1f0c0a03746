#include "quality/eval_windows.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "models/tokenize.h"

namespace mtb {
namespace fs = std::filesystem;
namespace {

constexpr uint64_t kTokensStream = 7;            // apart from the LLM suite's prompt and depth draws
constexpr uintmax_t kMaxTextBytes = 256u << 20;  // far beyond any window count a quality run scores

std::string read_text(const std::string& path) {
  std::error_code ec;
  const uintmax_t size = fs::file_size(path, ec);
  if (ec) throw std::runtime_error(fmt::format("--prompt-file {}: {}", path, ec.message()));
  if (size > kMaxTextBytes)
    throw std::runtime_error(fmt::format("--prompt-file {} is {} MiB; evaluation text above {} MiB is not read", path,
                                         size >> 20, kMaxTextBytes >> 20));
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error(fmt::format("cannot read --prompt-file {}", path));
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

}  // namespace

EvalWindows eval_windows(const QualityCase& c, const fs::path& gguf, std::span<const Token> ordinary) {
  EvalWindows w;
  w.first = c.n_ctx / 2;
  const Vocabulary vocab(gguf);
  if (c.prompt_file.empty()) {
    w.windows = seeded_tokens(c.seed, kTokensStream, c.n_chunks, c.n_ctx, ordinary);
  } else {
    const std::vector<Token> tokens = vocab.tokenize(read_text(c.prompt_file), /*add_special=*/true);
    const size_t n = std::min<size_t>(size_t(c.n_chunks), tokens.size() / size_t(c.n_ctx));
    if (n == 0)
      throw std::runtime_error(fmt::format("--prompt-file {} gives {} tokens with this model's tokenizer, fewer than one "
                                           "window of --ctx {}: give more text or a smaller --ctx",
                                           c.prompt_file, tokens.size(), c.n_ctx));
    for (size_t i = 0; i < n; ++i)
      w.windows.emplace_back(tokens.begin() + std::ptrdiff_t(i * c.n_ctx), tokens.begin() + std::ptrdiff_t((i + 1) * c.n_ctx));
  }
  if (const Token bos = vocab.added_bos(); bos >= 0)
    for (auto& row : w.windows) row[0] = bos;
  w.hash = tokens_hash(w.windows);
  return w;
}

}  // namespace mtb
