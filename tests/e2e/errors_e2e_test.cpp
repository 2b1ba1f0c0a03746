// Bad input gets one clear message; what can run, runs; completed results are never lost.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "e2e_util.h"

using namespace e2e;
namespace fs = std::filesystem;

#define EXPECT_CONTAINS(haystack, needle) EXPECT_NE((haystack).find(needle), std::string::npos) << (haystack)

TEST(ErrorsE2E, UnknownModelSuggestsCloseNames) {
  const Result r = run_mtb("llm -b llamacpp -m qwen-2.5-05b-it --measurements " + fresh_dir().string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_CONTAINS(r.out, "unknown model 'qwen-2.5-05b-it'. Did you mean: qwen-2.5-0.5b-it");
}

TEST(ErrorsE2E, MissingTruncatedAndCorruptGgufAreNamed) {
  const fs::path d = fresh_dir();
  Result r = run_mtb("llm -b llamacpp -m " + (d / "absent.gguf").string() + " -t file --measurements " + d.string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_CONTAINS(r.out, "absent.gguf: no such file");

  std::ofstream(d / "junk.gguf") << "definitely not gguf";
  r = run_mtb("llm -b llamacpp -m " + (d / "junk.gguf").string() + " -t file --measurements " + d.string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_CONTAINS(r.out, "not a GGUF file");

  const Result path = run_mtb("models --path tiny -t f32 2>/dev/null");
  const std::string model = path.out.substr(0, path.out.find('\n'));
  std::ifstream in(model, std::ios::binary);
  std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  ASSERT_GT(bytes.size(), 1000u);
  std::ofstream(d / "cut.gguf", std::ios::binary) << bytes.substr(0, bytes.size() - 1000);
  r = run_mtb("llm -b llamacpp -m " + (d / "cut.gguf").string() + " -t file --measurements " + d.string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_CONTAINS(r.out, "truncated: its tensors need");
  EXPECT_FALSE(fs::exists(d / "llm_benchmarks")) << "nothing should have started";
}

// `models --path` with a list: one existing file per precision, in the order asked.
TEST(ErrorsE2E, ModelsPathTakesAListOfPrecisions) {
  const Result path = run_mtb("models --path tiny-qwen3 -t q4_0,bf16,q8_0 2>/dev/null");
  ASSERT_EQ(path.exit_code, 0) << path.out;
  std::istringstream lines(path.out);
  std::vector<std::string> files;
  for (std::string l; std::getline(lines, l);) files.push_back(l);
  ASSERT_EQ(files.size(), 3u) << path.out;
  const std::string asked[] = {".q4_0.", ".bf16.", ".q8_0."};
  for (size_t i = 0; i < files.size(); ++i) {
    EXPECT_TRUE(fs::exists(files[i])) << files[i];
    EXPECT_CONTAINS(files[i], asked[i]);
  }
}

TEST(ErrorsE2E, UserGgufRunsAsStoredAndOtherPrecisionsAreSkipped) {
  const fs::path d = fresh_dir();
  const Result path = run_mtb("models --path tiny-qwen3 -t q8_0 2>/dev/null");
  const std::string model = path.out.substr(0, path.out.find('\n'));
  const Result r = run_mtb("llm -b llamacpp -m " + model + " -t file,q8_0,bf16 -p 8 -n 2 -r 1 --cooldown 0 --measurements " + d.string());
  EXPECT_EQ(r.exit_code, 0) << r.out;
  const auto recs = records(only_run(d));
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[0].status, mtb::Status::ok) << recs[0].error;
  EXPECT_EQ(recs[1].status, mtb::Status::ok) << recs[1].error;
  EXPECT_EQ(recs[2].status, mtb::Status::skipped);
  EXPECT_CONTAINS(recs[2].error, "is stored as q8_0");
}

TEST(ErrorsE2E, UnavailableDeviceIsSkippedAndTheRunGoesOn) {
  const fs::path d = fresh_dir();
  const Result r = run_mtb("llm -b llamacpp -m tiny -t f32 -d metal,cpu -p 8 -n 2 -r 1 --cooldown 0 --measurements " + d.string());
  EXPECT_EQ(r.exit_code, 0) << r.out;
  const auto recs = records(only_run(d));
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].status, mtb::Status::skipped);
  EXPECT_CONTAINS(recs[0].error, "no 'metal' device");
  EXPECT_EQ(recs[1].status, mtb::Status::ok);
}

TEST(ErrorsE2E, PromptLongerThanTheContextIsSkippedWithTheReason) {
  const fs::path d = fresh_dir();
  const Result r = run_mtb("llm -b llamacpp -m tiny -t f32 -p 8,9000 -n 2 -r 1 --cooldown 0 --measurements " + d.string());
  EXPECT_EQ(r.exit_code, 0) << r.out;
  const auto recs = records(only_run(d));
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].status, mtb::Status::ok);
  EXPECT_EQ(recs[1].status, mtb::Status::skipped);
  EXPECT_CONTAINS(recs[1].error, "exceed the model's context of 8192");
}

TEST(ErrorsE2E, ResumeOfSomethingThatIsNotARun) {
  const fs::path d = fresh_dir();
  const Result r = run_mtb("llm --resume " + d.string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_CONTAINS(r.out, "not an mtb run folder");
}

TEST(ErrorsE2E, BadAxisValuesAreRejectedBeforeAnythingRuns) {
  const fs::path d = fresh_dir();
  Result r = run_mtb("llm -b llamacpp -m tiny -p 64,abc --measurements " + d.string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_CONTAINS(r.out, "'abc' is not a non-negative whole number");
  r = run_mtb("llm -m tiny -b nosuch --measurements " + d.string());
  EXPECT_CONTAINS(r.out, "backend 'nosuch' is not available in this build");
  r = run_mtb("llm -b llamacpp -m tiny -t q3_x --measurements " + d.string());
  EXPECT_CONTAINS(r.out, "unknown precision 'q3_x'");
  EXPECT_FALSE(fs::exists(d / "llm_benchmarks"));
}

TEST(ErrorsE2E, AFileSizeLimitStopsTheRunAndKeepsFinishedCases) {
  const fs::path d = fresh_dir();
  ASSERT_EQ(run_mtb("models --path tiny -t f32 2>/dev/null").exit_code, 0);  // the model exists before the limit
  // 10 KiB (ulimit -f counts 1 KiB blocks in bash): room for settings.json and the first
  // records, not for all twelve.
  const std::string cmd = "bash -c " + sh_quote("ulimit -f 10; exec " + std::string(MTB_BINARY) +
                                                " llm -b llamacpp -m tiny -t f32 -p 1,2,3,4,5,6,7,8,9,10,11,12 -n 2 -r 1 --cooldown 0 --measurements " +
                                                d.string() + " 2>&1");
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = pclose(p);
  EXPECT_NE(WEXITSTATUS(status), 0) << out;
  EXPECT_CONTAINS(out, "cannot write");
  const auto recs = records(only_run(d));
  EXPECT_GT(recs.size(), 0u);
  EXPECT_LT(recs.size(), 12u);
  for (const auto& r : recs) EXPECT_EQ(r.status, mtb::Status::ok);  // every kept line is whole
}
