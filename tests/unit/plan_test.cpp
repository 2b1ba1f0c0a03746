#include <gtest/gtest.h>

#include <cmath>

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

// The default limit grows with the weights and the tokens of every pass; an explicit one (0: none)
// is every case's as given.
TEST(Plan, TheDefaultTimeoutScalesWithTheModelAndTheCase) {
  LlmAxes a = small_axes();
  a.reps = 3;
  a.warmup = 1;
  a.weight_bytes = {{"m1|bf16", 1'000'000'000}, {"m1|q4_0", 250'000'000}, {"m2|bf16", 4'000'000'000}, {"m2|q4_0", 1'000'000'000}};
  const auto cases = expand(a);
  for (const auto& c : cases) {
    const double tokens = 4.0 * (c.n_prompt + c.n_gen);
    const double bytes = double(a.weight_bytes.at(c.model + "|" + c.precision));
    EXPECT_DOUBLE_EQ(c.timeout_s, std::ceil(600 + bytes / 100e6 + tokens * bytes / 4e9)) << c.label();
  }
  // m1 bf16, p256 n32: 600 + 10 + 4 x 288 x 0.25 = 898 s
  CaseSpec c = cases[4];
  EXPECT_EQ(c.n_prompt, 256);
  EXPECT_DOUBLE_EQ(c.timeout_s, 898);
  c.n_prompt = 1'000'000'000;
  EXPECT_DOUBLE_EQ(default_timeout_s(c, 4'000'000'000), kMaxTimeoutS);  // at most a week
  a.timeout_s = 0;
  for (const auto& e : expand(a)) EXPECT_EQ(e.timeout_s, 0);
}
