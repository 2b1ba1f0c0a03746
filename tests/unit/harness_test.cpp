// The harness on a fake clock, with a scripted backend: every figure it records is the script's,
// exactly; --ci-stop ends a steady case after the minimum repetitions and never cuts a noisy one short.
#include <gtest/gtest.h>

#include <algorithm>

#include "llm/harness.h"

namespace mtb {
namespace {

// Time that passes only when the scripted backend says so.
class FakeClock final : public Clock {
 public:
  double now_s() const override { return t_; }
  void advance(double s) { t_ += s; }

 private:
  double t_ = 1000;
};

FakeClock g_clock;

// A session whose prompt pass takes 20 ms and each decode step 20 ms (steady); noisy: the steps of
// every other repetition take 5 ms (the interval then dwarfs the median, far outside the ±50% band
// asked for below); noisy_prompt: every other prompt pass takes 1 ms.
class ScriptedSession final : public LlmSession {
 public:
  ScriptedSession(bool noisy, bool noisy_prompt, int* reshapes, int* live)
      : noisy_(noisy), noisy_prompt_(noisy_prompt), reshapes_(reshapes), live_(live) {
    ++*live_;
  }
  ~ScriptedSession() override { --*live_; }
  void reset() override {}
  bool reshape(const LoadRequest&) override {
    ++*reshapes_;
    peak_ = kReshapePeak;  // a new cache made beside the old one, say
    return true;
  }
  std::vector<Token> prefill(const TokenRows& rows) override {
    ++reps_;  // one prefill per repetition (no depth)
    peak_ = std::max(peak_, kInferencePeak);
    g_clock.advance(!noisy_prompt_ || reps_ % 2 == 0 ? kPromptS : 0.001);
    return std::vector<Token>(rows.size(), 1);
  }
  std::vector<Token> step(std::span<const Token> last) override {
    g_clock.advance(!noisy_ || reps_ % 2 == 0 ? kStepS : 0.005);
    return std::vector<Token>(last.begin(), last.end());
  }
  std::vector<float> logits_last(int) override { return {}; }
  ModelFacts facts() const override { return {}; }
  uint64_t device_peak_bytes() const override { return peak_; }
  void restart_memory_peak() override { peak_ = kHeld; }

  static constexpr double kPromptS = 0.020, kStepS = 0.020, kLoadS = 0.5;
  // Device bytes: held once loaded, the peak of loading (weights decoded through temporaries), of a
  // reshape, and of inference.
  static constexpr uint64_t kHeld = 100, kLoadPeak = 1000, kReshapePeak = 500, kInferencePeak = 200;

 private:
  bool noisy_, noisy_prompt_;
  int* reshapes_;
  int* live_;
  int reps_ = 0;
  uint64_t peak_ = kLoadPeak;
};

class ScriptedBackend final : public LlmBackend {
 public:
  explicit ScriptedBackend(bool noisy, bool noisy_prompt = false) : noisy_(noisy), noisy_prompt_(noisy_prompt) {}
  std::string name() const override { return "scripted"; }
  std::string version() const override { return "1"; }
  std::vector<DeviceInfo> devices() const override { return {}; }
  Support supports(const LoadRequest&) const override { return Support::yes(); }
  std::unique_ptr<LlmSession> load(const LoadRequest&) override {
    ++loads;
    most_live_at_load = std::max(most_live_at_load, live);
    g_clock.advance(ScriptedSession::kLoadS);
    return std::make_unique<ScriptedSession>(noisy_, noisy_prompt_, &reshapes, &live);
  }
  int loads = 0, reshapes = 0, live = 0, most_live_at_load = 0;

