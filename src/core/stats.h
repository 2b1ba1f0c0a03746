// Summary statistics of repeated timings: the one place where spread and intervals are computed.
#pragma once
#include <nlohmann/json.hpp>
#include <span>

#include "core/json_number.h"

namespace mtb {

struct Summary {
  int n = 0;
  double median = 0, mean = 0, stddev = 0, min = 0, max = 0;
  double ci95_lo = 0, ci95_hi = 0;  // Student-t interval of the mean
  double cv() const { return mean != 0 ? stddev / mean : 0; }
  // Half-width of the 95% interval relative to the median: what adaptive stopping compares.
  double rel_ci95() const { return median != 0 ? (ci95_hi - ci95_lo) / 2 / median : 0; }
};

Summary summarize(std::span<const double> samples);

// Distribution-free 95% interval of the median: order statistics at n/2 -+ 0.98 sqrt(n) (the binomial's
// normal approximation). Unlike the t-interval of the mean it is not blown up by the few slow outliers
// a busy machine adds, and it is about the figure reported (the median). Empty samples: {0, 0}.
struct Interval {
  double lo = 0, hi = 0;
};
Interval median_ci95(std::span<const double> samples);
// Below 6 samples, no such interval exists: the range [min, max], which median_ci95 then returns,
// holds the median with probability 1 - 2^(1-n) only (75% at 3, 94% at 5).
inline constexpr int kDistributionFreeMinN = 6;
// The one stopping rule of `mtb llm --ci-stop` and `mtb ops`: at least `min_n` samples and a 95%
// interval within ±`rel` of the median: the median's (above) from kDistributionFreeMinN samples on;
// below, the Student-t interval of the mean, which assumes normal noise but is a true 95% (at 2
// samples it is ±6.4 times their difference, so a stop there needs them within 0.31% for a 2% target).
// A slow outlier widens the t-interval, so it never stops a run early.
bool median_precise(std::span<const double> samples, double rel, int min_n);
// Two-sided 95% Student-t quantile for `dof` degrees of freedom.
double t95(int dof);

// Welch's t-test of two independent samples with unequal variances: whether their means differ at the
// two-sided 5% level. Needs two or more values on each side; dof is Welch-Satterthwaite's, floored so
// the critical value is conservative.
struct WelchTest {
  bool valid = false;  // false: fewer than two values on a side
  double t = 0, dof = 0;
  bool significant = false;
};
WelchTest welch_t_test(std::span<const double> a, std::span<const double> b);

MTB_JSON_TYPE_WITH_DEFAULT(Summary, n, median, mean, stddev, min, max, ci95_lo, ci95_hi)
// As a pair [lo, hi].
inline void to_json(nlohmann::json& j, const Interval& i) { j = {i.lo, i.hi}; }
inline void from_json(const nlohmann::json& j, Interval& i) {
  i.lo = j.at(0).get<double>();
  i.hi = j.at(1).get<double>();
}

}  // namespace mtb
