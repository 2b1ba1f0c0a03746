#include "core/roofline.h"

#include "core/record.h"

namespace mtb {

Roofline compute_roofline(const Record& r, const ModelShape& m, const std::optional<Calibration>& cal) {
  Roofline f;
  const auto& c = r.spec;
  if (r.gen_tps.n > 0) {
    // One decode step serves the whole batch: weights once, each sequence's cache once.
    const double mean_ctx = c.n_depth + c.n_prompt + c.n_gen / 2.0;
    const double step_bytes = double(r.model_bytes) + double(c.batch) * double(m.kv_bytes_per_token()) * mean_ctx;
    const double steps_per_s = r.gen_tps.mean / c.batch;
    f.gen_bytes_per_token = step_bytes;
    f.gen_gbs = step_bytes * steps_per_s / 1e9;
    if (cal && cal->bandwidth_gbs > 0) f.gen_bw_pct = 100 * f.gen_gbs / cal->bandwidth_gbs;
  }
  if (r.prompt_tps.n > 0) {
    // Attention: QK^T and PV, 2 FLOPs per multiply-add each, over the mean number of keys seen.
    const double mean_keys = c.n_depth + c.n_prompt / 2.0;
    const double attn = 4.0 * m.n_layer * double(m.n_head) * m.head_dim * mean_keys;
    f.prompt_flops_per_token = 2.0 * double(m.matmul_params) + attn;
    f.prompt_tflops = f.prompt_flops_per_token * r.prompt_tps.mean / 1e12;
    if (cal && cal->matmul_tflops > 0) f.prompt_flops_pct = 100 * f.prompt_tflops / cal->matmul_tflops;
  }
  return f;
}

}  // namespace mtb
