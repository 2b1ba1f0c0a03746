// Verification: a backend's output against the float64 reference, with a tolerance that says why it
// is what it is. A case whose output fails is marked failed and is not timed.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ops/op.h"

namespace mtb::ops {

struct Tolerance {
  double max_rel = 0;  // bound on max |out - ref| / rms(ref)
  std::string why;
};

// By dtype, device and weight format: what rounding the frameworks are entitled to.
Tolerance tolerance_for(Op op, const std::string& dtype, const std::string& device, const std::string& quant);

struct Verification {
  bool ok = false;
  double max_abs_err = 0;
  double ref_rms = 0;
  double rel_err = 0;  // max_abs_err / ref_rms: the figure compared with the tolerance
  double tolerance = 0;
  std::string tolerance_why;
  int64_t compared = 0;       // elements compared with the reference (batch element 0)
  int64_t non_finite = 0;     // NaN or infinite values anywhere in the output
  int64_t worst_index = -1;   // where the largest error is (within batch element 0)
  std::string message() const;  // one line: why it failed, or the figures
};

// `out` is the whole output; its first ref.size() values are batch element 0.
Verification verify(const std::vector<float>& out, const std::vector<double>& ref, const Tolerance& tol);

void to_json(nlohmann::json& j, const Verification& v);
void from_json(const nlohmann::json& j, Verification& v);

}  // namespace mtb::ops
