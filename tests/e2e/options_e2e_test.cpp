// Every option is checked before anything runs: exit 1 and one message naming the option (never
// CLI11's own exit codes); resume takes the run's own plan and settings; stdout that cannot be
// written is an error.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>

#include "e2e_util.h"

using namespace e2e;
namespace fs = std::filesystem;

#define EXPECT_CONTAINS(haystack, needle) EXPECT_NE((haystack).find(needle), std::string::npos) << (haystack)

namespace {

// A quick run of two cases on the tiny model; returns its folder.
fs::path quick_run(const fs::path& root, const std::string& extra = "") {
  const Result r = run_mtb("llm -b llamacpp -m tiny -t f32 -p 8,16 -n 2 -r 1 --no-report --measurements " + root.string() +
                           " " + extra);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  return only_run(root);
}

}  // namespace

TEST(OptionsE2E, ParseErrorsExitOneAndHelpExitsZero) {
  // CLI11's codes: 109 an unknown option, 105 a value it cannot convert, 106 a missing subcommand.
  for (const std::string args : {"llm --no-such-option", "llm -r abc", "ops --warmup x", "compare onlyone", "", "info --nope"}) {
    const Result r = run_mtb(args);
    EXPECT_EQ(r.exit_code, 1) << args << ": " << r.out;
  }
  EXPECT_EQ(run_mtb("--help").exit_code, 0);
  EXPECT_EQ(run_mtb("llm --help").exit_code, 0);
  EXPECT_EQ(run_mtb("--version").exit_code, 0);
}

TEST(OptionsE2E, EveryBadValueIsNamedBeforeAnythingRuns) {
  const fs::path d = fresh_dir();
  const std::string llm = "llm -b llamacpp -m tiny --no-report --measurements " + d.string() + " ";
  const std::pair<std::string, std::string> cases[] = {
      {llm + "--timeout nan", "--timeout nan"},
      {llm + "--timeout=-5", "--timeout -5"},
      {llm + "--timeout 1e300", "--timeout"},
      {llm + "--cooldown=-1", "--cooldown -1"},
      {llm + "--warmup=-1", "--warmup -1"},
      {llm + "-r 0", "-r/--repetitions 0"},
      {llm + "--ci-stop nan", "--ci-stop nan"},
      {llm + "--batch 1000000000", "--batch 1000000000"},
      {llm + "--threads 1000000000", "--threads 1000000000"},
      {llm + "--server-timeout 1e10", "--server-timeout"},
      {llm + "--server-connect-timeout=-1", "--server-connect-timeout"},
      {llm + "--server-api grpc", "--server-api 'grpc'"},
      {llm + "--server-url localhost", "--server-url 'localhost'"},
      {llm + "--burstiness nan", "--burstiness"},
      {llm + "-o xml", "unknown output format 'xml'"},
      {llm + "-p 8,8", "-p/--n-prompt: 8 is given twice"},
      {llm + "-t f32,f32", "-t/--type: f32 is given twice"},
      {llm + "--split-mode row", "place a model on GPUs: add -d cuda"},
      {llm + "-d cuda --split-mode diag", "--split-mode 'diag': takes none, layer, row, tensor"},
      {llm + "-d cuda --tensor-split 3/x", "--tensor-split '3/x': 'x' is not a share"},
      {llm + "-d cuda --gpus 0/0", "--gpus '0/0': GPU 0 twice"},
      {llm + "-d cuda --main-gpu 16", "--main-gpu 16"},
      {llm + "-d cuda --tensor-split 3/1,3.0/1", "--tensor-split: 3/1 is given twice"},
      {"ops --ops linear --timeout nan --measurements " + d.string(), "--timeout nan"},
      {"ops --ops linear --time-cap nan --measurements " + d.string(), "--time-cap nan"},
      {"ops --ops linear --batch 4,4 --measurements " + d.string(), "--batch: 4 is given twice"},
      {"ops --ops linear --cooldown=-2 --measurements " + d.string(), "--cooldown -2"},
      {"ops --ops linear --batch 65536 --seq 65536 --measurements " + d.string(), "elements a tensor"},
      {"check -m tiny --rtol nan", "--rtol nan"},
      {"check -m tiny --top1 2", "--top1 2"},
      {"check -m tiny -d gpu", "unknown device 'gpu'"},
      {"check -m tiny -p 0", "-p/--n-prompt 0"},
      {"check -m tiny -t q3", "unknown precision 'q3'"},
      {"check -m nosuch", "unknown model 'nosuch'"},
      {"compare " + d.string() + " " + d.string() + " --fail-above nan", "--fail-above nan"},
      {"compare " + d.string() + " " + d.string() + " --threshold=-1", "--threshold -1"},
      {"models --path nosuch", "unknown model 'nosuch'"},
      {"models --path tiny -t q3", "unknown precision 'q3'"},
      {"models -t q4_0", "-t/--type and --seed choose the file of --path"},
      {"report --max-kld nan -o " + (d / "site").string(), "--max-kld"},
  };
  for (const auto& [args, message] : cases) {
    const Result r = run_mtb(args);
    EXPECT_EQ(r.exit_code, 1) << args << ": " << r.out;
    EXPECT_CONTAINS(r.out, message);
  }
  EXPECT_FALSE(fs::exists(d / "llm_benchmarks")) << "nothing should have started";
  EXPECT_FALSE(fs::exists(d / "layer_benchmarks")) << "nothing should have started";
}

