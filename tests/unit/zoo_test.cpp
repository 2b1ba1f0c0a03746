#include <gtest/gtest.h>

#include "models/zoo.h"

using namespace mtb;

// Parameter counts published with each checkpoint (safetensors metadata of the HF repos).
TEST(Zoo, ParameterCountsMatchThePublishedModels) {
  EXPECT_EQ(find_spec("qwen-2.5-0.5b-it")->n_params(), 494032768u);
  EXPECT_EQ(find_spec("qwen-2.5-7b-it")->n_params(), 7615616512u);
  EXPECT_EQ(find_spec("llama-3.2-1b-it")->n_params(), 1235814400u);
  EXPECT_EQ(find_spec("gemma-3-1b-it")->n_params(), 999885952u);
}

TEST(Zoo, EveryArchitectureFamilyHasATinySpec) {
  for (const char* arch : {"qwen2", "qwen3", "llama", "gemma3"}) {
    bool found = false;
    for (const auto& s : zoo()) found |= s.test_only && s.arch == arch && s.layers == 2 && s.hidden == 64;
    EXPECT_TRUE(found) << arch;
  }
}

TEST(Zoo, SpecsAreConsistent) {
  for (const auto& s : zoo()) {
    EXPECT_EQ(s.heads % s.kv_heads, 0) << s.name;
    EXPECT_GT(s.context, 0) << s.name;
    EXPECT_FALSE(s.vocab.empty()) << s.name;
    if (s.sliding_window) EXPECT_GT(s.sliding_window_pattern, 1) << s.name;
  }
}

TEST(Zoo, SizesFollowPrecision) {
  const ModelSpec& s = *find_spec("qwen-2.5-0.5b-it");
  EXPECT_EQ(s.bytes_at("bf16") * 2, s.bytes_at("f32"));
  EXPECT_LT(s.bytes_at("q4_0"), s.bytes_at("q8_0"));
}

TEST(Zoo, SuggestsCloseNames) {
  EXPECT_EQ(find_spec("qwen2.5-0.5b"), nullptr);
  const auto near = closest_specs("qwen2.5-0.5b");
  ASSERT_FALSE(near.empty());
  EXPECT_EQ(near[0], "qwen-2.5-0.5b-it");
}
