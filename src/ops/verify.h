// Verification: a backend's output against the float64 reference, with a tolerance that says why it
// is what it is. A case whose output fails is marked failed and is not timed.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ops/op.h"
#include "core/json_number.h"

namespace mtb::ops {

// Two bounds, both relative to rms(ref): the worst element (catches a local bug) and the rms of the
// error (catches a small systematic one, e.g. a missing bias, that a loose worst-case bound lets by).
struct Tolerance {
  double max_rel = 0;  // bound on max |out - ref| / rms(ref)
  double rms_rel = 0;  // bound on rms(out - ref) / rms(ref)
  std::string why;
};

// By dtype, device and weight format: what rounding the frameworks are entitled to.
Tolerance tolerance_for(Op op, const std::string& dtype, const std::string& device, const std::string& quant);

struct Verification {
  bool ok = false;
  double max_abs_err = 0;
  double ref_rms = 0;
  double rel_err = 0;  // max_abs_err / ref_rms: compared with `tolerance`
  double rms_rel_err = 0;  // rms(out - ref) / ref_rms: compared with `rms_tolerance`
  double tolerance = 0;
  double rms_tolerance = 0;
  std::string tolerance_why;
  int64_t compared = 0;       // elements compared with the reference (batch element 0)
  int64_t non_finite = 0;     // NaN or infinite values anywhere in the output
  int64_t worst_index = -1;   // where the largest error is (within batch element 0)
  std::string message() const;  // one line: why it failed, or the figures
};

// `out` is the whole output; its first ref.size() values are batch element 0.
Verification verify(const std::vector<float>& out, const std::vector<double>& ref, const Tolerance& tol);

MTB_JSON_TYPE_WITH_DEFAULT(Verification, ok, max_abs_err, ref_rms, rel_err, rms_rel_err, tolerance,
                                                rms_tolerance, tolerance_why, compared, non_finite, worst_index)

}  // namespace mtb::ops
