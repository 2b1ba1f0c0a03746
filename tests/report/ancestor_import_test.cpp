// The ancestor's real runs (../shared/seed-measurements, an Apple M4 Pro) read as they are.
#include <gtest/gtest.h>

#include <algorithm>

#include "report/run.h"
#include "test_support.h"

namespace mtb::report {
namespace {
namespace fs = std::filesystem;

// Data rows counted without the CSV parser: the seed files hold no quoted newlines.
size_t data_lines(const fs::path& csv) {
  const std::string text = test::read_text(csv);
  size_t n = 0, start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) ++n;
    start = end + 1;
  }
  return n - 1;
}

class SeedImport : public ::testing::Test {
 protected:
  void SetUp() override {
    seed_ = test::seed_dir();
    if (seed_.empty()) GTEST_SKIP() << "no ancestor measurements at " << MTB_SEED_DIR << " (../shared beside the repository)";
    set_ = load_measurements({seed_});
  }
  const report::Run* find(const std::string& datetime) const {
    for (const report::Run& r : set_.runs)
      if (r.datetime == datetime) return &r;
    return nullptr;
  }
  fs::path seed_;
  RunSet set_;
};

TEST_F(SeedImport, EveryRunFolderIsReadWithoutProblems) {
  for (const auto& p : set_.problems) ADD_FAILURE() << p.file << ": " << p.message;
  size_t llm = 0, layer = 0;
  for (const auto& hw : fs::directory_iterator(seed_ / "llm_benchmarks")) llm += std::distance(fs::directory_iterator(hw), {});
  for (const auto& hw : fs::directory_iterator(seed_ / "layer_benchmarks")) layer += std::distance(fs::directory_iterator(hw), {});
  ASSERT_GT(llm, 0u);
  ASSERT_GT(layer, 0u);
  EXPECT_EQ(set_.runs.size(), llm + layer);
  EXPECT_EQ(std::count_if(set_.runs.begin(), set_.runs.end(), [](const report::Run& r) { return r.kind == RunKind::layer; }),
            static_cast<long>(layer));
  for (const report::Run& r : set_.runs) {
    EXPECT_EQ(r.origin, "ancestor");
    // The LLM runs name it in settings.json, the layer runs only in their folder: the same string.
    EXPECT_EQ(r.hardware, "Apple_M4_Pro_10P+4E+20GPU_24GB") << r.dir;
    EXPECT_EQ(r.size(), data_lines(r.dir / "benchmark_results.csv")) << r.dir;
  }
}

TEST_F(SeedImport, LlmColumnsMapOntoTheRecord) {
  const report::Run* run = find("2025-04-27__13:59:10");
  ASSERT_NE(run, nullptr);
  ASSERT_EQ(run->kind, RunKind::llm);
  // First row: gemma-3-1b-it,lmstudio,metal+llama.cpp,1,int4,4096,100.0,3017.090665377504,1.349,107.29813664596274,...
  const Record& r = run->llm.at(0);
  EXPECT_EQ(r.spec.model, "gemma-3-1b-it");
  EXPECT_EQ(r.spec.backend, "lmstudio");
  EXPECT_EQ(r.spec.device, "metal+llama.cpp");
  EXPECT_EQ(r.spec.precision, "int4");
  EXPECT_EQ(r.spec.batch, 1);
  EXPECT_EQ(r.spec.n_prompt, 4096);
  EXPECT_EQ(r.spec.n_gen, 100);
  EXPECT_EQ(r.spec.reps, 3);  // settings.json: num_iterations
  EXPECT_DOUBLE_EQ(r.prompt_tps.median, 3017.090665377504);
  EXPECT_DOUBLE_EQ(r.ttft_s.median, 1.349);
  EXPECT_DOUBLE_EQ(r.gen_tps.median, 107.29813664596274);
  EXPECT_EQ(r.prompt_tps.stddev, 0);  // the ancestor kept means only
  EXPECT_EQ(r.device_name, "Apple M4 Pro");
  EXPECT_EQ(r.extra.at("ancestor_fields").at("framework"), "lmstudio");
}

TEST_F(SeedImport, PeakMemoryIsReadWhereTheRunRecordedIt) {
  const report::Run* with = find("2025-05-31__12:52:35");
  const report::Run* without = find("2025-04-27__13:59:10");
  ASSERT_TRUE(with && without);
  EXPECT_TRUE(std::all_of(with->llm.begin(), with->llm.end(), [](const Record& r) { return r.peak_rss_bytes > 0; }));
  EXPECT_TRUE(std::all_of(without->llm.begin(), without->llm.end(), [](const Record& r) { return r.peak_rss_bytes == 0; }));
}

TEST_F(SeedImport, LayerRowsKeepQuotedNamesAndTimes) {
  const report::Run* run = find("2025-04-12__16:51:12");
  ASSERT_NE(run, nullptr);
  ASSERT_EQ(run->kind, RunKind::layer);
  // LayerNorm(dim=768),torch,mps,False,64,512,,,,2.732982394174004,2.732982394174004,0.0,float32
  const LayerRecord& first = run->layers.at(0);
  EXPECT_EQ(first.name, "LayerNorm(dim=768)");
  EXPECT_EQ(first.framework, "torch");
  EXPECT_EQ(first.backend, "mps");
  EXPECT_FALSE(first.compiled);
  EXPECT_EQ(first.batch, 64);
  EXPECT_EQ(first.sequence, 512);
  EXPECT_DOUBLE_EQ(first.median_ms, 2.732982394174004);
  EXPECT_EQ(first.dtype, "float32");
  EXPECT_TRUE(std::any_of(run->layers.begin(), run->layers.end(),
                          [](const LayerRecord& l) { return l.name == "Linear(in=768, out=768)" && l.compiled; }));
}

}  // namespace
}  // namespace mtb::report
