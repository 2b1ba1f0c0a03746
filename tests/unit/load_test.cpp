// Serving load's metrics on hand-made timelines (vllm bench serve's definitions) and its request plan.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "llm/load.h"

using namespace mtb;

namespace {

// A request sent at `send`, its first token `ttft` later, then `n - 1` more `gap` apart.
RequestRow row(double send, double ttft, int n, double gap) {
  RequestRow r;
  r.send_s = send;
  r.prompt_tokens = 16;
  r.first_token_s = send + ttft;
  for (int i = 0; i < n; ++i) r.token_s.push_back(r.first_token_s + i * gap);
  r.output_tokens = n;
  r.end_s = r.token_s.back();
  return r;
}

}  // namespace

TEST(Load, MetricsAreVllmsOnExactTimelines) {
  std::vector<RequestRow> rows{row(0.0, 0.100, 5, 0.010), row(0.0, 0.200, 5, 0.020), row(0.5, 0.100, 1, 0)};
  RequestRow failed;
  failed.send_s = 0.2;
  failed.end_s = 0.3;
  failed.error = "HTTP 429";
  rows.push_back(failed);
  LoadSettings s;
  s.concurrency = 2;
  s.slo_ttft_ms = 150;
  const LoadMetrics m = load_metrics(rows, s);
  EXPECT_EQ(m.completed, 3);
  EXPECT_EQ(m.failed, 1);
  EXPECT_EQ(m.failures, nlohmann::json({{"HTTP 429", 1}}));
  EXPECT_DOUBLE_EQ(m.duration_s, 0.6);  // the first send (0) to the last end (0.6)
  EXPECT_NEAR(m.output_throughput, 11 / 0.6, 1e-9);
  EXPECT_NEAR(m.total_throughput, (11 + 48) / 0.6, 1e-9);
  EXPECT_NEAR(m.request_throughput, 3 / 0.6, 1e-9);
  EXPECT_NEAR(m.goodput, 2 / 0.6, 1e-9);  // the 200 ms TTFT misses the 150 ms SLO
  EXPECT_EQ(m.ttft_ms.n, 3);
  EXPECT_NEAR(m.ttft_ms.median, 100, 1e-9);
  EXPECT_NEAR(m.ttft_ms.mean, 400.0 / 3, 1e-9);
  EXPECT_NEAR(m.ttft_ms.p90, 180, 1e-9);  // numpy's linear interpolation: 100 + 0.8 x 100
  EXPECT_EQ(m.tpot_ms.n, 2);               // a one-token request has no TPOT
  EXPECT_NEAR(m.tpot_ms.median, 15, 1e-9);
  EXPECT_EQ(m.itl_ms.n, 8);                // every gap of every request
  EXPECT_NEAR(m.itl_ms.median, 15, 1e-9);
  EXPECT_NEAR(m.e2e_ms.median, 140, 1e-9);
}

TEST(Load, PromptsAreDistinctButTheSharedPrefix) {
  std::vector<Token> vocab;
  for (int i = 0; i < 1000; ++i) vocab.push_back(i);
  LoadSettings s;
  s.concurrency = 4;
  s.shared_prefix = 8;
  const auto plan = plan_requests(s, 16, 32, 42, vocab);
  ASSERT_EQ(plan.size(), 16u);
  std::set<std::vector<Token>> distinct;
  for (const auto& p : plan) {
    ASSERT_EQ(p.prompt.size(), 32u);
    EXPECT_TRUE(std::equal(p.prompt.begin(), p.prompt.begin() + 8, plan[0].prompt.begin()));
    distinct.insert(p.prompt);
    EXPECT_EQ(p.at_s, 0);  // a closed loop has no schedule
  }
  EXPECT_EQ(distinct.size(), 16u);
  EXPECT_EQ(plan_requests(s, 16, 32, 42, vocab)[5].prompt, plan[5].prompt);  // seeded
}

TEST(Load, ArrivalsHaveTheRateAndTheBurstinessAskedFor) {
  const std::vector<Token> vocab{1, 2, 3};
  auto gaps = [&](double burstiness) {
    LoadSettings s;
    s.request_rate = 10;
    s.burstiness = burstiness;
    const auto plan = plan_requests(s, 4001, 1, 7, vocab);
    std::vector<double> g;
    for (size_t i = 1; i < plan.size(); ++i) g.push_back(plan[i].at_s - plan[i - 1].at_s);
    double mean = 0, var = 0;
    for (double x : g) mean += x / g.size();
    for (double x : g) var += (x - mean) * (x - mean) / (g.size() - 1);
    return std::pair{mean, std::sqrt(var) / mean};
  };
  const auto [poisson_mean, poisson_cv] = gaps(1);
  EXPECT_NEAR(poisson_mean, 0.1, 0.005);  // 4000 gaps: the mean within ~3 standard errors
  EXPECT_NEAR(poisson_cv, 1.0, 0.05);     // exponential gaps: cv 1
  const auto [bursty_mean, bursty_cv] = gaps(0.25);
  EXPECT_NEAR(bursty_mean, 0.1, 0.01);
  EXPECT_NEAR(bursty_cv, 2.0, 0.15);  // gamma of shape k: cv 1/sqrt(k)
}

TEST(Load, HowManyRequestsACaseSends) {
  LoadSettings s;
  s.concurrency = 8;
  EXPECT_EQ(requests_to_plan(s), 32);
  s.num_requests = 5;
  EXPECT_EQ(requests_to_plan(s), 5);
  s.num_requests = 0;
  s.request_rate = 4;
  s.duration_s = 10;
  EXPECT_EQ(requests_to_plan(s), 40);
}