TEST(OptionsE2E, AnEmptyOrBinaryPromptFileIsRefusedBeforeAnythingRuns) {
  const fs::path d = fresh_dir();
  std::ofstream(d / "empty.txt").close();
  std::ofstream(d / "binary.txt", std::ios::binary) << std::string("\x7f" "ELF\x02\x01\x01\x00\x00\x00\xff\xfe", 12);
  for (const auto& [file, message] : {std::pair{"empty.txt", "the file is empty"}, std::pair{"binary.txt", "not UTF-8 text"}}) {
    const Result r = run_mtb("llm -b llamacpp -m tiny -t f32 -p 8 -n 2 --prompt-file " + (d / file).string() +
                             " --measurements " + d.string());
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_CONTAINS(r.out, std::string("--prompt-file ") + (d / file).string() + ": " + message);
  }
  EXPECT_FALSE(fs::exists(d / "llm_benchmarks"));
}

// -p 1e9 -n 1e9 --depth 147483648 wrapped the context (an int) negative: the case ran and built
// gigabytes of token ids. Summed in 64 bits, it is skipped as beyond the context, at once.
TEST(OptionsE2E, LengthsSummingBeyondAnIntAreSkippedAsBeyondTheContext) {
  const fs::path d = fresh_dir();
  const auto t0 = std::chrono::steady_clock::now();
  const Result r = run_mtb("llm -b llamacpp -m tiny -t f32 -p 1000000000 -n 1000000000 --depth 147483648 -r 1 --no-report "
                           "--cooldown 0 --measurements " + d.string());
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(r.exit_code, 0) << r.out;
  const auto recs = records(only_run(d));
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].status, mtb::Status::skipped);
  EXPECT_CONTAINS(recs[0].error, "= 2147483649 exceed the model's context of 8192");
  EXPECT_LT(took, 30);
}

// With no --timeout every case has a limit scaled to its model and tokens (docs/llm.md), recorded.
TEST(OptionsE2E, TheDefaultTimeoutIsRecordedPerCase) {
  const fs::path run = quick_run(fresh_dir());
  for (const auto& rec : records(run)) {
    EXPECT_GE(rec.spec.timeout_s, 600) << rec.spec.label();
    EXPECT_LT(rec.spec.timeout_s, 700) << rec.spec.label();  // the tiny model: a few MB, a few tokens
  }
}

TEST(OptionsE2E, ResumeRefusesPlanOptionsWarnsOfDroppedLinesAndKeepsTheRunsCooldown) {
  const fs::path run = quick_run(fresh_dir(), "--cooldown 0");
  Result r = run_mtb("llm --resume " + sh_quote(run.string()) + " -m tiny-llama -p 32");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_CONTAINS(r.out, "--resume takes the run's own plan and settings; leave out --model, --n-prompt");
  r = run_mtb("ops --resume " + sh_quote(run.string()) + " --ops linear");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_CONTAINS(r.out, "leave out --ops");

  // Both records replaced by two lines of garbage, and a long cooldown recorded as the run's own:
  // resume must say what it dropped, run both cases again, and sleep 10 x the first's time after it
  // (its own cooldown, not the command line's default of 0.05).
  std::ofstream(run / "results.jsonl") << "{\"torn\nnot json either\n";
  nlohmann::json settings = read_json(run / "settings.json");
  settings["benchmark_settings"]["cooldown"] = 10;
  std::ofstream(run / "settings.json") << settings.dump(2);
  const auto t0 = std::chrono::steady_clock::now();
  r = run_mtb("llm --no-report --resume " + sh_quote(run.string()));
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_CONTAINS(r.out, "results.jsonl: dropped 2 unreadable lines");
  const auto recs = records(run);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_GE(took, 10 * recs[0].wall_s * 0.9) << r.out;
}

// A table that cannot reach stdout is not a success.
TEST(OptionsE2E, StdoutThatCannotBeWrittenIsAnError) {
  const fs::path d = fresh_dir();
  Result r = run_mtb("llm -b llamacpp -m tiny -t f32 -p 8 -n 2 -r 1 --cooldown 0 --no-report --measurements " + d.string() +
                     " 2>&1 >/dev/full");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_CONTAINS(r.out, "cannot write");
  r = run_mtb("models 2>&1 >/dev/full");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_CONTAINS(r.out, "cannot write");
}
