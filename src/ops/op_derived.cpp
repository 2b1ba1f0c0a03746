#include "ops/op_derived.h"

#include <fmt/format.h>

#include <algorithm>

namespace mtb::ops {

void derive_op_numbers(OpRecord& r, const std::optional<Calibration>& cal) {
  const Op op = op_from_name(r.spec.op);
  const OpShape s = r.spec.shape();
  r.flops = op_flops(op, s);
  r.min_bytes = op_min_bytes(op, s, dtype_bytes(r.spec.dtype));
  r.ms = summarize(r.samples_ms);
  r.median_ci = median_ci95(r.samples_ms);
  if (r.ms.n == 0 || r.ms.median <= 0) return;
  const double sec = r.ms.median / 1e3;
  r.gflops = r.flops / sec / 1e9;
  r.gbs = r.min_bytes / sec / 1e9;
  if (!cal) return;
  r.calibration = fmt::format("{} ({}; {:.1f} GB/s, {:.3f} TFLOP/s, measured {})", cal->description, cal->matmul_desc,
                              cal->bandwidth_gbs, cal->matmul_tflops, cal->measured_at);
  if (cal->matmul_tflops > 0) r.pct_flops = 100 * r.gflops / (cal->matmul_tflops * 1e3);
  if (cal->bandwidth_gbs > 0) r.pct_bw = 100 * r.gbs / cal->bandwidth_gbs;
  // Attainable = min(peak, intensity x bandwidth), so achieved/attainable is the larger share.
  r.roofline_pct = std::max(r.pct_flops, r.pct_bw);
}

}  // namespace mtb::ops
