// Every number derived from an LLM case's measured samples, in one function: the throughputs and
// their summaries, the roofline (bandwidth and FLOP rates against the device's ceilings) and the
// energy per generated token. The harness measures; this computes.
#pragma once
#include <cstdint>
#include <optional>

#include "core/calibration.h"
#include "llm/record.h"
#include "models/model_shape.h"

namespace mtb {

struct DerivationInputs {
  ModelShape shape;                        // the roofline's model dimensions (zero: no roofline)
  std::optional<Calibration> calibration;  // the device's measured ceilings, when calibrated
  uint64_t gen_energy_mj = 0;              // the GPU's energy counter over all timed generation
};

// Fills prompt_tps, gen_tps, ttft_s, roofline and the energy figures from the record's samples.
void derive_numbers(Record& r, const DerivationInputs& in = {});

// The per-repetition throughputs the summaries are of (all sequences' tokens over each sample), and a
// load case's per-request output rate (its tokens over its end-to-end time): what `mtb compare` tests.
std::vector<double> prompt_rates(const Record& r);
std::vector<double> gen_rates(const Record& r);
std::vector<double> request_rates(const Record& r);

}  // namespace mtb
