#include <gtest/gtest.h>

#include <set>

#include "core/tokens.h"

using namespace mtb;

std::vector<Token> vocab() {
  std::vector<Token> v;
  for (int i = 100; i < 5000; i += 3) v.push_back(i);
  return v;
}

TEST(Tokens, SameSeedSameTokens) {
  const auto v = vocab();
  EXPECT_EQ(seeded_tokens(7, 2, 2, 64, v), seeded_tokens(7, 2, 2, 64, v));
  EXPECT_EQ(tokens_hash(seeded_tokens(7, 2, 2, 64, v)), tokens_hash(seeded_tokens(7, 2, 2, 64, v)));
}

TEST(Tokens, SeedStreamAndRowChangeTheTokens) {
  const auto v = vocab();
  const auto base = seeded_tokens(7, 2, 2, 64, v);
  EXPECT_NE(base, seeded_tokens(8, 2, 2, 64, v));
  EXPECT_NE(base, seeded_tokens(7, 3, 2, 64, v));
  EXPECT_NE(base[0], base[1]);
  EXPECT_NE(tokens_hash(base), tokens_hash(seeded_tokens(8, 2, 2, 64, v)));
}

TEST(Tokens, DrawsOnlyAllowedIds) {
  const auto v = vocab();
  const std::set<Token> allowed(v.begin(), v.end());
  std::set<Token> seen;
  for (const auto& row : seeded_tokens(1, 1, 4, 2000, v))
    for (Token t : row) {
      EXPECT_TRUE(allowed.count(t)) << t;
      seen.insert(t);
    }
  EXPECT_GT(seen.size(), v.size() / 2);  // spread over the vocabulary, not stuck
}

TEST(Tokens, PrefixIsStableAcrossLengths) {
  // A longer prompt extends a shorter one: cases differing only in length see nested inputs.
  const auto v = vocab();
  const auto a = seeded_tokens(3, 2, 1, 16, v), b = seeded_tokens(3, 2, 1, 64, v);
  EXPECT_TRUE(std::equal(a[0].begin(), a[0].end(), b[0].begin()));
}

TEST(Tokens, EmptyVocabularyIsAnError) {
  EXPECT_THROW(seeded_tokens(1, 1, 1, 4, {}), std::runtime_error);
}
