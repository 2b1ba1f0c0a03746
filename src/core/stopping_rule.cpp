#include "core/stopping_rule.h"

#include <algorithm>

#include "core/stats.h"

namespace mtb {

std::string MedianWithin::stop(std::span<const double> samples, double) {
  return rel_ > 0 && median_precise(samples, rel_, min_n_) ? "converged" : "";
}

std::string ConvergedOrCapped::stop(std::span<const double> samples, double elapsed_s) {
  if (samples.size() >= next_check_) {
    if (median_precise(samples, rel_, min_n_)) return "converged";
    next_check_ = samples.size() + std::max<size_t>(2, samples.size() / 8);  // summaries cost O(n log n): check sparsely
  }
  if (elapsed_s >= time_cap_s_ && samples.size() >= 2) return "time cap";
  if (samples.size() >= max_n_) return "max reps";
  return "";
}

}  // namespace mtb
