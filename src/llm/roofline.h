// How close an LLM case came to the hardware's limits. Decode reads every weight once per step (plus
// the KV cache), so its ceiling is memory bandwidth; prefill is matrix-multiply bound. The figures
// are derived with the rest in llm/derived.cpp.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>

namespace mtb {

struct Roofline {
  double gen_bytes_per_token = 0;    // bytes read per decode step: weights + KV cache at the mean context
  double gen_gbs = 0;                // achieved during generation
  // Of the calibrated bandwidth: absent without a calibration (an unknown, not a zero).
  std::optional<double> gen_bw_pct;
  double prompt_flops_per_token = 0; // matrix products + attention, per prompt token
  double prompt_tflops = 0;
  std::optional<double> prompt_flops_pct;  // of the calibrated matmul peak; absent without a calibration
};

// The percentages are written only where measured. Records of earlier versions wrote 0 for "not
// calibrated" (no measured case reads 0 % of a ceiling): read back as absent.
void to_json(nlohmann::json& j, const Roofline& r);
void from_json(const nlohmann::json& j, Roofline& r);

}  // namespace mtb
