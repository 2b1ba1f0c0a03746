// `mtb quality` end to end: the real binary on tiny synthetic models, its records read back.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <set>

#include "core/system_info.h"
#include "e2e_util.h"
#include "quality/quality_record.h"

using namespace e2e;
namespace fs = std::filesystem;

namespace {

fs::path only_quality_run(const fs::path& root) {
  std::vector<fs::path> runs;
  for (const auto& hw : fs::directory_iterator(root / "llm_quality"))
    for (const auto& run : fs::directory_iterator(hw.path())) runs.push_back(run.path());
  if (runs.size() != 1) throw std::runtime_error("expected exactly one quality run under " + root.string());
  return runs[0];
}

std::vector<mtb::QualityRecord> quality_records(const fs::path& run) {
  std::vector<mtb::QualityRecord> out;
  std::ifstream in(run / "results.jsonl");
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line).get<mtb::QualityRecord>());
  return out;
}

std::map<std::string, mtb::QualityRecord> by_precision(const std::vector<mtb::QualityRecord>& rs) {
  std::map<std::string, mtb::QualityRecord> out;
  for (const auto& r : rs)
    if (!r.spec.reference) out[r.spec.backend + " " + r.spec.precision] = r;
  return out;
}

std::string model_path(const std::string& model, const std::string& precision) {
  const Result r = run_mtb("models --path " + model + " -t " + precision + " 2>/dev/null");
  if (r.exit_code != 0) throw std::runtime_error(r.out);
  return r.out.substr(0, r.out.find('\n'));
}

const char* kSmall = " --ctx 64 --chunks 2 --cooldown 0 --no-report";

}  // namespace

TEST(QualityE2E, F32IsExactAndQ8MovesLessThanQ4) {
  const fs::path root = fresh_dir();
  const Result r = run_mtb("quality -m tiny -b llamacpp -t f32,q8_0,q4_0" + std::string(kSmall) + " --measurements " + root.string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("Synthetic weights"), std::string::npos) << r.out;
  const fs::path run = only_quality_run(root);
  const auto recs = quality_records(run);
  ASSERT_EQ(recs.size(), 4u);
  EXPECT_TRUE(recs[0].spec.reference);
  EXPECT_EQ(recs[0].status, mtb::Status::ok) << recs[0].error;
  EXPECT_EQ(recs[0].metrics.n_scored, 2 * 31);
  EXPECT_GT(recs[0].metrics.ppl_ref.value, 1);
  for (const auto& rec : recs) {
    EXPECT_EQ(rec.status, mtb::Status::ok) << rec.spec.label() << ": " << rec.error;
    EXPECT_TRUE(rec.synthetic);
    EXPECT_EQ(rec.tokens_hash, recs[0].tokens_hash) << "every case scores the same tokens";
    EXPECT_EQ(rec.n_vocab, 151936);
  }
  auto p = by_precision(recs);
  EXPECT_LT(p["llamacpp f32"].metrics.kld.value, 1e-6);
  EXPECT_DOUBLE_EQ(p["llamacpp f32"].metrics.same_top1_pct.value, 100);
  EXPECT_NEAR(p["llamacpp f32"].metrics.ppl_ratio.value, 1, 1e-5);
  EXPECT_GT(p["llamacpp q8_0"].metrics.kld.value, 0);
  EXPECT_GT(p["llamacpp q4_0"].metrics.kld.value, p["llamacpp q8_0"].metrics.kld.value);
  EXPECT_LT(p["llamacpp q4_0"].metrics.same_top1_pct.value, 100.0 + 1e-9);
  // Once every candidate has its record, the reference's log-probabilities are removed.
  for (const auto& e : fs::directory_iterator(run)) EXPECT_NE(e.path().extension(), ".logprobs") << e.path();
  const auto csv = read_csv(run / "benchmark_results.csv");
  ASSERT_EQ(csv.size(), 5u);
  EXPECT_EQ(csv[0][0], "name");
}

TEST(QualityE2E, APlantedWrongCandidateIsCaughtByTheGate) {
  const fs::path root = fresh_dir();
  const Result r = run_mtb("quality -m tiny -b llamacpp -t f32 --max-kld 0.01" + std::string(kSmall) + " --measurements " + root.string(),
                           "MTB_TEST_PERTURB_LOGITS='llamacpp cpu f32 vs=1.5'");
  EXPECT_EQ(r.exit_code, 4) << r.out;
  EXPECT_NE(r.out.find("Above --max-kld 0.01"), std::string::npos) << r.out;
  const auto p = by_precision(quality_records(only_quality_run(root)));
  EXPECT_GT(p.at("llamacpp f32").metrics.kld.value, 0.01);
  EXPECT_LT(p.at("llamacpp f32").metrics.same_top1_pct.value, 100);
}

