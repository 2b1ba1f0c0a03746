// `mtb compare`: matches the cases of two runs and tells, per metric, whether B differs from A by more
// than the runs' noise. Significant = Welch's t-test on the per-repetition samples rejects equal means
// at the 5% level AND the change exceeds a practical threshold (machine drift between runs is larger
// than the spread within one run, so tiny but "significant" changes are not reported).
#pragma once
#include <string>
#include <vector>

#include "llm/record.h"

namespace mtb::report {

struct CompareOptions {
  double threshold_pct = 5;  // smaller changes count as noise whatever the test says
};

struct MetricDiff {
  std::string metric;       // "pp t/s", "tg t/s"
  double a = 0, b = 0;      // medians
  double ratio = 0;         // b / a
  double change_pct = 0;    // (b - a) / a * 100; negative = slower (both metrics are throughputs)
  bool tested = false;      // both sides had >= 2 samples
  bool significant = false;
  double t = 0;
};

struct CaseDiff {
  CaseSpec spec;
  std::vector<MetricDiff> metrics;
};

struct Comparison {
  std::vector<CaseDiff> matched;
  std::vector<CaseSpec> only_a, only_b;
};

// Cases match on model, backend, device, precision, n_prompt, n_gen, depth, batch, load and GPU
// placement. Failed records are left out of both sides.
Comparison compare_records(const std::vector<Record>& a, const std::vector<Record>& b, const CompareOptions& o);

// The matched case key: what compare prints and matches on.
std::string match_key(const CaseSpec& c);

// Human table of the comparison, one row per case and metric.
std::string format_comparison(const Comparison& c, const CompareOptions& o);

// Metrics that got significantly slower by more than `pct` percent; with no samples on a side (the
// ancestor's runs) a slowdown beyond `pct` counts, as there is no noise to weigh it against.
std::vector<std::pair<const CaseDiff*, const MetricDiff*>> regressions(const Comparison& c, double pct);

}  // namespace mtb::report
