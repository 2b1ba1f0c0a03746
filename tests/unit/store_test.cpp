#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "core/store.h"
#include "core/text_table.h"
#include "test_dirs.h"

using namespace mtb;
namespace fs = std::filesystem;

// The store knows no record kind: a line of two fields and a CSV of them.
nlohmann::json rec(int n_prompt) { return {{"model", "tiny"}, {"n_prompt", n_prompt}}; }

CsvSchema schema() {
  return {{"model", "n_prompt"}, [](const nlohmann::json& j) {
            return std::vector<std::string>{j.at("model").get<std::string>(), std::to_string(j.at("n_prompt").get<int>())};
          }};
}


TEST(Store, CreatesTheAncestorLayout) {
  const fs::path root = fresh_test_dir();
  RunStore s = RunStore::create(root, "llm_benchmarks", "Some_CPU_2C_24GB", {{"plan", {{"axes", 1}}}}, schema());
  EXPECT_EQ(s.dir().parent_path(), root / "llm_benchmarks" / "Some_CPU_2C_24GB");
  EXPECT_EQ(s.dir().filename().string().size(), std::string("2025-04-27__12:46:07").size());
  for (const char* f : {"settings.json", "results.jsonl", "benchmark_results.csv"}) EXPECT_TRUE(fs::exists(s.dir() / f)) << f;
  EXPECT_EQ(s.settings()["datetime"], s.dir().filename().string());
}

TEST(Store, TwoRunsInOneSecondGetTwoFolders) {
  const fs::path root = fresh_test_dir();
  RunStore a = RunStore::create(root, "llm_benchmarks", "hw", {{"plan", 1}}, schema());
  RunStore b = RunStore::create(root, "llm_benchmarks", "hw", {{"plan", 1}}, schema());
  EXPECT_NE(a.dir(), b.dir());
}

TEST(Store, AppendsAndReadsBack) {
  const fs::path root = fresh_test_dir();
  fs::path dir;
  {
    RunStore s = RunStore::create(root, "llm_benchmarks", "hw", {{"plan", 1}}, schema());
    s.append_line(rec(16));
    s.append_line(rec(64));
    dir = s.dir();
  }  // the writer ends: the folder is free to resume
  RunStore again = RunStore::open(dir, schema());
  const auto records = again.load_lines();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1]["n_prompt"], 64);
  EXPECT_EQ(slurp(dir / "benchmark_results.csv"), "model,n_prompt\ntiny,16\ntiny,64\n");  // a row appended per line
}

TEST(Store, ResumeWritesTheCsvAnewFromTheResults) {
  const fs::path root = fresh_test_dir();
  fs::path dir;
  {
    RunStore s = RunStore::create(root, "llm_benchmarks", "hw", {{"plan", 1}}, schema());
    s.append_line(rec(16));
    dir = s.dir();
  }
  std::ofstream(dir / "benchmark_results.csv") << "model,n_prompt\n";  // a run killed between the two appends
  RunStore again = RunStore::open(dir, schema());
  EXPECT_EQ(slurp(dir / "benchmark_results.csv"), "model,n_prompt\ntiny,16\n");
}

TEST(Store, DropsATornLastLine) {
  const fs::path root = fresh_test_dir();
  fs::path dir;
  {
    RunStore s = RunStore::create(root, "llm_benchmarks", "hw", {{"plan", 1}}, schema());
    s.append_line(rec(16));
    dir = s.dir();
  }
  {
    std::ofstream out(dir / "results.jsonl", std::ios::app);
    out << "{\"model\": \"tiny\", \"back";  // a write cut by SIGKILL
  }
  {
    RunStore again = RunStore::open(dir, schema());
    EXPECT_EQ(again.load_lines().size(), 1u);
    again.append_line(rec(64));
  }
  EXPECT_EQ(RunStore::open(dir, schema()).load_lines().size(), 2u);
}

// One writer per run folder: a second (here in the same process; across processes in LlmE2E) is
// refused while the first lives, named by its pid, and the folder is free again once it ends.
TEST(Store, ASecondWriterOfOneFolderIsRefused) {
  const fs::path root = fresh_test_dir();
  fs::path dir;
  {
    RunStore s = RunStore::create(root, "llm_benchmarks", "hw", {{"plan", 1}}, schema());
    dir = s.dir();
    try {
      RunStore::open(dir, schema());
      FAIL() << "two writers of one run folder";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("is being written by another mtb (pid " + std::to_string(getpid()) + ")"),
                std::string::npos) << e.what();
    }
  }
  EXPECT_NO_THROW(RunStore::open(dir, schema()));
}

TEST(Store, FullDiskIsAClearErrorAndKeepsWhatWasWritten) {
  const fs::path root = fresh_test_dir();
  RunStore s = RunStore::create(root, "llm_benchmarks", "hw", {{"plan", 1}}, schema());
  s.append_line(rec(16));
  const std::string before = slurp(s.dir() / "results.jsonl");
  // /dev/full answers every write with ENOSPC, as a full disk does.
  fs::rename(s.dir() / "results.jsonl", s.dir() / "kept.jsonl");
  fs::create_symlink("/dev/full", s.dir() / "results.jsonl");
  try {
    s.append_line(rec(64));
    FAIL() << "expected a write error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("disk is full"), std::string::npos) << e.what();
  }
  EXPECT_EQ(slurp(s.dir() / "kept.jsonl"), before);
  const std::string csv = slurp(s.dir() / "benchmark_results.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 2);  // the failed record was not added
}

TEST(Store, ResumeRejectsWhatIsNotARun) {
  const fs::path root = fresh_test_dir();
  try {
    RunStore::open(root, schema());
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("not an mtb run folder"), std::string::npos) << e.what();
  }
  EXPECT_THROW(RunStore::open(root / "missing", schema()), std::runtime_error);
  std::ofstream(root / "settings.json") << "{\"datetime\": 1}";
  std::ofstream(root / "results.jsonl") << "";
  try {
    RunStore::open(root, schema());
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("no plan"), std::string::npos) << e.what();
  }
}

TEST(Store, CsvEscapesSeparators) {
  EXPECT_EQ(csv_escape("plain"), "plain");
  EXPECT_EQ(csv_escape("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_escape("say \"hi\""), "\"say \"\"hi\"\"\"");
}
