// Plans as files and shards as slices on one machine: --plan-out runs nothing; the shards of a plan
// together run each case once, a shard started again resumes its folder, plan-status counts them,
// and report and compare read them as one run; bad uses are refused before anything runs.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>

#include "e2e_util.h"

using namespace e2e;
namespace fs = std::filesystem;

namespace {

const std::string kTinyPlan = "llm -b llamacpp -m tiny -t f32,q8_0,q4_0 -p 8,16 -n 4 -r 1 --warmup 0 --cooldown 0";

std::string q(const fs::path& p) { return sh_quote(p.string()); }

// How often each case key is recorded across every LLM run folder under root.
std::map<std::string, int> keys_under(const fs::path& root) {
  std::map<std::string, int> seen;
  for (const auto& hw : fs::directory_iterator(root / "llm_benchmarks"))
    for (const auto& run : fs::directory_iterator(hw.path()))
      for (const auto& r : records(run.path())) ++seen[r.spec.key()];
  return seen;
}

}  // namespace

TEST(PlanE2E, ShardsOfAPlanRunEachCaseOnceAndAShardStartedAgainResumesItsFolder) {
  const fs::path dir = fresh_dir(), root = dir / "m", plan = dir / "plan.json";
  const Result w = run_mtb(kTinyPlan + " --plan-out " + q(plan));
  ASSERT_EQ(w.exit_code, 0) << w.out;
  EXPECT_NE(w.out.find("6 cases in 3 shard units"), std::string::npos) << w.out;
  EXPECT_FALSE(fs::exists(root)) << "--plan-out ran something";
  const nlohmann::json pj = read_json(plan);
  EXPECT_EQ(pj["suite"], "llm");
  EXPECT_EQ(pj["hash"].get<std::string>().size(), 64u);
  EXPECT_EQ(pj["settings"]["plan"]["cases"].size(), 6u);

  for (const char* shard : {"0/2", "1/2"}) {
    const Result r = run_mtb("llm --plan " + q(plan) + " --shard " + shard + " --no-report --measurements " + q(root));
    ASSERT_EQ(r.exit_code, 0) << r.out;
  }
  // Every case once, and each model file (precision here) in one folder only.
  const auto seen = keys_under(root);
  EXPECT_EQ(seen.size(), 6u);
  for (const auto& [k, n] : seen) EXPECT_EQ(n, 1) << k;
  std::map<std::string, std::set<std::string>> folders_of;  // precision -> folders
  for (const auto& hw : fs::directory_iterator(root / "llm_benchmarks"))
    for (const auto& run : fs::directory_iterator(hw.path())) {
      const nlohmann::json s = read_json(run.path() / "settings.json");
      EXPECT_EQ(s["shard"]["plan_hash"], pj["hash"]);
      EXPECT_EQ(s["shard"]["plan_cases"], 6);
      EXPECT_FALSE(s["shard"]["host"].get<std::string>().empty());
      for (const auto& r : records(run.path())) folders_of[r.spec.precision].insert(run.path().string());
    }
  for (const auto& [precision, folders] : folders_of) EXPECT_EQ(folders.size(), 1u) << precision;

  // Started again: the shard finds its folder and has nothing left to run.
  const Result again = run_mtb("llm --plan " + q(plan) + " --shard 1/2 --no-report --measurements " + q(root));
  ASSERT_EQ(again.exit_code, 0) << again.out;
  EXPECT_NE(again.out.find("Resuming "), std::string::npos) << again.out;
  EXPECT_EQ(keys_under(root).size(), 6u);

  const Result st = run_mtb("plan-status " + q(plan) + " " + q(root));
  EXPECT_EQ(st.exit_code, 0) << st.out;
  EXPECT_NE(st.out.find("6 cases: 6 done, 0 failed, 0 missing."), std::string::npos) << st.out;

  // The report reads the two shard folders as one run of the plan.
  const Result rep = run_mtb("report " + q(root) + " -o " + q(dir / "site"));
  ASSERT_EQ(rep.exit_code, 0) << rep.out;
  EXPECT_NE(rep.out.find("Read 1 runs (6 records)"), std::string::npos) << rep.out;
}

