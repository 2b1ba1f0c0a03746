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

// The several-GPU sizes, to the parameter: each checkpoint's model.safetensors.index.json
// metadata.total_size (bf16, 2 bytes a weight) over 2. Their model cards round these to 14.7B,
// 32.8B, 72.7B and 70.6B.
TEST(Zoo, LargeModelsMatchTheirPublishedCheckpoints) {
  EXPECT_EQ(find_spec("qwen-2.5-14b-it")->n_params(), 29540067328u / 2);
  EXPECT_EQ(find_spec("qwen-2.5-32b-it")->n_params(), 65527752704u / 2);
  EXPECT_EQ(find_spec("qwen-2.5-72b-it")->n_params(), 145412407296u / 2);
  EXPECT_EQ(find_spec("llama-3.1-70b-it")->n_params(), 141107412992u / 2);
  // 145 GB in bf16: what synthesis must not need in memory (tests/unit/synth_test.cpp).
  EXPECT_EQ(find_spec("qwen-2.5-72b-it")->bytes_at("bf16"), 145412407296u);
}

// Llama 3.1 scales RoPE by 8 where Llama 3.2's small models scale by 32, and unties its embeddings.
TEST(Zoo, Llama31KeepsItsOwnRopeScaling) {
  const ModelSpec& l31 = *find_spec("llama-3.1-70b-it");
  EXPECT_EQ(l31.rope_scaling.type, "llama3");
  EXPECT_EQ(l31.rope_scaling.factor, 8.0);
  EXPECT_EQ(l31.rope_scaling.original_context, 8192);
  EXPECT_FALSE(l31.tied_embeddings);
  EXPECT_EQ(find_spec("llama-3.2-1b-it")->rope_scaling.factor, 32.0);
  // The longest wavelengths are divided by the factor itself.
  const std::vector<float> f = llama3_rope_factors(l31.rope_scaling, l31.rope_theta, l31.head_dim);
  ASSERT_EQ(f.size(), 64u);
  EXPECT_EQ(f.front(), 1.0f);
  EXPECT_EQ(f.back(), 8.0f);
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
