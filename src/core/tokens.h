// Seeded prompt tokens, shared by every backend: the same seed, vocabulary and lengths give the same
// ids, so frameworks are compared on identical input.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace mtb {

using Token = int32_t;
using TokenRows = std::vector<std::vector<Token>>;  // [batch][length]

// Draws `batch` rows of `length` ids uniformly from `allowed` (the vocabulary's ordinary text
// tokens, so no control token ends or reshapes a sequence). `stream` separates independent draws
// from one seed (depth fill, prompt, the first token of a generation-only case).
TokenRows seeded_tokens(uint64_t seed, uint64_t stream, int batch, int length, std::span<const Token> allowed);

// FNV-1a over the ids, as 16 hex digits: recorded so a reader can check two runs saw the same input.
std::string tokens_hash(const TokenRows& rows);

}  // namespace mtb
