#include "core/stats.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <numeric>
#include <vector>

namespace mtb {

double t95(int dof) {
  // Table for small samples (benchmarks rarely exceed 30 repetitions), normal beyond.
  static constexpr double kT[] = {0,     12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                                  2.201, 2.179,  2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                                  2.080, 2.074,  2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};
  if (dof <= 0) return 0;
  if (dof <= 30) return kT[dof];
  if (dof <= 60) return 2.000;
  if (dof <= 120) return 1.980;
  return 1.960;
}

Summary summarize(std::span<const double> samples) {
  Summary s;
  s.n = static_cast<int>(samples.size());
  if (s.n == 0) return s;
  std::vector<double> v(samples.begin(), samples.end());
  std::sort(v.begin(), v.end());
  s.min = v.front();
  s.max = v.back();
  s.median = s.n % 2 ? v[s.n / 2] : (v[s.n / 2 - 1] + v[s.n / 2]) / 2;
  s.mean = std::accumulate(v.begin(), v.end(), 0.0) / s.n;
  if (s.n > 1) {
    double ss = 0;
    for (double x : v) ss += (x - s.mean) * (x - s.mean);
    s.stddev = std::sqrt(ss / (s.n - 1));
  }
  const double half = s.n > 1 ? t95(s.n - 1) * s.stddev / std::sqrt(double(s.n)) : 0;
  s.ci95_lo = s.mean - half;
  s.ci95_hi = s.mean + half;
  return s;
}

Interval median_ci95(std::span<const double> samples) {
  if (samples.empty()) return {};
  std::vector<double> v(samples.begin(), samples.end());
  std::sort(v.begin(), v.end());
  const double n = double(v.size()), half = 0.98 * std::sqrt(n);
  const auto lo = static_cast<size_t>(std::max(0.0, std::floor(n / 2 - half)));
  const auto hi = static_cast<size_t>(std::min(n - 1, std::ceil(n / 2 + half)));
  return {v[lo], v[hi]};
}

bool median_precise(std::span<const double> samples, double rel, int min_n) {
  const int n = static_cast<int>(samples.size());
  if (n < std::max(min_n, 2) || rel <= 0) return false;
  const Summary s = summarize(samples);
  const Interval ci = n >= kDistributionFreeMinN ? median_ci95(samples) : Interval{s.ci95_lo, s.ci95_hi};
  return (ci.hi - ci.lo) / 2 <= rel * s.median;
}

WelchTest welch_t_test(std::span<const double> a, std::span<const double> b) {
  WelchTest w;
  if (a.size() < 2 || b.size() < 2) return w;
  const Summary sa = summarize(a), sb = summarize(b);
  const double va = sa.stddev * sa.stddev / sa.n, vb = sb.stddev * sb.stddev / sb.n;
  w.valid = true;
  if (va + vb == 0) {  // no spread on either side: any difference is beyond it
    w.significant = sa.mean != sb.mean;
    w.t = w.significant ? HUGE_VAL : 0;
    return w;
  }
  w.t = (sa.mean - sb.mean) / std::sqrt(va + vb);
  w.dof = (va + vb) * (va + vb) / (va * va / (sa.n - 1) + vb * vb / (sb.n - 1));
  w.significant = std::fabs(w.t) > t95(std::max(1, static_cast<int>(std::floor(w.dof))));
  return w;
}

}  // namespace mtb
