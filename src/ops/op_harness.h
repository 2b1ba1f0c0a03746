// Runs one `mtb ops` case against a backend: seeded inputs, prepare, verify against the float64
// reference, warm-up, timed repetitions until the interval is tight or the time cap, roofline.
// Reads the clock around op work (through core/clock.h); the derived figures are op_derived.h's.
#pragma once
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "ops/op_backend.h"
#include "core/calibration.h"
#include "core/clock.h"
#include "core/stopping_rule.h"
#include "ops/op_record.h"

namespace mtb::ops {

struct OpContext {
  std::optional<Calibration> calibration;  // this device's ceilings (`mtb info --calibrate`)
  std::filesystem::path reference_cache;   // folder caching references across cases; empty: no cache
  int max_slots = 16;                      // input copies at most (OpCase::rotate_mb)
  const Clock* clock = &steady_clock();
  StoppingRule* stopping = nullptr;        // null: the case's (ConvergedOrCapped from its timing settings)
};

// Never throws for a case's own trouble: it comes back as a failed or skipped record.
OpRecord run_op_case(OpBackend& backend, const OpCase& c, const OpContext& ctx,
                     const std::function<void(const std::string&)>& progress = {});

// The reference of a case's batch element 0, from `ctx.reference_cache` when there, else computed
// (and cached). Effective inputs (quantized weights as used) bypass the cache.
std::vector<double> case_reference(const OpCase& c, const std::vector<HostTensor>& inputs, const OpContext& ctx,
                                   bool cacheable);

}  // namespace mtb::ops
