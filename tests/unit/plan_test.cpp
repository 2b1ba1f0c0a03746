#include <gtest/gtest.h>

#include "llm/plan.h"

using namespace mtb;

TEST(Plan, SplitsCommaLists) {
  EXPECT_EQ(split_list("a,b, c"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(split_list("one"), (std::vector<std::string>{"one"}));
  EXPECT_THROW(split_list("a,,b"), std::invalid_argument);
  EXPECT_THROW(split_list(""), std::invalid_argument);
}

TEST(Plan, ParsesIntegerListsWithK) {
  EXPECT_EQ(parse_int_list("64,256,1k,4K", "-p"), (std::vector<int>{64, 256, 1024, 4096}));
  try {
    parse_int_list("64,abc", "-p/--n-prompt");
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("-p/--n-prompt: 'abc'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_int_list("-5", "-n"), std::invalid_argument);
  EXPECT_THROW(parse_int_list("12x", "-n"), std::invalid_argument);
}

LlmAxes small_axes() {
  LlmAxes a;
  a.models = {"m1", "m2"};
  a.backends = {"llamacpp"};
  a.devices = {"cpu"};
  a.precisions = {"bf16", "q4_0"};
  a.n_prompt = {0, 64, 256};
  a.n_gen = {0, 32};
  a.n_depth = {0};
  a.batch = {1};
  a.threads = {0};
  return a;
}

TEST(Plan, ExpandsTheCartesianProductWithoutEmptyCases) {
  const auto cases = expand(small_axes());
  // 2 models x 2 precisions x (3 x 2 lengths, less p0/n0) = 2 * 2 * 5
  EXPECT_EQ(cases.size(), 20u);
  for (const auto& c : cases) EXPECT_FALSE(c.n_prompt == 0 && c.n_gen == 0);
  // model and precision are outermost: consecutive cases share one model file
  EXPECT_EQ(cases[0].model, "m1");
  EXPECT_EQ(cases[0].precision, "bf16");
  EXPECT_EQ(cases[4].precision, "bf16");
  EXPECT_EQ(cases[5].precision, "q4_0");
}

TEST(Plan, KeysAreUniqueWithinAPlan) {
  const auto cases = expand(small_axes());
  std::set<std::string> keys;
  for (const auto& c : cases) keys.insert(c.key());
  EXPECT_EQ(keys.size(), cases.size());
}

TEST(Plan, DescriptionNamesEveryAxis) {
  const std::string d = describe_plan(small_axes(), 20);
  for (const char* s : {"m1, m2", "bf16, q4_0", "0, 64, 256", "= 20 cases"}) EXPECT_NE(d.find(s), std::string::npos) << s;
}
