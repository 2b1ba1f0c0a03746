// The GPU placement axes (--split-mode, --tensor-split, --main-gpu, --gpus): their parsing, their
// place in the plan and the record, and what a backend that uses one GPU accepts.
#include <gtest/gtest.h>

#include "llm/gpu_placement.h"
#include "llm/plan.h"
#include "llm/record.h"

using namespace mtb;

namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no error";
}

LlmAxes gpu_axes() {
  LlmAxes a;
  a.models = {"m"};
  a.backends = {"llamacpp"};
  a.devices = {"cpu", "cuda"};
  a.precisions = {"q4_0"};
  a.n_prompt = {512};
  a.n_gen = {128};
  a.n_depth = {0};
  a.batch = {1};
  a.threads = {0};
  a.split_modes = {"layer", "row"};
  a.tensor_splits = {"", "3/1"};
  a.gpu_sets = {"0/1"};
  return a;
}

}  // namespace

TEST(GpuPlacement, TensorSplitsParseToTheirCanonicalText) {
  EXPECT_EQ(parse_tensor_split("3/1"), (std::vector<float>{3, 1}));
  EXPECT_EQ(tensor_split_text(parse_tensor_split("3.0/1.50/0")), "3/1.5/0");
  EXPECT_NE(error_of([] { parse_tensor_split("3//1"); }).find("empty entry"), std::string::npos);
  EXPECT_NE(error_of([] { parse_tensor_split("3/x"); }).find("'x' is not a share"), std::string::npos);
  EXPECT_NE(error_of([] { parse_tensor_split("-1/2"); }).find("'-1' is not a share"), std::string::npos);
  EXPECT_NE(error_of([] { parse_tensor_split("nan"); }).find("not a share"), std::string::npos);
  EXPECT_NE(error_of([] { parse_tensor_split("0/0"); }).find("every share is 0"), std::string::npos);
  EXPECT_NE(error_of([] { parse_tensor_split("1/1/1/1/1/1/1/1/1/1/1/1/1/1/1/1/1"); }).find("more than 16 GPUs"), std::string::npos);
}

TEST(GpuPlacement, GpuSetsAreDistinctIndexesOrAll) {
  EXPECT_EQ(parse_gpu_set("all"), std::vector<int>{});
  EXPECT_EQ(parse_gpu_set("2/0"), (std::vector<int>{2, 0}));
  EXPECT_EQ(gpu_set_text(parse_gpu_set("0/1")), "0/1");
  EXPECT_EQ(gpu_set_text({}), "all");
  EXPECT_NE(error_of([] { parse_gpu_set("0/0"); }).find("GPU 0 twice"), std::string::npos);
  EXPECT_NE(error_of([] { parse_gpu_set("16"); }).find("not a GPU index from 0 to 15"), std::string::npos);
  EXPECT_NE(error_of([] { parse_gpu_set("a"); }).find("not a GPU index"), std::string::npos);
  EXPECT_NE(error_of([] { parse_gpu_set("-1"); }).find("not a GPU index"), std::string::npos);
}

TEST(GpuPlacement, ResolvesAgainstTheGpusThatAreThere) {
  GpuPlacement p;
  EXPECT_EQ(resolve_gpus(p, 4), (std::vector<int>{0, 1, 2, 3}));
  p.gpus = "1/3";
  EXPECT_EQ(resolve_gpus(p, 4), (std::vector<int>{1, 3}));
  EXPECT_NE(error_of([&] { resolve_gpus(p, 2); }).find("GPU 3 is not there (2 visible)"), std::string::npos);
}

TEST(GpuPlacement, ABackendOnOneGpuTakesOnlyPlacementsOnTheFirst) {
  GpuPlacement p;
  EXPECT_EQ(first_gpu_only(p, 1, "torch"), "");  // every visible one, and that is one
  EXPECT_NE(first_gpu_only(p, 2, "torch").find("torch places a model on the first GPU only"), std::string::npos);
  p.gpus = "0";
  EXPECT_EQ(first_gpu_only(p, 2, "torch"), "");
  p.gpus = "1";
  EXPECT_NE(first_gpu_only(p, 2, "torch"), "");
  p = GpuPlacement{"none", "", 0, "all"};  // split mode none: the main GPU alone
  EXPECT_EQ(first_gpu_only(p, 4, "torch"), "");
  p.main_gpu = 1;
  EXPECT_NE(first_gpu_only(p, 4, "torch"), "");
}

TEST(GpuPlacement, OnlyGpuCasesMultiplyByThePlacements) {
  const auto cases = expand(gpu_axes());
  ASSERT_EQ(cases.size(), 1u + 4u);  // the CPU case once, the CUDA cases for 2 modes x 2 splits
  EXPECT_EQ(cases[0].device, "cpu");
  EXPECT_TRUE(cases[0].gpu.is_default());
  std::set<std::string> keys;
  for (const auto& c : cases) keys.insert(c.key());
  EXPECT_EQ(keys.size(), cases.size());
  EXPECT_EQ(cases[4].gpu.split_mode, "row");
  EXPECT_EQ(cases[4].gpu.tensor_split, "3/1");
  EXPECT_NE(cases[4].key().find("|smrow|ts3/1|g0/1"), std::string::npos) << cases[4].key();
  EXPECT_NE(cases[4].label().find(" sm row ts 3/1 gpus 0/1"), std::string::npos) << cases[4].label();
  EXPECT_NE(describe_plan(gpu_axes(), cases.size()).find("gpus        0/1 (GPU devices): split mode layer, row, tensor split by free memory, 3/1"),
            std::string::npos)
      << describe_plan(gpu_axes(), cases.size());
}

TEST(GpuPlacement, TheDefaultPlacementLeavesKeysAsTheyWere) {
  CaseSpec c;
  c.model = "m";
  c.backend = "llamacpp";
  c.device = "cuda";
  c.precision = "q4_0";
  EXPECT_EQ(c.key(), "m|llamacpp|cuda|q4_0|p512|n128|d0|b1|t0|s42");  // a run from before these axes resumes
}

TEST(GpuPlacement, RecordsCarryLlamaBenchsFields) {
  Record r;
  r.spec.model = "m";
  r.spec.backend = "llamacpp";
  r.spec.device = "cuda";
  r.spec.precision = "q4_0";
  r.spec.gpu = {"row", "3/1", 1, "0/1"};
  const nlohmann::json j = r;
  EXPECT_EQ(j.at("split_mode"), "row");
  EXPECT_EQ(j.at("tensor_split"), "3/1");
  EXPECT_EQ(j.at("main_gpu"), 1);
  EXPECT_EQ(j.at("gpus"), "0/1");
  const Record back = j.get<Record>();
  EXPECT_EQ(back.spec.key(), r.spec.key());
  const CaseSpec old = nlohmann::json{{"model", "m"}, {"backend", "llamacpp"}, {"device", "cuda"}, {"precision", "q4_0"}}.get<CaseSpec>();
  EXPECT_TRUE(old.gpu.is_default());  // a record from before these axes reads as the default placement
}
