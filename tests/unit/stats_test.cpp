#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <vector>

#include "core/stats.h"

using namespace mtb;

TEST(Stats, SummarizesKnownSamples) {
  const std::vector<double> v = {4, 1, 3, 2, 5};
  const Summary s = summarize(v);
  EXPECT_EQ(s.n, 5);
  EXPECT_DOUBLE_EQ(s.median, 3);
  EXPECT_DOUBLE_EQ(s.mean, 3);
  EXPECT_NEAR(s.stddev, 1.5811388, 1e-6);  // sample standard deviation
  EXPECT_DOUBLE_EQ(s.min, 1);
  EXPECT_DOUBLE_EQ(s.max, 5);
  // mean ± t(0.975, 4) * s / sqrt(5)
  EXPECT_NEAR(s.ci95_lo, 3 - 2.776 * 1.5811388 / std::sqrt(5.0), 1e-6);
  EXPECT_NEAR(s.ci95_hi, 3 + 2.776 * 1.5811388 / std::sqrt(5.0), 1e-6);
}

TEST(Stats, EvenCountMedianAveragesTheMiddle) {
  const std::vector<double> v = {10, 1, 2, 20};
  EXPECT_DOUBLE_EQ(summarize(v).median, 6);
}

TEST(Stats, SingleSampleHasNoSpread) {
  const std::vector<double> v = {7};
  const Summary s = summarize(v);
  EXPECT_EQ(s.stddev, 0);
  EXPECT_EQ(s.ci95_lo, 7);
  EXPECT_EQ(s.ci95_hi, 7);
}

TEST(Stats, EmptyIsZero) {
  EXPECT_EQ(summarize(std::vector<double>{}).n, 0);
}

TEST(Stats, TQuantileFallsTowardsNormal) {
  EXPECT_NEAR(t95(1), 12.706, 1e-3);
  EXPECT_GT(t95(5), t95(30));
  EXPECT_NEAR(t95(1000), 1.96, 1e-9);
}

TEST(Stats, JsonRoundTrip) {
  const std::vector<double> v = {1.5, 2.5, 2.0};
  const Summary s = summarize(v);
  const Summary back = nlohmann::json(s).get<Summary>();
  EXPECT_DOUBLE_EQ(back.mean, s.mean);
  EXPECT_DOUBLE_EQ(back.ci95_hi, s.ci95_hi);
  EXPECT_EQ(back.n, 3);
}

TEST(Stats, MedianIntervalIgnoresAFewOutliers) {
  std::vector<double> v(40, 1.0);
  for (int i = 0; i < 40; ++i) v[size_t(i)] = 1.0 + 0.001 * i;
  v[3] = 50;  // two slow calls from a busy machine
  v[7] = 80;
  const Interval ci = median_ci95(v);
  EXPECT_GE(ci.lo, 1.0);
  EXPECT_LE(ci.hi, 1.04);
  EXPECT_GT(summarize(v).rel_ci95(), 1.0);  // the mean's interval is swamped by them
  EXPECT_EQ(median_ci95(std::vector<double>{}).hi, 0);
  EXPECT_EQ(median_ci95(std::vector<double>{2.0}).lo, 2.0);
}

TEST(Stats, MedianPreciseNeedsTheMinimumAndATightInterval) {
  const std::vector<double> steady = {1.000, 1.002, 0.998};
  EXPECT_TRUE(median_precise(steady, 0.02, 3));
  EXPECT_FALSE(median_precise(steady, 0.02, 4));    // too few samples for the asked minimum
  EXPECT_FALSE(median_precise(steady, 0.002, 3));   // t-interval of 3: +-0.50%
  // Three within +-1% are not a 2% interval: the range's coverage is 75%, the t-interval's +-2.5%.
  EXPECT_FALSE(median_precise(std::vector<double>{1.00, 1.01, 0.99}, 0.02, 3));
  // Two samples stop only when within 0.31% of each other for a 2% target (t with 1 degree: 12.7).
  EXPECT_TRUE(median_precise(std::vector<double>{1.000, 1.003}, 0.02, 2));
  EXPECT_FALSE(median_precise(std::vector<double>{1.000, 1.004}, 0.02, 2));
  EXPECT_FALSE(median_precise(std::vector<double>{1.0, 1.3, 0.8}, 0.02, 3));
  EXPECT_FALSE(median_precise(std::vector<double>{1.0}, 0.5, 1));  // one sample has no interval
  EXPECT_FALSE(median_precise(steady, 0, 3));       // no target: never precise
  EXPECT_FALSE(median_precise(std::vector<double>{1.0, 1.0, 1.0, 1.0, 9.0}, 0.02, 2));  // an outlier never stops early
  std::vector<double> many(40, 1.0);
  many[5] = 9.0;  // one slow repetition among many does not hold the median back
  EXPECT_TRUE(median_precise(many, 0.02, 3));
}
