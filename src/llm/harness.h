// Runs one LLM case against a backend and measures it: load, warm-up, timed repetitions. Reads the
// clock around backend work (through core/clock.h) and leaves every derived figure to llm/derived.h.
#pragma once
#include <functional>
#include <optional>
#include <span>
#include <string>

#include "core/calibration.h"
#include "core/clock.h"
#include "core/stopping_rule.h"
#include "llm/backend.h"
#include "llm/record.h"
#include "models/model_shape.h"

namespace mtb {

// The most tokens one case may hold, all its sequences together (2^31: 8 GiB of token ids alone).
inline constexpr int64_t kMaxCaseTokens = int64_t(1) << 31;

// A case's tokens a sequence (depth + prompt + generated + 1), in 64 bits: three options of up to
// 1e9 each overflow an int.
int64_t case_context(const CaseSpec& c);
// Why the case cannot run at all (beyond the model's context, 0: unknown, or more than
// kMaxCaseTokens in all), or "": checked before any token is drawn.
std::string beyond_context(const CaseSpec& c, int n_ctx_train);

struct CaseInput {
  CaseSpec spec;
  std::string model_path;
  std::vector<Token> vocab;  // ordinary text tokens of the model: prompts are drawn from these
  int n_ctx_train = 0;       // the model's trained context (0: unknown)
  TokenRows text_prompt;     // when the prompt is real text: the rows to use instead of seeded ids
  ModelShape shape;          // for the roofline
  std::optional<Calibration> calibration;  // this device's measured ceilings, when calibrated
  nlohmann::json backend_options = nlohmann::json::object();  // see LoadRequest::backend_options
};

// A model kept loaded between the cases of one worker. A case whose LoadRequest differs from the
// kept one's only in its lengths (n_ctx, n_gen) reuses the weights (LlmSession::reshape) instead of
// loading them again: a sweep over prompt lengths loads each model once.
struct LoadedModel {
  std::unique_ptr<LlmSession> session;
  LoadRequest loaded_with;
};

// What the harness measures with: the clock, when prompt and generation stop repeating, and what it
// reads of the machine (the tests script them; empty: the machine's own).
struct HarnessEnv {
  const Clock* clock = &steady_clock();
  StoppingRule* stopping = nullptr;  // null: the case's --ci-stop (MedianWithin(ci_stop, kMinRepsForStop))
  // Bytes free on a device now, for the pre-flight (0: unknown, no check); empty: the backend's
  // report for a GPU, MemAvailable for the CPU.
  std::function<uint64_t(const std::string& device)> free_memory;
  // Bytes the machine has swapped so far (nullopt: unknown); empty: /proc/vmstat.
  std::function<std::optional<uint64_t>()> swapped_so_far;
};

// What a case needs in memory before it runs: its weights (the model file; none when the kept model
// already holds them) and its KV cache (every sequence's context, 2-byte elements).
struct MemoryNeed {
  uint64_t weights = 0, kv_cache = 0;
  uint64_t total() const { return weights + kv_cache; }
};
// Why a case needing `need` cannot fit in `free` bytes of `device`, both figures said; "" when it fits
// or `free` is unknown (0).
std::string beyond_memory(const MemoryNeed& need, uint64_t free, const std::string& device);

// Throws nothing for expected failures: they come back as a failed/skipped record.
// `progress` (may be empty) hears short human lines as the case advances. `keep` (may be null): the
// worker's kept model, used and updated; null loads for this case alone.
Record run_case(LlmBackend& backend, const CaseInput& in, const std::function<void(const std::string&)>& progress,
                LoadedModel* keep = nullptr, const HarnessEnv& env = {});

}  // namespace mtb
