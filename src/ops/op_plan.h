// The `mtb ops` plan: every axis a list, the plan their cartesian product, with each op taking only
// the axes it has (heads and mask for attention, quant for matmul_quant), expanded once, printed
// before it runs.
#pragma once
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ops/op_record.h"

namespace mtb::ops {

struct OpAxes {
  std::vector<std::string> ops, backends, devices, dtypes, masks, quants;
  std::vector<int> batch, seq, feature, heads, threads;
  OpCase timing;  // seed, warm-up, min reps, target interval, time cap, timeout (its axes unused)
};

// Backends' compiled variants on a device (beyond "eager"); whether a backend implements a quant
// format at all (one its build lacks is still planned, and recorded as a skip with the reason).
struct PlanHooks {
  std::function<std::vector<std::string>(const std::string& backend, const std::string& device)> variants;
  std::function<bool(const std::string& backend, const std::string& quant)> has_quant;
};

// Order: op, dtype, quant, heads, mask, batch, seq, feature outermost; device, backend, variant
// innermost, so the backends of one shape run back to back and share its reference. A quant format
// is planned only for the backends that implement it (ggml: q8_0, q4_0; torch: int8).
std::vector<OpCase> expand(const OpAxes& axes, const PlanHooks& hooks);

// Checks names and values; throws with the bad item named.
void validate(const OpAxes& axes);

std::string describe_plan(const OpAxes& axes, size_t n_cases);

nlohmann::json to_json(const OpAxes& a);
OpAxes axes_from_json(const nlohmann::json& j);

}  // namespace mtb::ops
