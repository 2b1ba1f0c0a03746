// Runs one LLM case against a backend and measures it: load, warm-up, timed repetitions.
// The only code that reads a clock around backend work.
#pragma once
#include <functional>
#include <optional>
#include <span>
#include <string>

#include "backends/backend.h"
#include "core/calibration.h"
#include "core/record.h"
#include "core/roofline.h"

namespace mtb {

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

// Throws nothing for expected failures: they come back as a failed/skipped record.
// `progress` (may be empty) hears short human lines as the case advances.
Record run_case(LlmBackend& backend, const CaseInput& in, const std::function<void(const std::string&)>& progress);

// Peak resident set of this process so far, in bytes (the worker runs one case, so it is the case's).
uint64_t peak_rss_bytes();

std::string utc_now_iso8601();

}  // namespace mtb
