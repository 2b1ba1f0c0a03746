// How close an LLM case came to the hardware's limits. Decode reads every weight once per step (plus
// the KV cache), so its ceiling is memory bandwidth; prefill is matrix-multiply bound. The figures
// are derived with the rest in llm/derived.cpp.
#pragma once
#include <nlohmann/json.hpp>

namespace mtb {

struct Roofline {
  double gen_bytes_per_token = 0;    // bytes read per decode step: weights + KV cache at the mean context
  double gen_gbs = 0;                // achieved during generation
  double gen_bw_pct = 0;             // of the calibrated bandwidth (0: not calibrated)
  double prompt_flops_per_token = 0; // matrix products + attention, per prompt token
  double prompt_tflops = 0;
  double prompt_flops_pct = 0;       // of the calibrated matmul peak
};

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Roofline, gen_bytes_per_token, gen_gbs, gen_bw_pct,
                                                prompt_flops_per_token, prompt_tflops, prompt_flops_pct)

}  // namespace mtb
