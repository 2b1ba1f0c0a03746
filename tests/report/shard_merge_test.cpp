// One plan's shard folders read as one run (report::merge_shards): each case once, a case recorded by
// two shards (a retried task) with its newest record, other runs left as they are; and compare
// taking such a folder as one side, refusing one that holds two plans.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "report/run.h"
#include "test_support.h"

namespace mtb::report {
namespace {
namespace fs = std::filesystem;

Record record(int n_prompt, const std::string& started_at, double wall_s) {
  Record r;
  r.spec = {.model = "tiny", .backend = "llamacpp", .device = "cpu", .precision = "f32", .n_prompt = n_prompt, .n_gen = 8};
  r.started_at = started_at;
  r.wall_s = wall_s;  // tells the copies of a case apart
  r.prompt_s = {0.01, 0.011};
  r.gen_s = {0.02, 0.021};
  return r;
}

// A run folder under root/llm_benchmarks/HW/<name> holding `records`, a shard of `plan` unless empty.
void write_run(const fs::path& root, const std::string& name, const std::string& plan, int index,
               const std::vector<Record>& records) {
  const fs::path dir = root / "llm_benchmarks" / "HW" / name;
  fs::create_directories(dir);
  nlohmann::json s = {{"hardware_info", {{"hardware_string", "HW"}}}, {"plan", {{"axes", nlohmann::json::object()}}}};
  if (!plan.empty()) s["shard"] = {{"plan_hash", plan}, {"index", index}, {"count", 2}};
  std::ofstream(dir / "settings.json") << s.dump();
  std::ofstream out(dir / "results.jsonl");
  for (const Record& r : records) out << nlohmann::json(r).dump() << "\n";
}

TEST(MergeShards, OnePlansShardsAreOneRunWithEachCaseOnceAndTheNewestRecordKept) {
  const fs::path root = test::make_temp_dir("merge");
  write_run(root, "2026-01-01__00:00:00", "planA", 0, {record(8, "2026-01-01T00:00:01Z", 1), record(16, "2026-01-01T00:00:02Z", 1)});
  // Shard 1, and the same shard again later (a retried task on other hardware, say): p32 twice.
  write_run(root, "2026-01-01__00:00:00_2", "planA", 1, {record(32, "2026-01-01T00:00:03Z", 1)});
  write_run(root, "2026-01-02__00:00:00", "planA", 1, {record(32, "2026-01-02T00:00:03Z", 2), record(64, "2026-01-02T00:00:04Z", 2)});
  // An older record read last must not win: the start time decides, not the order read.
  write_run(root, "2026-01-03__00:00:00", "planA", 0, {record(8, "2025-12-31T00:00:00Z", 3)});
  write_run(root, "2026-01-04__00:00:00", "", 0, {record(8, "2026-01-04T00:00:00Z", 4)});  // no shard: its own run

  const RunSet set = load_measurements({root});
  ASSERT_EQ(set.runs.size(), 2u);
  const report::Run& merged = set.runs[0].plan_hash.empty() ? set.runs[1] : set.runs[0];
  const report::Run& alone = set.runs[0].plan_hash.empty() ? set.runs[0] : set.runs[1];
  EXPECT_EQ(merged.plan_hash, "planA");
  EXPECT_EQ(merged.shard_dirs.size(), 4u);
  EXPECT_EQ(merged.datetime, "2026-01-03__00:00:00");  // its latest shard's
  ASSERT_EQ(merged.llm.size(), 4u);
  std::map<int, double> wall;
  for (const Record& r : merged.llm) wall[r.spec.n_prompt] = r.wall_s;
  EXPECT_EQ(wall, (std::map<int, double>{{8, 1}, {16, 1}, {32, 2}, {64, 2}}));
  EXPECT_EQ(alone.llm.size(), 1u);
  EXPECT_TRUE(alone.shard_dirs.empty());
}

TEST(MergeShards, CompareTakesOnePlansShardsAsASideAndRefusesTwoPlans) {
  const fs::path root = test::make_temp_dir("merge-compare");
  write_run(root, "2026-01-01__00:00:00", "planA", 0, {record(8, "2026-01-01T00:00:01Z", 1)});
  write_run(root, "2026-01-01__00:00:01", "planA", 1, {record(16, "2026-01-01T00:00:02Z", 1)});
  const auto one = test::run_mtb("compare " + root.string() + " " + root.string());
  EXPECT_EQ(one.exit_code, 0) << one.out << one.err;
  EXPECT_NE(one.out.find("2 matched cases"), std::string::npos) << one.out;  // a case of each shard
  write_run(root, "2026-01-02__00:00:00", "planB", 0, {record(8, "2026-01-02T00:00:01Z", 1)});
  const auto two = test::run_mtb("compare " + root.string() + " " + root.string());
  EXPECT_EQ(two.exit_code, 1);
  EXPECT_NE(two.err.find("holds 2 LLM runs: plan planA (2 shard folders); plan planB (1 shard folders)"), std::string::npos)
      << two.err;
}

}  // namespace
}  // namespace mtb::report
