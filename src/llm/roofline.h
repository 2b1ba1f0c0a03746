// How close a case came to the hardware's limits. Decode reads every weight once per step (plus the
// KV cache), so its ceiling is memory bandwidth; prefill is matrix-multiply bound. Computed here,
// once, from the record's measured rates and the model's shape.
#pragma once
#include <cstdint>
#include <optional>

#include "core/calibration.h"

namespace mtb {

struct ModelShape {
  uint64_t matmul_params = 0;  // weights that take part in matrix products per token
  int n_layer = 0, n_head = 0, n_head_kv = 0, head_dim = 0;
  // KV cache bytes per token of context (K and V, every layer, 2-byte cache elements).
  uint64_t kv_bytes_per_token() const { return 2ull * n_layer * n_head_kv * head_dim * 2; }
};

struct Roofline {
  double gen_bytes_per_token = 0;    // bytes read per decode step: weights + KV cache at the mean context
  double gen_gbs = 0;                // achieved during generation
  double gen_bw_pct = 0;             // of the calibrated bandwidth (0: not calibrated)
  double prompt_flops_per_token = 0; // matrix products + attention, per prompt token
  double prompt_tflops = 0;
  double prompt_flops_pct = 0;       // of the calibrated matmul peak
};

struct Record;
// Fills the record's roofline from its summaries; `model_bytes` is the loaded weight size.
Roofline compute_roofline(const Record& r, const ModelShape& shape, const std::optional<Calibration>& cal);

}  // namespace mtb