TEST(PlanE2E, PlanStatusNamesMissingShardsAndCasesAndCompareRefusesTwoPlansOnOneSide) {
  const fs::path dir = fresh_dir(), root = dir / "m", plan = dir / "plan.json", other = dir / "other.json";
  ASSERT_EQ(run_mtb(kTinyPlan + " --plan-out " + q(plan)).exit_code, 0);
  ASSERT_EQ(run_mtb(kTinyPlan + " --seed 7 --plan-out " + q(other)).exit_code, 0);
  ASSERT_NE(read_json(plan)["hash"], read_json(other)["hash"]);
  ASSERT_EQ(run_mtb("llm --plan " + q(plan) + " --shard 0/3 --no-report --measurements " + q(root)).exit_code, 0);

  const Result st = run_mtb("plan-status " + q(plan) + " " + q(root) + " --shards 3");
  EXPECT_EQ(st.exit_code, 5) << st.out;
  EXPECT_NE(st.out.find("Shards without a run folder: 1, 2"), std::string::npos) << st.out;
  EXPECT_NE(st.out.find("6 cases: 2 done, 0 failed, 4 missing."), std::string::npos) << st.out;
  EXPECT_NE(st.out.find("shard 2/3: tiny"), std::string::npos) << st.out;

  // One plan's shard under the root compares; a second plan's beside it makes the side ambiguous.
  const Result one = run_mtb("compare " + q(root) + " " + q(root));
  EXPECT_EQ(one.exit_code, 0) << one.out;
  ASSERT_EQ(run_mtb("llm --plan " + q(other) + " --shard 0/3 --no-report --measurements " + q(root)).exit_code, 0);
  const Result two = run_mtb("compare " + q(root) + " " + q(root));
  EXPECT_EQ(two.exit_code, 1) << two.out;
  EXPECT_NE(two.out.find("holds 2 LLM runs"), std::string::npos) << two.out;
  EXPECT_NE(two.out.find("shards of different plans are not one run"), std::string::npos) << two.out;
}

TEST(PlanE2E, OpsAndQualityPlansShardTheSameWay) {
  const fs::path dir = fresh_dir(), root = dir / "m";
  const fs::path ops_plan = dir / "ops.json", quality_plan = dir / "quality.json";
  ASSERT_EQ(run_mtb("ops --ops layer_norm,softmax --batch 1 --seq 8,16 --feature 64 --time-cap 0.02 -b ggml --plan-out " +
                    q(ops_plan)).exit_code, 0);
  for (const char* shard : {"0/2", "1/2"})
    ASSERT_EQ(run_mtb("ops --plan " + q(ops_plan) + " --shard " + shard + " --no-report --measurements " + q(root)).exit_code, 0);
  const Result ops = run_mtb("plan-status " + q(ops_plan) + " " + q(root));
  EXPECT_EQ(ops.exit_code, 0) << ops.out;
  EXPECT_NE(ops.out.find("4 cases: 4 done"), std::string::npos) << ops.out;

  ASSERT_EQ(run_mtb("quality -m tiny -b llamacpp -t q8_0,q4_0 --ctx 64 --chunks 2 --plan-out " + q(quality_plan)).exit_code, 0);
  const Result qs = run_mtb("quality --plan " + q(quality_plan) + " --shard 0/1 --cooldown 0 --no-report --measurements " + q(root));
  ASSERT_EQ(qs.exit_code, 0) << qs.out;
  const Result quality = run_mtb("plan-status " + q(quality_plan) + " " + q(root));
  EXPECT_EQ(quality.exit_code, 0) << quality.out;
  EXPECT_NE(quality.out.find("3 cases: 3 done"), std::string::npos) << quality.out;  // the reference and two candidates
}

TEST(PlanE2E, BadUsesAreRefusedBeforeAnythingRuns) {
  const fs::path dir = fresh_dir(), plan = dir / "plan.json", root = dir / "m";
  ASSERT_EQ(run_mtb(kTinyPlan + " --plan-out " + q(plan)).exit_code, 0);
  const std::string where = " --measurements " + q(root);
  struct Case {
    std::string args, says;
  };
  const std::vector<Case> cases = {
      {"llm --shard 0/2" + where, "--shard K/N slices a plan"},
      {"llm --plan " + q(plan) + " --shard 2/2" + where, "--shard '2/2'"},
      {"llm --plan " + q(plan) + " --shard 0/2 -m tiny" + where, "leave out --model"},
      {"llm --plan " + q(plan) + " --resume " + q(dir) + where, "give one of them"},
      {kTinyPlan + " --plan-out " + q(dir / "p2.json") + " --resume " + q(dir), "--plan-out writes a new plan"},
      {"llm --quality --plan-out " + q(dir / "p3.json"), "--quality"},
      {"ops --plan " + q(plan) + where, "a plan of `mtb llm`"},
      {"llm --plan " + q(dir / "none.json") + where, "no such file"},
  };
  for (const auto& c : cases) {
    const Result r = run_mtb(c.args);
    EXPECT_EQ(r.exit_code, 1) << c.args << "\n" << r.out;
    EXPECT_NE(r.out.find(c.says), std::string::npos) << c.args << "\n" << r.out;
  }
  // An edited plan: its hash no longer matches, and the shards of it would not add up.
  nlohmann::json pj = read_json(plan);
  pj["settings"]["plan"]["axes"]["reps"] = 9;
  std::ofstream(dir / "edited.json") << pj.dump(2);
  const Result r = run_mtb("llm --plan " + q(dir / "edited.json") + " --shard 0/2" + where);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("does not match its hash"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(root)) << "a refused command wrote a run";
}
