// One plan over a real Slurm cluster (single node, started and torn down here): deploy/slurm/submit.sh
// submits a job array of 4 shards and the report job after it; one task is cancelled mid-run and
// resubmitted; the merged store, plan-status and the report then hold every case of the plan once.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <map>
#include <regex>
#include <thread>

#include "e2e_util.h"
#include "slurm_cluster.h"

using namespace e2e;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// Waits until `done` holds or `limit` seconds pass; false on the limit.
template <class F>
bool wait_until(F done, double limit) {
  const auto end = Clock::now() + std::chrono::duration<double>(limit);
  while (!done()) {
    if (Clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A settings.json, or null while its folder is still being made (the folder comes first).
nlohmann::json settings_of(const fs::path& run) {
  std::ifstream in(run / "settings.json");
  const nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  return j.is_discarded() ? nlohmann::json() : j;
}

// Every shard folder of the plan under root, by its shard index.
std::map<int, std::vector<fs::path>> shard_folders(const fs::path& root) {
  std::map<int, std::vector<fs::path>> out;
  std::error_code ec;
  for (const auto& hw : fs::directory_iterator(root / "llm_benchmarks", ec))
    for (const auto& run : fs::directory_iterator(hw.path(), ec))
      if (const nlohmann::json s = settings_of(run.path()); s.is_object() && s.contains("shard"))
        out[s["shard"]["index"].get<int>()].push_back(run.path());
  return out;
}

size_t lines_of(const fs::path& results) {
  std::ifstream in(results);
  size_t n = 0;
  for (std::string line; std::getline(in, line);) n += !line.empty();
  return n;
}

// "array job 12 (tasks ...), report job 13" -> {12, 13}
std::pair<std::string, std::string> job_ids(const std::string& submit_out) {
  std::smatch m;
  if (!std::regex_search(submit_out, m, std::regex(R"(array job (\d+) .*report job (\d+))"))) return {};
  return {m[1], m[2]};
}

}  // namespace

TEST(SlurmE2E, AJobArrayRunsEveryCaseOfAPlanOnceThroughACancelledAndResubmittedTask) {
  if (const std::string why = SlurmCluster::why_not(); !why.empty()) GTEST_SKIP() << "no Slurm cluster here: " << why;
  const auto t0 = Clock::now();
  const fs::path dir = fresh_dir(), root = dir / "measurements", plan = dir / "plan.json";
  // The tiny plan: one tiny model at four precisions (four model files: a unit each), three lengths,
  // so a shard has two cases left to cancel in once its first is recorded.
  const Result p = run_mtb("llm -b llamacpp -m tiny -t f32,f16,q8_0,q4_0 -p 16,32,64 -n 32 -r 2 --warmup 0 --cooldown 0 --plan-out " +
                           sh_quote(plan.string()));
  ASSERT_EQ(p.exit_code, 0) << p.out;
  EXPECT_NE(p.out.find("12 cases in 4 shard units"), std::string::npos) << p.out;
  const nlohmann::json pj = read_json(plan);
  std::vector<std::string> keys;
  for (const auto& c : pj["cases"]) keys.push_back(c["key"]);
  ASSERT_EQ(keys.size(), 12u);

  std::unique_ptr<SlurmCluster> cluster;
  try {
    cluster = std::make_unique<SlurmCluster>();
  } catch (const std::exception& e) {
    FAIL() << "the Slurm cluster did not start: " << e.what();
  }
  const auto started = Clock::now();
  const std::string submit = "cd " + sh_quote(dir.string()) + " && MTB=" + sh_quote(MTB_BINARY) + " " +
                             sh_quote(std::string(MTB_SOURCE_DIR) + "/deploy/slurm/submit.sh") + " plan.json measurements 4";
  int code = -1;
  const std::string first = cluster->run(submit, &code);
  ASSERT_EQ(code, 0) << first << cluster->logs();
  const auto [array, report] = job_ids(first);
  ASSERT_FALSE(array.empty()) << first;

  // Cancel the first shard seen mid-run: its folder holds a case, not yet all of its own.
  int cancelled = -1;
  const bool caught = wait_until(
      [&] {
        for (const auto& [k, folders] : shard_folders(root)) {
          const nlohmann::json s = settings_of(folders.front());
          const size_t n = lines_of(folders.front() / "results.jsonl");
          if (n >= 1 && n < s["plan"]["cases"].size()) {
            cluster->run("scancel " + array + "_" + std::to_string(k));
            cancelled = k;
            return true;
          }
        }
        return false;
      },
      120);
  ASSERT_TRUE(caught) << "no shard was seen between its first and last case\n" << cluster->logs();
  ASSERT_TRUE(wait_until([&] { return !cluster->job_listed(array) && !cluster->job_listed(report); }, 180))
      << cluster->run("squeue") << cluster->logs();
  const std::string first_status = read_text(dir / ("mtb-report-" + report + ".out"));
  EXPECT_NE(first_status.find("Missing ("), std::string::npos) << first_status;  // the cancelled shard's rest
  const std::string cancelled_log = read_text(dir / ("mtb-shard-" + array + "_" + std::to_string(cancelled) + ".out"));

  // Resubmit the cancelled shard: it finds its folder and runs only what it lacks.
  const std::string second = cluster->run(submit + " --tasks " + std::to_string(cancelled), &code);
  ASSERT_EQ(code, 0) << second;
  const auto [array2, report2] = job_ids(second);
  ASSERT_TRUE(wait_until([&] { return !cluster->job_listed(array2) && !cluster->job_listed(report2); }, 180))
      << cluster->run("squeue") << cluster->logs();
  const double cluster_s = std::chrono::duration<double>(Clock::now() - started).count();
  const std::string resumed_log = read_text(dir / ("mtb-shard-" + array2 + "_" + std::to_string(cancelled) + ".out"));
  EXPECT_NE(resumed_log.find("Resuming "), std::string::npos) << resumed_log;
  EXPECT_NE(resumed_log.find("shard " + std::to_string(cancelled) + "/4"), std::string::npos) << resumed_log;

  // The merged store: four shard folders (the resubmitted task reused its own), every case once.
  const auto folders = shard_folders(root);
  ASSERT_EQ(folders.size(), 4u);
  std::map<std::string, int> seen;
  for (const auto& [k, dirs] : folders) {
    ASSERT_EQ(dirs.size(), 1u) << "shard " << k;
    const nlohmann::json s = read_json(dirs.front() / "settings.json");
    EXPECT_EQ(s["shard"]["plan_hash"], pj["hash"]);
    EXPECT_EQ(s["shard"]["count"], 4);
    EXPECT_EQ(s["finished"], true) << dirs.front();
    for (const auto& r : records(dirs.front())) ++seen[r.spec.key()];
  }
  for (const auto& k : keys) EXPECT_EQ(seen[k], 1) << k;
  EXPECT_EQ(seen.size(), keys.size());

  // The report job after the resubmission: every case done, one merged run of 12 records.
  const std::string status = read_text(dir / ("mtb-report-" + report2 + ".out"));
  EXPECT_NE(status.find("12 cases: 12 done, 0 failed, 0 missing."), std::string::npos) << status;
  EXPECT_NE(status.find("Read 1 runs (12 records)"), std::string::npos) << status;
  EXPECT_TRUE(fs::exists(dir / "measurements-site" / "index.html"));
  const Result st = run_mtb("plan-status " + sh_quote(plan.string()) + " " + sh_quote(root.string()));
  EXPECT_EQ(st.exit_code, 0) << st.out;

  // What the docs show (docs/cluster.md): the commands' own output.
  std::cout << "--- submit ---\n" << first << "--- cancelled task (shard " << cancelled << ") ---\n" << cancelled_log
            << "--- first report job ---\n" << first_status << "--- resubmit ---\n" << second << "--- resubmitted task ---\n"
            << resumed_log << "--- second report job ---\n" << status
            << "--- times ---\ncluster up + jobs: " << cluster_s << " s, test: "
            << std::chrono::duration<double>(Clock::now() - t0).count() << " s\n";
}
