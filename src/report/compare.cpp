#include "report/compare.h"

#include "llm/derived.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>

namespace mtb::report {
namespace {

std::optional<MetricDiff> diff(const char* name, const Summary& sa, const Summary& sb, const std::vector<double>& xa,
                               const std::vector<double>& xb, const CompareOptions& o) {
  if (sa.n == 0 || sb.n == 0 || sa.median <= 0 || sb.median <= 0) return std::nullopt;
  MetricDiff d;
  d.metric = name;
  d.a = sa.median;
  d.b = sb.median;
  d.ratio = d.b / d.a;
  d.change_pct = (d.ratio - 1) * 100;
  const WelchTest w = welch_t_test(xa, xb);
  d.tested = w.valid;
  d.t = w.t;
  d.significant = w.valid && w.significant && std::fabs(d.change_pct) > o.threshold_pct;
  return d;
}

std::map<std::string, const Record*> index_ok(const std::vector<Record>& records) {
  std::map<std::string, const Record*> m;
  for (const Record& r : records)
    if (r.status == Status::ok) m[match_key(r.spec)] = &r;  // a resumed run may repeat a case: the last wins
  return m;
}

}  // namespace

std::string match_key(const CaseSpec& c) {
  return fmt::format("{} {} {} {} p{} n{} d{} b{}{}{}", c.model, c.backend, c.device, c.precision, c.n_prompt, c.n_gen,
                     c.n_depth, c.batch, load_label(c.load), c.gpu.label_suffix());
}

Comparison compare_records(const std::vector<Record>& a, const std::vector<Record>& b, const CompareOptions& o) {
  const auto ia = index_ok(a), ib = index_ok(b);
  Comparison c;
  for (const auto& [key, ra] : ia) {
    const auto it = ib.find(key);
    if (it == ib.end()) {
      c.only_a.push_back(ra->spec);
      continue;
    }
    const Record& rb = *it->second;
    CaseDiff cd{ra->spec, {}};
    if (auto d = diff("pp t/s", ra->prompt_tps, rb.prompt_tps, prompt_rates(*ra), prompt_rates(rb), o)) cd.metrics.push_back(*d);
    if (auto d = diff("tg t/s", ra->gen_tps, rb.gen_tps, gen_rates(*ra), gen_rates(rb), o)) cd.metrics.push_back(*d);
    // A load case: each request's output tokens over its end-to-end time, request by request.
    const std::vector<double> qa = request_rates(*ra), qb = request_rates(rb);
    if (auto d = diff("request t/s", summarize(qa), summarize(qb), qa, qb, o)) cd.metrics.push_back(*d);
    c.matched.push_back(std::move(cd));
  }
  for (const auto& [key, rb] : ib)
    if (!ia.count(key)) c.only_b.push_back(rb->spec);
  return c;
}

std::vector<std::pair<const CaseDiff*, const MetricDiff*>> regressions(const Comparison& c, double pct) {
  std::vector<std::pair<const CaseDiff*, const MetricDiff*>> out;
  for (const auto& cd : c.matched)
    for (const auto& m : cd.metrics) {
      const bool slower_beyond = m.change_pct < -pct;
      if (slower_beyond && (m.significant || !m.tested)) out.emplace_back(&cd, &m);
    }
  return out;
}

std::string format_comparison(const Comparison& c, const CompareOptions& o) {
  std::vector<std::array<std::string, 6>> rows;
  rows.push_back({"case", "metric", "A median", "B median", "B/A", "verdict"});
  int n_sig = 0;
  for (const auto& cd : c.matched)
    for (const auto& m : cd.metrics) {
      std::string verdict;
      if (!m.tested) {
        verdict = "no samples: cannot tell";
      } else if (m.significant) {
        verdict = fmt::format("{} {:+.1f}% *", m.change_pct < 0 ? "SLOWER" : "faster", m.change_pct);
        ++n_sig;
      } else {
        verdict = fmt::format("same ({:+.1f}%)", m.change_pct);
      }
      rows.push_back({match_key(cd.spec), m.metric, fmt::format("{:.2f}", m.a), fmt::format("{:.2f}", m.b),
                      fmt::format("{:.3f}", m.ratio), verdict});
    }
  std::array<size_t, 6> w{};
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i) w[i] = std::max(w[i], r[i].size());
  std::string out;
  for (size_t k = 0; k < rows.size(); ++k) {
    const auto& r = rows[k];
    out += fmt::format("{:<{}}  {:<{}}  {:>{}}  {:>{}}  {:>{}}  {}\n", r[0], w[0], r[1], w[1], r[2], w[2], r[3], w[3],
                       r[4], w[4], r[5]);
    if (k == 0) out += std::string(w[0] + w[1] + w[2] + w[3] + w[4] + w[5] + 10, '-') + "\n";
  }
  out += fmt::format(
      "\n{} matched cases, {} significant changes (* = Welch t-test p < 0.05 and |change| > {:g}%)\n",
      c.matched.size(), n_sig, o.threshold_pct);
  for (const auto& s : c.only_a) out += "only in A: " + match_key(s) + "\n";
  for (const auto& s : c.only_b) out += "only in B: " + match_key(s) + "\n";
  return out;
}

}  // namespace mtb::report
