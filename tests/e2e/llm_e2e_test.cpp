// `mtb llm` end to end: the real binary on tiny synthetic models, its files read back.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <set>
#include <thread>

#include "e2e_util.h"

using namespace e2e;
namespace fs = std::filesystem;

TEST(LlmE2E, TinyRunWritesTheThreeFilesWithSaneFields) {
  const fs::path root = fresh_dir();
  const Result r = run_mtb("llm -b llamacpp -m tiny -t f32,q4_0 -p 16,32 -n 8 -r 3 --cooldown 0 --measurements " + root.string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const fs::path run = only_run(root);
  EXPECT_NE(run.parent_path().filename().string().find("GB"), std::string::npos);  // hardware string

  const auto recs = records(run);
  ASSERT_EQ(recs.size(), 4u);
  std::set<std::string> hashes16;
  for (const auto& rec : recs) {
    EXPECT_EQ(rec.status, mtb::Status::ok) << rec.error;
    EXPECT_EQ(rec.prompt_s.size(), 3u);  // repetitions counted
    EXPECT_EQ(rec.gen_s.size(), 3u);
    EXPECT_GT(rec.prompt_tps.median, 0);
    EXPECT_GT(rec.gen_tps.median, 0);
    EXPECT_LE(rec.gen_tps.ci95_lo, rec.gen_tps.mean);
    EXPECT_GE(rec.gen_tps.ci95_hi, rec.gen_tps.mean);
    EXPECT_GT(rec.load_s, 0);
    EXPECT_GT(rec.peak_rss_bytes, 1u << 20);
    EXPECT_GT(rec.model_bytes, 0u);
    EXPECT_GT(rec.model_n_params, 5'000'000u);
    EXPECT_EQ(rec.model_arch, "qwen2");
    EXPECT_EQ(rec.generated.size(), 9u);  // the first token and 8 generated
    EXPECT_EQ(rec.tokens_hash.size(), 16u);
    if (rec.spec.n_prompt == 16) hashes16.insert(rec.tokens_hash);
    // bits per weight follow the precision
    if (rec.spec.precision == "f32") EXPECT_NEAR(rec.bits_per_weight, 32, 0.5);
    if (rec.spec.precision == "q4_0") EXPECT_LT(rec.bits_per_weight, 9);
    // One worker per precision: the p32 case reuses the weights the p16 case loaded.
    EXPECT_EQ(rec.extra.value("weights_kept_from_previous_case", false), rec.spec.n_prompt == 32) << rec.spec.label();
  }
  EXPECT_EQ(hashes16.size(), 1u) << "both precisions must see the same prompt tokens";

  const auto csv = read_csv(run / "benchmark_results.csv");
  ASSERT_EQ(csv.size(), 5u);
  EXPECT_EQ(csv[0][0], "name");
  EXPECT_EQ(csv[0][9], "generation_tps");
  EXPECT_EQ(csv[1][0], "tiny");
  EXPECT_GT(std::stod(csv[1][9]), 0);

  const auto settings = read_json(run / "settings.json");
  for (const char* k : {"datetime", "git_commit", "benchmark_settings", "hardware_info", "software_info", "plan", "seed"})
    EXPECT_TRUE(settings.contains(k)) << k;
  EXPECT_EQ(settings["software_info"]["llamacpp_commit"], "de3ff815ea7d559ee917f063901b8986f038abc6");
  EXPECT_EQ(settings["plan"]["cases"].size(), 4u);
  EXPECT_EQ(settings["hardware_info"]["hardware_string"], run.parent_path().filename().string());
  EXPECT_TRUE(settings["finished"].get<bool>());
}

TEST(LlmE2E, SameSeedSameGreedyTokensOtherSeedOthers) {
  const fs::path a = fresh_dir() / "a", b = fresh_dir() / "b", c = fresh_dir() / "c";
  const std::string args = "llm -b llamacpp -m tiny-llama -t f32 -p 16 -n 12 -r 2 --cooldown 0 ";
  ASSERT_EQ(run_mtb(args + "--seed 5 --measurements " + a.string()).exit_code, 0);
  ASSERT_EQ(run_mtb(args + "--seed 5 --measurements " + b.string()).exit_code, 0);
  ASSERT_EQ(run_mtb(args + "--seed 6 --measurements " + c.string()).exit_code, 0);
  const auto ra = records(only_run(a)), rb = records(only_run(b)), rc = records(only_run(c));
  EXPECT_EQ(ra[0].generated, rb[0].generated);
  EXPECT_EQ(ra[0].tokens_hash, rb[0].tokens_hash);
  EXPECT_NE(ra[0].generated, rc[0].generated);
  EXPECT_NE(ra[0].tokens_hash, rc[0].tokens_hash);
}

TEST(LlmE2E, ZooSpecRunsAsTheRealArchitecture) {
  const fs::path root = fresh_dir();
  const Result r = run_mtb("llm -b llamacpp -m qwen-2.5-0.5b-it -t q8_0 -p 8 -n 2 -r 1 --warmup 0 --cooldown 0 --measurements " + root.string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto recs = records(only_run(root));
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].status, mtb::Status::ok) << recs[0].error;
  EXPECT_EQ(recs[0].model_n_params, 494032768u);
  EXPECT_NE(recs[0].model_desc.find("qwen2"), std::string::npos) << recs[0].model_desc;
}

