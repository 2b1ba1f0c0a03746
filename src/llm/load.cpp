#include "llm/load.h"

#include <algorithm>
#include <cmath>

#include "core/rng.h"

namespace mtb {
namespace {

constexpr uint64_t kLoadStream = 11;  // prompts of load requests: apart from the other token streams

// A standard normal from two uniforms (Box-Muller).
double normal(SplitMix64& r) { return std::sqrt(-2 * std::log(r.uniform())) * std::cos(6.283185307179586 * r.uniform()); }

// A gamma draw of shape k and scale 1 (Marsaglia and Tsang; shape below 1 through k + 1), from
// mtb's own generator so a seed gives the same arrivals on every platform.
double gamma(SplitMix64& r, double k) {
  if (k < 1) return gamma(r, k + 1) * std::pow(r.uniform(), 1 / k);
  const double d = k - 1.0 / 3, c = 1 / std::sqrt(9 * d);
  while (true) {
    double x, v;
    do {
      x = normal(r);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const double u = r.uniform();
    if (std::log(u) < 0.5 * x * x + d - d * v + d * std::log(v)) return d * v;
  }
}

Percentiles percentiles_ms(std::vector<double> seconds) {
  Percentiles p;
  if (seconds.empty()) return p;
  std::sort(seconds.begin(), seconds.end());
  // Linear interpolation between order statistics, as numpy.percentile (what vllm reports).
  auto at = [&](double q) {
    const double pos = q * double(seconds.size() - 1);
    const size_t lo = static_cast<size_t>(std::floor(pos));
    const size_t hi = std::min(lo + 1, seconds.size() - 1);
    return 1e3 * (seconds[lo] + (pos - double(lo)) * (seconds[hi] - seconds[lo]));
  };
  p.n = static_cast<int>(seconds.size());
  double sum = 0;
  for (double s : seconds) sum += s;
  p.mean = 1e3 * sum / double(seconds.size());
  p.median = at(0.5);
  p.p90 = at(0.9);
  p.p99 = at(0.99);
  return p;
}

}  // namespace

int requests_to_plan(const LoadSettings& s) {
  if (s.num_requests > 0) return s.num_requests;
  if (s.duration_s <= 0) return std::max(16, 4 * s.concurrency);  // enough for a p90 of every stream
  if (s.request_rate > 0) return std::max(1, static_cast<int>(std::ceil(s.request_rate * s.duration_s)));
  return std::max(1, s.concurrency) * std::max(1, static_cast<int>(std::ceil(s.duration_s / 0.1)));
}

std::vector<PlannedRequest> plan_requests(const LoadSettings& s, int n, int n_prompt, uint64_t seed,
                                          const std::vector<Token>& vocab) {
  const int shared = std::clamp(s.shared_prefix, 0, n_prompt);
  const TokenRows prefix = seeded_tokens(seed, kLoadStream, 1, shared, vocab);
  const TokenRows rest = seeded_tokens(mix_seed(seed, kLoadStream), kLoadStream, n, n_prompt - shared, vocab);
  SplitMix64 arrivals(mix_seed(seed, kLoadStream, 1));
  std::vector<PlannedRequest> out(static_cast<size_t>(n));
  double t = 0;
  for (int i = 0; i < n; ++i) {
    auto& p = out[static_cast<size_t>(i)];
    p.prompt = prefix[0];
    p.prompt.insert(p.prompt.end(), rest[static_cast<size_t>(i)].begin(), rest[static_cast<size_t>(i)].end());
    if (s.request_rate > 0) {
      // Gaps of mean 1/rate: gamma(shape b) / (rate b). b = 1 is the exponential (Poisson arrivals).
      if (i > 0) t += gamma(arrivals, s.burstiness) / (s.request_rate * s.burstiness);
      p.at_s = t;
    }
  }
  return out;
}

LoadMetrics load_metrics(const std::vector<RequestRow>& rows, const LoadSettings& s) {
  LoadMetrics m;
  std::vector<double> ttft, tpot, itl, e2e;
  double first = 0, last = 0;
  long prompt_tokens = 0, output_tokens = 0;
  int good = 0;
  bool any = false;
  for (const auto& r : rows) {
    if (!any || r.send_s < first) first = r.send_s;
    if (!any || r.end_s > last) last = r.end_s;
    any = true;
    if (!r.error.empty()) {
      ++m.failed;
      m.failures[r.error] = m.failures.value(r.error, 0) + 1;
      continue;
    }
    ++m.completed;
    prompt_tokens += r.prompt_tokens;
    output_tokens += r.output_tokens;
    const double t_first = r.first_token_s - r.send_s, t_e2e = r.end_s - r.send_s;
    ttft.push_back(t_first);
    e2e.push_back(t_e2e);
    double t_tpot = 0;
    if (r.output_tokens > 1) {
      t_tpot = (t_e2e - t_first) / (r.output_tokens - 1);
      tpot.push_back(t_tpot);
    }
    for (size_t i = 1; i < r.token_s.size(); ++i) itl.push_back(r.token_s[i] - r.token_s[i - 1]);
    const bool ttft_ok = s.slo_ttft_ms <= 0 || 1e3 * t_first <= s.slo_ttft_ms;
    const bool tpot_ok = s.slo_tpot_ms <= 0 || 1e3 * t_tpot <= s.slo_tpot_ms;
    good += ttft_ok && tpot_ok;
  }
  m.duration_s = any ? last - first : 0;
  if (m.duration_s > 0) {
    m.request_throughput = m.completed / m.duration_s;
    m.output_throughput = double(output_tokens) / m.duration_s;
    m.total_throughput = double(prompt_tokens + output_tokens) / m.duration_s;
    m.goodput = good / m.duration_s;
  }
  m.ttft_ms = percentiles_ms(ttft);
  m.tpot_ms = percentiles_ms(tpot);
  m.itl_ms = percentiles_ms(itl);
  m.e2e_ms = percentiles_ms(e2e);
  return m;
}

}  // namespace mtb
