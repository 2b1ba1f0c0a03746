#include "ops/verify.h"

#include <fmt/format.h>

#include <cmath>

namespace mtb::ops {

Tolerance tolerance_for(Op op, const std::string& dtype, const std::string& device, const std::string& quant) {
  if (op == Op::matmul_quant) {
    if (quant == "int8" && dtype == "bfloat16")
      return {2e-2, 5e-3, "int8 weights are dequantized for the reference; activations and output are bfloat16 "
                          "(rounded to 2^-9 relative: 0.0077 worst, 0.0017 rms measured with torch 2.11)"};
    if (quant == "int8")
      return {2e-3, 5e-4, "int8 weights are dequantized for the reference; activations stay float (float32 rounding, "
                          "per-row int8 scales)"};
    if (quant == "int4")
      return {5e-2, 1.5e-2, "int4 weights are dequantized for the reference; tinygemm takes bfloat16 activations "
                            "(2^-9 relative each)"};
    return {5e-2, 1.5e-2,
            "q8_0/q4_0 weights are dequantized for the reference; ggml also quantizes the activations to q8_0 blocks "
            "(8 bits per 32 values: ~0.008 rms measured, ~0.025 at the worst of 10^5 outputs)"};
  }
  if (dtype == "bfloat16")
    return {1.5e-1, 2e-2,
            "bfloat16 keeps 8 significant bits: every stored intermediate is rounded to 2^-9 relative (torch's "
            "bf16 attention measured 0.084 worst, 0.006 rms at 256 positions)"};
  if (dtype == "float16")
    return {2e-2, 3e-3, "float16 keeps 11 significant bits: intermediates rounded to 2^-12 relative"};
  if (device != "cpu")
    return {2e-2, 4e-3,
            "float32 on a GPU: matrix products may run on tensor cores at TF32/f16 precision (ggml-cuda converts f32 "
            "operands to f16 for mul_mat: ~7e-4 rms, ~3e-3 at the worst of 10^5 outputs; through two products, as "
            "SwiGLU and attention have, 0.011 worst and 0.0026 rms measured on an H100)"};
  if (op == Op::rope)
    return {1e-3, 2e-4,
            "float32 RoPE: ggml forms each angle by repeated float32 multiplication, so the angle error grows with "
            "the position (~1e-7 x position: 5e-5 measured at 256 positions)"};
  return {1e-4, 2e-5, "float32 on the CPU: only summation order differs from the float64 reference"};
}

Verification verify(const std::vector<float>& out, const std::vector<double>& ref, const Tolerance& tol) {
  Verification v;
  v.tolerance = tol.max_rel;
  v.rms_tolerance = tol.rms_rel;
  v.tolerance_why = tol.why;
  v.compared = static_cast<int64_t>(ref.size());
  for (float x : out)
    if (!std::isfinite(x)) ++v.non_finite;
  if (out.size() < ref.size()) {
    v.ok = false;
    v.compared = static_cast<int64_t>(out.size());
    return v;
  }
  double ss = 0, se = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    ss += ref[i] * ref[i];
    const double e = std::fabs(double(out[i]) - ref[i]);
    if (std::isfinite(e)) se += e * e;
    if (std::isfinite(e) && e > v.max_abs_err) {  // non-finite values are counted above
      v.max_abs_err = e;
      v.worst_index = static_cast<int64_t>(i);
    }
  }
  v.ref_rms = ref.empty() ? 0 : std::sqrt(ss / double(ref.size()));
  const double err_rms = ref.empty() ? 0 : std::sqrt(se / double(ref.size()));
  v.rel_err = v.ref_rms > 0 ? v.max_abs_err / v.ref_rms : v.max_abs_err;
  v.rms_rel_err = v.ref_rms > 0 ? err_rms / v.ref_rms : err_rms;
  v.ok = v.non_finite == 0 && v.rel_err <= v.tolerance && v.rms_rel_err <= v.rms_tolerance;
  return v;
}

std::string Verification::message() const {
  if (compared == 0) return "no output to verify";
  if (non_finite > 0) return fmt::format("output has {} NaN/infinite values", non_finite);
  return fmt::format("max |out - ref| / rms(ref) = {:.3g} (tolerance {:.3g}), rms(out - ref) / rms(ref) = {:.3g} "
                     "(tolerance {:.3g}): {} (max abs error {:.3g} at element {}, rms(ref) {:.3g})",
                     rel_err, tolerance, rms_rel_err, rms_tolerance, ok ? "within" : "out of tolerance", max_abs_err,
                     worst_index, ref_rms);
}

}  // namespace mtb::ops
