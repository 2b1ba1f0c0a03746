// The outputs of fixed records stay what they were: the console tables, CSV, JSON and JSONL of both
// suites and the report's pages, against golden files written by the tree before the code was
// reshaped (issue 16; fixtures/ holds the records, expected/ what that tree printed for them).
// A deliberate change of output regrows expected/ and says why in its commit.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <cstdlib>
#include <sstream>

#include "llm/record.h"
#include "ops/op_record.h"
#include "report/run.h"
#include "report/site.h"

namespace mtb {
namespace {
namespace fs = std::filesystem;

const fs::path kGolden = MTB_GOLDEN_DIR;
const fs::path kRoot = kGolden / "fixtures/measurements";
const fs::path kLlmRun = kRoot / "llm_benchmarks/Test_EPYC_2C_24GB/2026-12-01__10:00:00";
const fs::path kOpsRun = kRoot / "layer_benchmarks/Test_EPYC_2C_24GB/2026-12-01__11:00:00";

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  EXPECT_TRUE(in) << p;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<nlohmann::json> lines(const fs::path& p) {
  std::istringstream in(read(p));
  std::vector<nlohmann::json> out;
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) out.push_back(nlohmann::json::parse(l));
  return out;
}

// MTB_GOLDEN_REGROW=1 writes what the tree prints now as the expected output (a deliberate change of
// output: say why in its commit); otherwise the two must be equal.
void expect_same(const std::string& actual, const std::string& name) {
  const fs::path file = kGolden / "expected" / name;
  if (std::getenv("MTB_GOLDEN_REGROW")) {
    std::ofstream(file, std::ios::binary) << actual;
    return;
  }
  EXPECT_EQ(actual, read(file)) << "differs from " << file;
}

TEST(Golden, LlmOutputs) {
  std::vector<Record> rs;
  for (const auto& j : lines(kLlmRun / "results.jsonl")) rs.push_back(j.get<Record>());
  expect_same(record_fields().format(rs, OutputFormat::table), "llm.table");
  expect_same(record_fields().format(rs, OutputFormat::md), "llm.md");
  expect_same(record_fields().format(rs, OutputFormat::csv), "llm.csv");
  expect_same(record_fields().format(rs, OutputFormat::json), "llm.json");
  expect_same(record_fields().format(rs, OutputFormat::jsonl), "llm.jsonl");
}

TEST(Golden, OpsOutputs) {
  std::vector<ops::OpRecord> rs;
  for (const auto& j : lines(kOpsRun / "results.jsonl")) rs.push_back(j.get<ops::OpRecord>());
  expect_same(ops::op_record_fields().format(rs, OutputFormat::table), "ops.table");
  expect_same(ops::op_record_fields().format(rs, OutputFormat::csv), "ops.csv");
  expect_same(ops::op_record_fields().format(rs, OutputFormat::json), "ops.json");
  expect_same(ops::op_record_fields().format(rs, OutputFormat::jsonl), "ops.jsonl");
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = 0; (at = s.find(from, at)) != std::string::npos; at += to.size()) s.replace(at, from.size(), to);
  return s;
}

TEST(Golden, ReportPages) {
  const fs::path seed = MTB_SEED_DIR;
  const bool have_seed = fs::is_directory(seed);
  const fs::path out = fs::path(MTB_TEST_TMP) / "golden-site";
  fs::remove_all(out);
  std::vector<fs::path> roots{kRoot};
  if (have_seed) roots.push_back(seed);
  const fs::path plotly = fs::path(MTB_TEST_TMP) / "golden-plotly.min.js";
  fs::create_directories(plotly.parent_path());
  std::ofstream(plotly) << "fake plotly\n";
  const report::RunSet set = report::load_measurements(roots);
  EXPECT_TRUE(set.problems.empty());
  report::write_site(set, out, plotly);
  auto page = [&](const std::string& name) {
    return replace_all(replace_all(read(out / name), kRoot.string(), "@ROOT@"), seed.string(), "@SEED@");
  };
  expect_same(page("Test_EPYC_2C_24GB.html"), "site/Test_EPYC_2C_24GB.html");
  if (!have_seed) GTEST_SKIP() << "no " << seed << " beside the repository: the index and seed pages are not compared";
  expect_same(page("index.html"), "site/index.html");
  // The seed runs' page is 2.5 MB: its digest is kept, not the page (sha256sum of the golden page).
  const std::string digest = read(kGolden / "expected/site/seed-pages.sha256").substr(0, 64);
  std::ofstream(out / "seed-page.html") << page("Apple_M4_Pro_10P_4E_20GPU_24GB.html");
  const std::string cmd = "sha256sum '" + (out / "seed-page.html").string() + "'";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_TRUE(p);
  char buf[65] = {};
  ASSERT_EQ(fread(buf, 1, 64, p), 64u);
  pclose(p);
  if (std::getenv("MTB_GOLDEN_REGROW"))
    std::ofstream(kGolden / "expected/site/seed-pages.sha256") << buf << "  Apple_M4_Pro_10P_4E_20GPU_24GB.html\n";
  else
    EXPECT_EQ(std::string(buf), digest) << "the seed runs' page changed: diff it against a page written by the tree before";
}

}  // namespace
}  // namespace mtb