 private:
  bool noisy_, noisy_prompt_;
};

CaseInput scripted_case(double ci_stop) {
  CaseInput in;
  in.spec.model = "scripted";
  in.spec.backend = "scripted";
  in.spec.device = "cpu";
  in.spec.n_prompt = 4;
  in.spec.n_gen = 3;
  in.spec.reps = 12;
  in.spec.warmup = 0;
  in.spec.ci_stop = ci_stop;
  in.vocab = {1, 2, 3};
  return in;
}

const HarnessEnv kFake{&g_clock, nullptr};

Record run(bool noisy, double ci_stop) {
  ScriptedBackend backend(noisy);
  return run_case(backend, scripted_case(ci_stop), {}, nullptr, kFake);
}

TEST(Harness, FiguresAreTheClocksExactly) {
  const Record r = run(false, 0);
  ASSERT_EQ(r.status, Status::ok) << r.error;
  EXPECT_DOUBLE_EQ(r.load_s, ScriptedSession::kLoadS);
  ASSERT_EQ(r.prompt_s.size(), 12u);
  for (double s : r.prompt_s) EXPECT_NEAR(s, ScriptedSession::kPromptS, 1e-9);
  for (double s : r.gen_s) EXPECT_NEAR(s, 3 * ScriptedSession::kStepS, 1e-9);  // n_gen 3 steps after the first token
  EXPECT_NEAR(r.prompt_tps.median, 4 / ScriptedSession::kPromptS, 1e-6);    // 200 t/s
  EXPECT_NEAR(r.gen_tps.mean, 3 / (3 * ScriptedSession::kStepS), 1e-6);     // 50 t/s
  EXPECT_NEAR(r.gen_tps.stddev, 0, 1e-6);
  EXPECT_NEAR(r.ttft_s.median, ScriptedSession::kPromptS, 1e-9);
  // The wall time: the load and 12 repetitions of a 20 ms prompt and three 20 ms steps.
  EXPECT_NEAR(r.wall_s, ScriptedSession::kLoadS + 12 * 0.080, 1e-9);
}

TEST(Harness, CiStopEndsASteadyCaseAtTheMinimum) {
  const Record r = run(false, 0.02);
  ASSERT_EQ(r.status, Status::ok) << r.error;
  EXPECT_EQ(r.gen_s.size(), size_t(kMinRepsForStop));
  EXPECT_EQ(r.prompt_s.size(), size_t(kMinRepsForStop));
  EXPECT_EQ(r.extra["repetitions"]["done"], kMinRepsForStop);
}

TEST(Harness, AnInjectedStoppingRuleDecides) {
  struct AfterThree final : StoppingRule {
    std::string stop(std::span<const double> samples, double) override { return samples.size() >= 3 ? "three" : ""; }
  } rule;
  ScriptedBackend backend(/*noisy=*/true);
  const Record r = run_case(backend, scripted_case(0), {}, nullptr, {&g_clock, &rule});
  EXPECT_EQ(r.gen_s.size(), 3u);
  EXPECT_EQ(r.prompt_s.size(), 3u);
}

TEST(Harness, CiStopNeverCutsANoisyCaseShort) {
  const Record r = run(true, 0.5);
  ASSERT_EQ(r.status, Status::ok) << r.error;
  EXPECT_EQ(r.gen_s.size(), 12u);
  EXPECT_NE(r.noise_flag(), "");  // and the table says so
}

TEST(Harness, WithoutCiStopEveryRepetitionRuns) {
  const Record r = run(false, 0);
  EXPECT_EQ(r.gen_s.size(), 12u);
}

TEST(Harness, SettledGenerationLeavesFurtherRepetitionsToThePrompt) {
  ScriptedBackend backend(/*noisy=*/false, /*noisy_prompt=*/true);
  const Record r = run_case(backend, scripted_case(0.5), {}, nullptr, kFake);
  ASSERT_EQ(r.status, Status::ok) << r.error;
  EXPECT_EQ(r.gen_s.size(), size_t(kMinRepsForStop));  // generation settled at the minimum
  EXPECT_EQ(r.prompt_s.size(), 12u);  // the noisy prompt kept going
  EXPECT_EQ(r.extra["repetitions"]["gen"], r.gen_s.size());
  EXPECT_EQ(r.extra["repetitions"]["prompt"], 12);
}

TEST(Harness, CasesOfOtherLengthsReuseTheLoadedWeights) {
  ScriptedBackend backend(false);
  LoadedModel keep;
  CaseInput in = scripted_case(0);
  in.spec.reps = 1;
  const Record a = run_case(backend, in, {}, &keep, kFake);
  in.spec.n_prompt = 8;  // another length: reshaped, not reloaded
  const Record b = run_case(backend, in, {}, &keep, kFake);
  in.spec.threads = 3;  // another load setting: loaded afresh
  const Record c = run_case(backend, in, {}, &keep, kFake);
  in.model_path = "other.gguf";  // another file (the next precision's): loaded afresh
  const Record d = run_case(backend, in, {}, &keep, kFake);
  EXPECT_EQ(backend.loads, 3);
  EXPECT_EQ(backend.reshapes, 1);
  EXPECT_EQ(backend.most_live_at_load, 0) << "the old weights must be released before the new ones load";
  EXPECT_FALSE(d.extra.contains("weights_kept_from_previous_case"));
  EXPECT_FALSE(a.extra.contains("weights_kept_from_previous_case"));
  EXPECT_TRUE(b.extra.value("weights_kept_from_previous_case", false));
  EXPECT_FALSE(c.extra.contains("weights_kept_from_previous_case"));
}

TEST(Harness, PeakMemoryIsInferencesAndTheLoadsIsKeptBeside) {
  ScriptedBackend backend(false);
  LoadedModel keep;
  CaseInput in = scripted_case(0);
  in.spec.reps = 1;
  const Record loaded = run_case(backend, in, {}, &keep, kFake);
  in.spec.n_prompt = 8;
  const Record reshaped = run_case(backend, in, {}, &keep, kFake);
  ASSERT_EQ(backend.reshapes, 1);
  // The first case of a file and the next read alike: neither carries the load's or the reshape's
  // transients in its peak.
  EXPECT_EQ(loaded.peak_device_bytes, ScriptedSession::kInferencePeak);
  EXPECT_EQ(reshaped.peak_device_bytes, ScriptedSession::kInferencePeak);
  EXPECT_EQ(loaded.extra["load_peak"]["device_bytes"], ScriptedSession::kLoadPeak);
  EXPECT_GT(loaded.extra["load_peak"]["rss_bytes"].get<uint64_t>(), 0u);
  EXPECT_FALSE(reshaped.extra.contains("load_peak")) << "no load, no load peak";
}

}  // namespace
// Three lengths of up to 1e9 each sum beyond an int: the sum is taken in 64 bits, so the case is
// skipped as beyond the context before anything is loaded or drawn (it wrapped negative and ran).
TEST(Harness, LengthsBeyondAnIntAreSkippedAsBeyondTheContext) {
  ScriptedBackend backend(false);
  CaseInput in = scripted_case(0);
  in.spec.n_prompt = 1'000'000'000;
  in.spec.n_gen = 1'000'000'000;
  in.spec.n_depth = 147'483'648;
  in.n_ctx_train = 8192;
  const Record r = run_case(backend, in, {}, nullptr, kFake);
  EXPECT_EQ(r.status, Status::skipped);
  EXPECT_NE(r.error.find("= 2147483649 exceed the model's context of 8192"), std::string::npos) << r.error;
  EXPECT_EQ(backend.loads, 0);
  // A model of unknown context: the bound on a case's tokens, batch included.
  in.n_ctx_train = 0;
  in.spec.batch = 4096;
  in.spec.n_prompt = 1'000'000;
  in.spec.n_gen = in.spec.n_depth = 0;
  const Record big = run_case(backend, in, {}, nullptr, kFake);
  EXPECT_EQ(big.status, Status::skipped);
  EXPECT_NE(big.error.find("batch 4096 x"), std::string::npos) << big.error;
  EXPECT_EQ(backend.loads, 0);
}

// The pre-flight: weights + KV cache beyond the device's free memory skip the case with both
// figures, before any load; what fits runs.
TEST(Harness, ACaseBeyondFreeMemoryIsSkippedBeforeLoadingWithBothFigures) {
  ScriptedBackend backend(false);
  CaseInput in = scripted_case(0);
  in.shape.n_layer = 2, in.shape.n_head_kv = 2, in.shape.head_dim = 16;  // 256 B of KV cache a token
  in.spec.batch = 4;
  HarnessEnv env = kFake;
  env.free_memory = [](const std::string& device) { return device == "cpu" ? uint64_t(10'000) : 0; };
  const Record r = run_case(backend, in, {}, nullptr, env);  // 4 x (4 + 3 + 1) x 256 B = 8 KiB: fits
  EXPECT_EQ(r.status, Status::ok) << r.error;
  in.spec.n_prompt = 40;  // 4 x 44 x 256 B = 44 KiB
  const Record big = run_case(backend, in, {}, nullptr, env);
  EXPECT_EQ(big.status, Status::skipped);
  EXPECT_EQ(big.error, "needs 44 KiB (weights 0 KiB + KV cache 44 KiB), more than the 10 KiB free on the cpu now: "
                       "skipped before loading");
  EXPECT_EQ(backend.loads, 1);  // the first case's only
  env.free_memory = [](const std::string&) { return uint64_t(0); };  // unknown: no check
  EXPECT_EQ(run_case(backend, in, {}, nullptr, env).status, Status::ok);
}

// A case during which the machine swapped carries the bytes and a flag in its status; one during
// which it did not carries 0; unknown (not Linux): no field at all.
TEST(Harness, ACaseDuringWhichTheMachineSwappedIsFlagged) {
  ScriptedBackend backend(false);
  HarnessEnv env = kFake;
  uint64_t counter = 1 << 20;
  env.swapped_so_far = [&counter] { return std::optional<uint64_t>(counter += 3 << 20); };
  const Record r = run_case(backend, scripted_case(0), {}, nullptr, env);
  ASSERT_TRUE(r.swapped_bytes.has_value());
  EXPECT_EQ(*r.swapped_bytes, 3u << 20);
  EXPECT_EQ(r.swap_flag(), "swapped 3.0 MiB");
  const nlohmann::json j = r;
  EXPECT_EQ(j.at("swapped_bytes"), 3u << 20);
  EXPECT_EQ(j.get<Record>().swapped_bytes, r.swapped_bytes);
  EXPECT_NE(record_fields().console({r}).find("ok, swapped 3.0 MiB"), std::string::npos) << record_fields().console({r});

  env.swapped_so_far = [] { return std::optional<uint64_t>(5); };
  EXPECT_EQ(run_case(backend, scripted_case(0), {}, nullptr, env).swapped_bytes, std::optional<uint64_t>(0));
  env.swapped_so_far = [] { return std::optional<uint64_t>(); };
  const Record unknown = run_case(backend, scripted_case(0), {}, nullptr, env);
  EXPECT_FALSE(unknown.swapped_bytes.has_value());
  EXPECT_FALSE(nlohmann::json(unknown).contains("swapped_bytes"));
}

}  // namespace mtb