TEST(LlmE2E, AKilledWorkerFailsOneCaseAndTheRunGoesOn) {
  const fs::path root = fresh_dir();
  const Result r = run_mtb("llm -b llamacpp -m tiny -t f32 -p 8,16,32 -n 4 -r 1 --cooldown 0 --measurements " + root.string(),
                    "MTB_TEST_CRASH_CASE='p16 '");
  EXPECT_EQ(r.exit_code, 3) << r.out;  // some case failed
  const auto recs = records(only_run(root));
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[0].status, mtb::Status::ok);
  EXPECT_EQ(recs[1].status, mtb::Status::failed);
  EXPECT_NE(recs[1].error.find("SIGKILL"), std::string::npos) << recs[1].error;
  EXPECT_EQ(recs[2].status, mtb::Status::ok);
}

TEST(LlmE2E, ResumeCompletesARunKilledWithSigkill) {
  const fs::path root = fresh_dir();
  const pid_t pid = start_mtb("llm -b llamacpp -m tiny -t f32 -p 8,16,24,32,40,48 -n 16 -r 3 --cooldown 0.5 --measurements " + root.string());
  // Wait for the first finished case, then kill mtb without warning.
  const fs::path run = wait_for_first_record(root);
  ASSERT_FALSE(run.empty()) << "no case finished in 2 minutes";
  // A second writer of the same folder is refused while the first lives: it would record cases twice.
  const Result second = run_mtb("llm --cooldown 0 --resume " + sh_quote(run.string()));
  EXPECT_EQ(second.exit_code, 1) << second.out;
  EXPECT_NE(second.out.find("is being written by another mtb (pid " + std::to_string(pid) + ")"), std::string::npos)
      << second.out;
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  const size_t before = records(run).size();
  ASSERT_LT(before, 6u) << "the run finished before it could be killed";
  EXPECT_FALSE(read_json(run / "settings.json")["finished"].get<bool>());

  const Result r = run_mtb("llm --cooldown 0 --resume " + sh_quote(run.string()));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find(std::to_string(before) + " of 6 cases already done"), std::string::npos) << r.out;
  const auto recs = records(run);
  ASSERT_EQ(recs.size(), 6u);
  std::set<std::string> keys;
  for (const auto& rec : recs) {
    keys.insert(rec.spec.key());
    EXPECT_EQ(rec.status, mtb::Status::ok);
  }
  EXPECT_EQ(keys.size(), 6u);  // nothing ran twice
  EXPECT_TRUE(read_json(run / "settings.json")["finished"].get<bool>());
}

TEST(LlmE2E, OutputFormatsAreReadersOfTheSameRecords) {
  const fs::path root = fresh_dir();
  const std::string args = "llm -b llamacpp -m tiny -t q4_0 -p 8 -n 2 -r 1 --cooldown 0 --measurements " + root.string();
  const Result j = run_mtb(args + " -o jsonl 2>/dev/null");
  const auto line = j.out.substr(0, j.out.find('\n'));
  EXPECT_EQ(nlohmann::json::parse(line)["n_prompt"], 8);
  const Result c = run_mtb(args + " -o csv 2>/dev/null");
  EXPECT_EQ(c.out.rfind("name,framework,backend", 0), 0u) << c.out;
  const Result m = run_mtb(args + " -o md 2>/dev/null");
  EXPECT_NE(m.out.find("| tiny "), std::string::npos) << m.out;
}

