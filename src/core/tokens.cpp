#include "core/tokens.h"

#include <fmt/format.h>

#include <stdexcept>

#include "core/rng.h"

namespace mtb {

TokenRows seeded_tokens(uint64_t seed, uint64_t stream, int batch, int length, std::span<const Token> allowed) {
  if (allowed.empty()) throw std::runtime_error("the model's vocabulary has no ordinary tokens to draw a prompt from");
  TokenRows rows(batch);
  for (int b = 0; b < batch; ++b) {
    SplitMix64 rng(mix_seed(seed, stream, static_cast<uint64_t>(b)));
    rows[b].resize(length);
    for (auto& t : rows[b]) t = allowed[rng.next() % allowed.size()];
  }
  return rows;
}

std::string tokens_hash(const TokenRows& rows) {
  uint64_t h = 1469598103934665603ull;
  auto feed = [&](uint32_t v) {
    for (int i = 0; i < 4; ++i) {
      h ^= (v >> (8 * i)) & 0xff;
      h *= 1099511628211ull;
    }
  };
  for (const auto& row : rows) {
    feed(static_cast<uint32_t>(row.size()));
    for (Token t : row) feed(static_cast<uint32_t>(t));
  }
  return fmt::format("{:016x}", h);
}

}  // namespace mtb