TEST(QualityE2E, ResumeFinishesAnInterruptedRunWithoutRecomputingTheReference) {
  const fs::path root = fresh_dir();
  const pid_t pid = start_mtb("quality -m tiny -b llamacpp -t f32,q8_0,q4_0,q4_k_m,bf16 --ctx 64 --chunks 2 --cooldown 1 --no-report "
                              "--measurements " + root.string());
  fs::path run;
  for (int i = 0; i < 2400 && run.empty(); ++i) {
    usleep(50'000);
    try {
      const fs::path r = only_quality_run(root);
      if (!quality_records(r).empty()) run = r;
    } catch (...) {
    }
  }
  ASSERT_FALSE(run.empty()) << "no case finished in 2 minutes";
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  const size_t before = quality_records(run).size();
  ASSERT_LT(before, 6u) << "the run finished before it could be killed";
  ASSERT_TRUE(quality_records(run)[0].spec.reference);

  const Result r = run_mtb("quality --cooldown 0 --no-report --resume " + sh_quote(run.string()));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find(std::to_string(before) + " of 6 cases already done"), std::string::npos) << r.out;
  const auto recs = quality_records(run);
  ASSERT_EQ(recs.size(), 6u);
  std::set<std::string> keys;
  for (const auto& rec : recs) {
    keys.insert(rec.spec.key());
    EXPECT_EQ(rec.status, mtb::Status::ok) << rec.error;
  }
  EXPECT_EQ(keys.size(), 6u);  // nothing ran twice
  EXPECT_EQ(std::count_if(recs.begin(), recs.end(), [](const auto& x) { return x.spec.reference; }), 1);
  EXPECT_TRUE(read_json(run / "settings.json")["finished"].get<bool>());
}

TEST(QualityE2E, AnotherVocabularyIsRefusedByName) {
  const fs::path root = fresh_dir();
  const std::string ref = model_path("tiny", "f32"), cand = model_path("tiny-llama", "q8_0");
  const Result r = run_mtb("quality -m " + cand + " -b llamacpp --reference llamacpp:" + ref + kSmall + " --measurements " + root.string());
  EXPECT_EQ(r.exit_code, 3) << r.out;
  const auto recs = quality_records(only_quality_run(root));
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].status, mtb::Status::ok);
  EXPECT_EQ(recs[1].status, mtb::Status::failed);
  EXPECT_NE(recs[1].error.find("vocabulary differs from the reference's: 128256 tokens here, 151936 in the reference"),
            std::string::npos) << recs[1].error;
}

TEST(QualityE2E, ATextShorterThanAWindowSaysSo) {
  const fs::path root = fresh_dir();
  const fs::path text = root / "short.txt";
  std::ofstream(text) << "A sentence or two of text. Far fewer tokens than a window holds.";
  const Result r = run_mtb("quality -m tiny -b llamacpp -t q8_0 --ctx 64 --cooldown 0 --no-report --prompt-file " + text.string() +
                           " --measurements " + root.string());
  EXPECT_EQ(r.exit_code, 3) << r.out;
  // Every case says why in the same words: the reference and the candidate read the same text.
  const auto recs = quality_records(only_quality_run(root));
  ASSERT_EQ(recs.size(), 2u);
  for (const auto& rec : recs) EXPECT_NE(rec.error.find("gives 15 tokens with this model's tokenizer, fewer than one window of --ctx 64"),
                                         std::string::npos) << rec.error;
}

TEST(QualityE2E, AReferenceThatDoesNotFitIsRefusedBeforeAnythingRuns) {
  if (mtb::available_host_memory() > 70'000'000'000ull) GTEST_SKIP() << "this machine holds a 14B model at f32";
  const fs::path root = fresh_dir();
  const Result r = run_mtb("quality -m qwen-3-14b-it --reference llamacpp:f32 --measurements " + root.string());
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("the reference qwen-3-14b-it (llamacpp cpu f32) needs"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("free on cpu"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(root / "llm_quality")) << "nothing may run";
}

TEST(QualityE2E, OptionsAreCheckedBeforeAnythingRuns) {
  const fs::path root = fresh_dir();
  for (const char* bad : {"--ctx 8", "--chunks 0", "--max-kld nan", "-b server", "--reference llamacpp", "-t q3_x",
                          "-m /nonexistent.gguf --reference llamacpp:/nonexistent-ref.gguf", "-m tinyy"}) {
    const Result r = run_mtb(std::string("quality ") + bad + " --measurements " + root.string());
    EXPECT_EQ(r.exit_code, 1) << bad << "\n" << r.out;
    EXPECT_NE(r.out.find("mtb: error:"), std::string::npos) << bad << "\n" << r.out;
  }
  EXPECT_FALSE(fs::exists(root / "llm_quality"));
}

TEST(QualityE2E, LlmQualityAddsAQualityRunBesideTheSpeedRun) {
  const fs::path root = fresh_dir();
  const Result r = run_mtb("llm -b llamacpp -m tiny -t q8_0,q4_0 -p 16 -n 4 -r 1 --warmup 0 --cooldown 0 --quality --measurements " +
                           root.string() + " --report " + (root / "site").string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const fs::path speed = only_run(root), quality = only_quality_run(root);
  EXPECT_EQ(records(speed).size(), 2u);
  const auto recs = quality_records(quality);
  ASSERT_EQ(recs.size(), 3u);  // the reference, q8_0, q4_0
  for (const auto& rec : recs) EXPECT_EQ(rec.status, mtb::Status::ok) << rec.error;
  EXPECT_EQ(read_json(quality / "settings.json")["speed_run"], fs::absolute(speed).string());
  EXPECT_TRUE(fs::exists(root / "site" / "index.html"));
}