TEST(LlmE2E, BatchAndDepthAxesRun) {
  const fs::path root = fresh_dir();
  const Result r = run_mtb("llm -b llamacpp -m tiny -t f32 -p 16 -n 4 --batch 1,3 --depth 0,32 -r 1 --cooldown 0 --measurements " + root.string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto recs = records(only_run(root));
  ASSERT_EQ(recs.size(), 4u);
  for (const auto& rec : recs) EXPECT_EQ(rec.status, mtb::Status::ok) << rec.spec.label() << ": " << rec.error;
}

TEST(LlmE2E, PromptFileIsTokenizedByTheModelsTokenizer) {
  const fs::path root = fresh_dir();
  {
    std::ofstream(root / "prompt.txt") << "Which framework is fastest on my machine, and by how much? ";
  }
  const std::string common = "llm -b llamacpp -m tiny -t f32,q8_0 -p 48 -n 2 -r 1 --cooldown 0 ";
  ASSERT_EQ(run_mtb(common + "--prompt-file " + (root / "prompt.txt").string() + " --measurements " + (root / "a").string()).exit_code, 0);
  ASSERT_EQ(run_mtb(common + "--measurements " + (root / "b").string()).exit_code, 0);
  const auto text = records(only_run(root / "a")), seeded = records(only_run(root / "b"));
  EXPECT_EQ(text[0].tokens_hash, text[1].tokens_hash);  // same text, same tokenizer: same ids
  EXPECT_NE(text[0].tokens_hash, seeded[0].tokens_hash);
  EXPECT_EQ(text[0].spec.prompt_file, (root / "prompt.txt").string());
  EXPECT_EQ(run_mtb("llm -b llamacpp -m tiny --prompt-file /nonexistent.txt --measurements " + root.string()).exit_code, 1);
}

// On a machine with a CUDA build and a GPU this runs; elsewhere it says why it skipped.
TEST(GpuE2E, TinyModelRunsOnCuda) {
  const Result info = run_mtb("info --json 2>/dev/null");
  const auto j = nlohmann::json::parse(info.out);
  bool cuda = false;
  for (const auto& d : j["hardware_info"]["devices"]) cuda |= d["device"] == "cuda";
  if (!cuda) GTEST_SKIP() << "no CUDA device in this build or machine (CPU-only build, or no GPU)";
  const fs::path root = fresh_dir();
  const Result r = run_mtb("llm -b llamacpp -m tiny -t f32,q4_0 -d cuda -p 64 -n 16 -r 2 --cooldown 0 --measurements " + root.string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  for (const auto& rec : records(only_run(root))) {
    EXPECT_EQ(rec.status, mtb::Status::ok) << rec.error;
    EXPECT_GT(rec.peak_device_bytes, 0u);
    EXPECT_NE(rec.device_name.find("NVIDIA"), std::string::npos) << rec.device_name;
    EXPECT_TRUE(rec.device_context.contains("start")) << "NVML telemetry missing";
    // The greedy token alone crosses back from the device, not the vocabulary's logits.
    EXPECT_EQ(rec.extra.value("sampled_logits_read_back", -1), 0) << rec.extra.dump();
  }
}

// The placement axes on a GPU: recorded as llama-bench's fields, each GPU of a case described from
// NVML, and a GPU that is not there a skip with the reason.
TEST(GpuE2E, PlacementsAreRecordedAndEachGpuOfACaseIsDescribed) {
  const Result info = run_mtb("info --json 2>/dev/null");
  const auto j = nlohmann::json::parse(info.out);
  int cuda = 0;
  for (const auto& d : j["hardware_info"]["devices"]) cuda += d["device"] == "cuda" && d["backend"] == "llamacpp";
  if (!cuda) GTEST_SKIP() << "no CUDA device in this build or machine (CPU-only build, or no GPU)";
  const fs::path root = fresh_dir();
  const Result r = run_mtb("llm -b llamacpp -m tiny -t f32 -d cuda -p 32 -n 8 -r 1 --cooldown 0 --no-report "
                           "--split-mode layer,none --gpus 0,15 --measurements " + root.string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto recs = records(only_run(root));
  ASSERT_EQ(recs.size(), 4u);
  for (const auto& rec : recs) {
    if (rec.spec.gpu.gpus == "15") {
      EXPECT_EQ(rec.status, mtb::Status::skipped);
      EXPECT_NE(rec.error.find("GPU 15 is not there"), std::string::npos) << rec.error;
      continue;
    }
    EXPECT_EQ(rec.status, mtb::Status::ok) << rec.error;
    EXPECT_EQ(rec.extra.value("gpu_devices", ""), "CUDA0");
    ASSERT_TRUE(rec.device_context.contains("gpus")) << rec.device_context.dump();
    ASSERT_EQ(rec.device_context["gpus"].size(), 1u);
    EXPECT_NE(rec.device_context["gpus"][0].value("name", "").find("NVIDIA"), std::string::npos);
    EXPECT_GT(rec.device_context["gpus"][0].value("memory_added_bytes", uint64_t{0}), 0u);
  }
}

// Ctrl-C: the running case is killed and not recorded, finished ones stay, exit 130 names the resume.
TEST(LlmE2E, CtrlCStopsCleanlyAndKeepsFinishedCases) {
  const fs::path root = fresh_dir();
  const fs::path log = root / "out.log";
  const std::string tag = "MTB_TEST_TAG=ctrl-c-" + std::to_string(getpid());  // inherited by the workers
  const pid_t pid = start_mtb("llm -b llamacpp -m tiny -t f32 -p 8,16,24,32,40,48 -n 16 -r 3 --cooldown 0.5 --no-report --measurements " +
                                  root.string(),
                              log.string(), {tag});
  const fs::path run = wait_for_first_record(root);
  ASSERT_FALSE(run.empty()) << "no case finished in 2 minutes";
  kill(pid, SIGINT);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  const size_t kept = records(run).size();
  if (kept == 6u) GTEST_SKIP() << "the run finished before Ctrl-C reached it";
  EXPECT_EQ(WEXITSTATUS(status), 130);
  std::ifstream in(log);
  const std::string out{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  EXPECT_NE(out.find("Finish with: mtb llm --resume"), std::string::npos) << out;
  for (const auto& rec : records(run)) EXPECT_EQ(rec.status, mtb::Status::ok) << rec.error;  // no "interrupted" case
  EXPECT_FALSE(read_json(run / "settings.json")["finished"].get<bool>());
  // No worker of this run outlives mtb (found by the tag its environment carries; other tests' workers
  // may be running beside it).
  for (const auto& p : fs::directory_iterator("/proc")) {
    std::ifstream env(p.path() / "environ", std::ios::binary);
    const std::string e{std::istreambuf_iterator<char>(env), std::istreambuf_iterator<char>()};
    EXPECT_EQ(e.find(tag), std::string::npos) << "process " << p.path().filename() << " of the run is still alive";
  }
}

TEST(LlmE2E, TheDefaultComparesEveryInProcessFramework) {
  const fs::path root = fresh_dir();
  const Result r = run_mtb("llm -m tiny -t f32 -p 8 -n 2 -r 1 --warmup 0 --cooldown 0 --no-report --measurements " + root.string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  std::set<std::string> backends;
  for (const auto& rec : records(only_run(root))) backends.insert(rec.spec.backend);
  std::set<std::string> expected{"llamacpp"};
#ifdef MTB_HAVE_TORCH
  expected.insert("torch");
#endif
#ifdef MTB_HAVE_MLX
  expected.insert("mlx");
#endif
  EXPECT_EQ(backends, expected) << r.out;
}

TEST(LlmE2E, TheReportOfAnotherRootIsWrittenBesideIt) {
  const fs::path root = fresh_dir() / "runs";
  const Result r = run_mtb("llm -b llamacpp -m tiny -t f32 -p 8 -n 2 -r 1 --warmup 0 --cooldown 0 --measurements " + root.string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const fs::path index = root.string() + "-site/index.html";
  EXPECT_TRUE(fs::exists(index)) << r.out;
  EXPECT_NE(r.out.find("Report of every run under " + root.string() + ": " + fs::absolute(index).string()), std::string::npos)
      << r.out;
}
