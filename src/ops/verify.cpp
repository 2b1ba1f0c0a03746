#include "ops/verify.h"

#include <fmt/format.h>

#include <cmath>

namespace mtb::ops {

Tolerance tolerance_for(Op op, const std::string& dtype, const std::string& device, const std::string& quant) {
  if (op == Op::matmul_quant) {
    if (quant == "int8")
      return {2e-3, "int8 weights are dequantized for the reference; activations stay float (float32 rounding, "
                    "per-row int8 scales)"};
    return {5e-2, "q8_0/q4_0 weights are dequantized for the reference; ggml also quantizes the activations to "
                  "q8_0 blocks (8 bits per 32 values: up to amax/254 per element, ~0.01 rms over 768 products, "
                  "~0.03 at the worst of 10^5 outputs)"};
  }
  if (dtype == "bfloat16")
    return {6e-2, "bfloat16 keeps 8 significant bits: every stored intermediate is rounded to 2^-9 relative"};
  if (dtype == "float16")
    return {1e-2, "float16 keeps 11 significant bits: intermediates rounded to 2^-12 relative"};
  if (device != "cpu")
    return {5e-3, "float32 on a GPU: matrix products may run on tensor cores at TF32/f16 precision (ggml-cuda "
                  "converts f32 operands to f16 for mul_mat)"};
  return {1e-4, "float32 on the CPU: only summation order differs from the float64 reference"};
}

Verification verify(const std::vector<float>& out, const std::vector<double>& ref, const Tolerance& tol) {
  Verification v;
  v.tolerance = tol.max_rel;
  v.tolerance_why = tol.why;
  v.compared = static_cast<int64_t>(ref.size());
  for (float x : out)
    if (!std::isfinite(x)) ++v.non_finite;
  if (out.size() < ref.size()) {
    v.ok = false;
    v.compared = static_cast<int64_t>(out.size());
    return v;
  }
  double ss = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    ss += ref[i] * ref[i];
    const double e = std::fabs(double(out[i]) - ref[i]);
    if (std::isfinite(e) && e > v.max_abs_err) {  // non-finite values are counted above
      v.max_abs_err = e;
      v.worst_index = static_cast<int64_t>(i);
    }
  }
  v.ref_rms = ref.empty() ? 0 : std::sqrt(ss / double(ref.size()));
  v.rel_err = v.ref_rms > 0 ? v.max_abs_err / v.ref_rms : v.max_abs_err;
  v.ok = v.non_finite == 0 && v.rel_err <= v.tolerance;
  return v;
}

std::string Verification::message() const {
  if (compared == 0) return "no output to verify";
  if (non_finite > 0) return fmt::format("output has {} NaN/infinite values", non_finite);
  return fmt::format("max |out - ref| / rms(ref) = {:.3g} {} tolerance {:.3g} (max abs error {:.3g} at element {}, "
                     "rms(ref) {:.3g})",
                     rel_err, ok ? "within" : "exceeds", tolerance, max_abs_err, worst_index, ref_rms);
}

void to_json(nlohmann::json& j, const Verification& v) {
  j = {{"ok", v.ok},
       {"max_abs_err", v.max_abs_err},
       {"ref_rms", v.ref_rms},
       {"rel_err", v.rel_err},
       {"tolerance", v.tolerance},
       {"tolerance_why", v.tolerance_why},
       {"compared", v.compared},
       {"non_finite", v.non_finite},
       {"worst_index", v.worst_index}};
}

void from_json(const nlohmann::json& j, Verification& v) {
  v.ok = j.value("ok", false);
  v.max_abs_err = j.value("max_abs_err", 0.0);
  v.ref_rms = j.value("ref_rms", 0.0);
  v.rel_err = j.value("rel_err", 0.0);
  v.tolerance = j.value("tolerance", 0.0);
  v.tolerance_why = j.value("tolerance_why", "");
  v.compared = j.value("compared", int64_t{0});
  v.non_finite = j.value("non_finite", int64_t{0});
  v.worst_index = j.value("worst_index", int64_t{-1});
}

}  // namespace mtb::ops
