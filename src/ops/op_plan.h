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

// Backends' compiled variants on a device (beyond "eager"); whether a backend has a quant format.
struct PlanHooks {
  std::function<std::vector<std::string>(const std::string& backend, const std::string& device)> variants;
  std::function<bool(const std::string& backend, const std::string& quant)> has_quant;
};

// Order: op, dtype, quant, heads, mask, batch, seq, feature outermost; device, backend, variant
// innermost, so the backends of one shape run back to back and share its reference. Quant formats a
// backend lacks are left out (ggml: q8_0, q4_0; torch: int8), not planned as skips.
std::vector<OpCase> expand(const OpAxes& axes, const PlanHooks& hooks);

// Checks names and values; throws with the bad item named.
void validate(const OpAxes& axes);

std::string describe_plan(const OpAxes& axes, size_t n_cases);

nlohmann::json to_json(const OpAxes& a);
OpAxes axes_from_json(const nlohmann::json& j);

}  // namespace mtb::ops
