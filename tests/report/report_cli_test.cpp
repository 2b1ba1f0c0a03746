// `mtb report` end to end: the binary on an mtb run and on the ancestor's runs with broken files mixed in.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "test_support.h"

namespace mtb::test {
namespace {
namespace fs = std::filesystem;

TEST(ReportCli, WritesIndexAndAPageForAnMtbRun) {
  MTB_REQUIRE_TINY_RUNS();
  const auto& runs = tiny_runs();
  const fs::path site = make_temp_dir("site");
  const auto r = run_mtb(fmt::format("report '{}' -o '{}'", runs.root.string(), site.string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, fs::absolute(site / "index.html").string() + "\n");  // stdout: the index path only
  EXPECT_TRUE(fs::exists(site / "plotly.min.js"));
  const std::string index = read_text(site / "index.html");
  EXPECT_NE(index.find("2 runs on 1 hardware"), std::string::npos);
  const std::string hw = runs.a.parent_path().filename().string();
  EXPECT_TRUE(fs::exists(site / (hw + ".html"))) << r.err;
  EXPECT_NE(read_text(site / (hw + ".html")).find("llamacpp cpu q4_0"), std::string::npos);
}

TEST(ReportCli, NoRunsIsAnErrorThatSaysWhere) {
  const fs::path empty = make_temp_dir("none");
  const auto r = run_mtb(fmt::format("report '{}' -o '{}'", empty.string(), (empty / "site").string()));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no run folders found under " + empty.string()), std::string::npos) << r.err;
}

// Replaces the first occurrence of `from` in a file.
void edit(const fs::path& p, const std::string& from, const std::string& to) {
  std::string text = read_text(p);
  const size_t at = text.find(from);
  ASSERT_NE(at, std::string::npos) << from << " not in " << p;
  text.replace(at, from.size(), to);
  write_text(p, text);
}

TEST(ReportCli, MalformedFilesAreReportedByNameAndTheRestIsWritten) {
  const fs::path seed = seed_dir();
  if (seed.empty()) GTEST_SKIP() << "no ancestor measurements at " << MTB_SEED_DIR << " (../shared beside the repository)";
  const fs::path m = make_temp_dir("malformed") / "measurements";
  fs::copy(seed, m, fs::copy_options::recursive);
  const fs::path hw = m / "llm_benchmarks" / "Apple_M4_Pro_10P+4E+20GPU_24GB";
  // A structurally broken file: a row with two fields. The whole file is skipped.
  const fs::path broken = hw / "2025-04-27__14:15:19" / "benchmark_results.csv";
  write_text(broken, read_text(broken) + "gemma-3-1b-it,lmstudio\n");
  // One unreadable value: that row is skipped, the other rows of the file are kept.
  const fs::path bad_row = hw / "2025-04-28__16:40:47" / "benchmark_results.csv";
  edit(bad_row, ",1,int4,4096,", ",1,int4,many,");
  // Files that are no run at all.
  write_text(hw / "notes.txt", "not a run\n");
  write_text(hw / "2025-04-28__16:12:36" / "settings.json", "{ not json");

  const fs::path site = make_temp_dir("site");
  const auto r = run_mtb(fmt::format("report '{}' -o '{}'", m.string(), site.string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find(fmt::format("skipped {}: {}:14: 2 fields, the header has 11", broken.parent_path().string(),
                                   broken.string())),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find(fmt::format("skipped {}: line 2: column 'num_prompt_tokens' is 'many', not a number", bad_row.string())),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("skipped " + (hw / "notes.txt").string() + ": not inside a run folder"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("skipped " + (hw / "2025-04-28__16:12:36" / "settings.json").string() + ": not valid JSON"),
            std::string::npos)
      << r.err;

  // The rest is written: the index lists the problems by file, the page has every other run.
  const std::string index = read_text(site / "index.html");
  EXPECT_NE(index.find("Skipped input (4)"), std::string::npos);
  EXPECT_NE(index.find(broken.string()), std::string::npos);
  EXPECT_NE(index.find("2025-04-03 – 2025-05-31"), std::string::npos);  // first layer run to last LLM run
  const std::string page = read_text(site / "Apple_M4_Pro_10P_4E_20GPU_24GB.html");
  EXPECT_EQ(page.find("<td>2025-04-27__14:15:19</td>"), std::string::npos);
  EXPECT_NE(page.find("<td>2025-04-28__16:40:47</td>"), std::string::npos);
  EXPECT_NE(page.find("<td>2025-04-28__16:12:36</td>"), std::string::npos);  // bad settings.json: data still shown
  EXPECT_NE(page.find("Layer timings"), std::string::npos);
}

}  // namespace
}  // namespace mtb::test
