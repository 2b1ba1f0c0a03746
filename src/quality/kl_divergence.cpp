#include "quality/kl_divergence.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace mtb {

void log_softmax(std::span<const float> logits, std::span<float> out) {
  const float mx = *std::max_element(logits.begin(), logits.end());
  double sum = 0;
  for (float v : logits) sum += std::exp(double(v) - mx);
  const double lse = mx + std::log(sum);
  for (size_t i = 0; i < logits.size(); ++i) out[i] = float(double(logits[i]) - lse);
}

Estimate mean_and_uncertainty(double sum, double sum2, int64_t n) {
  if (n < 1) return {};
  const double mean = sum / double(n);
  const double var = sum2 / double(n) - mean * mean;
  return {mean, var > 0 && n > 10 ? std::sqrt(var / double(n - 1)) : 0.0};
}

double sorted_percentile(const std::vector<float>& v, double fraction) {
  if (v.empty()) return 0;
  if (fraction <= 0) return v.front();
  if (fraction >= 1) return v.back();
  double p = fraction * double(v.size() - 1);
  const size_t ip = size_t(p);
  p -= double(ip);
  return (1 - p) * v[ip] + p * v[std::min(ip + 1, v.size() - 1)];
}

void KlAccumulator::add_reference(std::span<const float> ref, Token next) {
  reference_only_ = true;
  const double nll_base = -double(ref[size_t(next)]);
  sum_nll_base_ += nll_base;
  sum_nll_base2_ += nll_base * nll_base;
  ++count_;
}

void KlAccumulator::add(std::span<const float> ref, std::span<const float> cand_logits, Token next) {
  if (ref.size() != cand_logits.size())
    throw std::runtime_error("the candidate's and the reference's vocabularies differ in size");
  scratch_.resize(cand_logits.size());
  log_softmax(cand_logits, scratch_);
  const std::span<const float> cand = scratch_;

  const double nll = -double(cand[size_t(next)]), nll_base = -double(ref[size_t(next)]);
  sum_nll_ += nll;
  sum_nll2_ += nll * nll;
  sum_nll_base_ += nll_base;
  sum_nll_base2_ += nll_base * nll_base;
  sum_nll_nll_base_ += nll * nll_base;

  // KL(reference || candidate) = sum_i p_ref(i) (log p_ref(i) - log p_cand(i)), every entry.
  double kld = 0;
  size_t top_ref = 0, top_cand = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    kld += std::exp(double(ref[i])) * (double(ref[i]) - double(cand[i]));
    if (ref[i] > ref[top_ref]) top_ref = i;
    if (cand[i] > cand[top_cand]) top_cand = i;
  }
  sum_kld_ += kld;
  sum_kld2_ += kld * kld;
  kld_values_.push_back(float(kld));
  same_top_ += top_ref == top_cand;

  // Δp: the change in the probability of the text's next token (llama-perplexity's p_diff).
  const double dp = std::exp(-nll) - std::exp(-nll_base);
  sum_dp_ += dp;
  sum_dp2_ += dp * dp;
  sum_dp4_ += dp * dp * dp * dp;
  max_abs_dp_ = std::max(max_abs_dp_, std::fabs(dp));
  ++count_;
}

QualityMetrics KlAccumulator::metrics() const {
  QualityMetrics m;
  m.n_scored = count_;
  const Estimate log_ppl_base = mean_and_uncertainty(sum_nll_base_, sum_nll_base2_, count_);
  m.ppl_ref = {std::exp(log_ppl_base.value), std::exp(log_ppl_base.value) * log_ppl_base.uncertainty};
  if (reference_only_ || count_ == 0) return m;

  const Estimate log_ppl = mean_and_uncertainty(sum_nll_, sum_nll2_, count_);
  m.ppl = {std::exp(log_ppl.value), std::exp(log_ppl.value) * log_ppl.uncertainty};
  const double n = double(count_);
  const double cov = count_ < 10 ? 0 : (sum_nll_nll_base_ / n - (sum_nll_ / n) * (sum_nll_base_ / n)) / (n - 1);
  const double ln_ratio = log_ppl.value - log_ppl_base.value;
  const double ln_ratio_unc = std::sqrt(std::max(0.0, log_ppl.uncertainty * log_ppl.uncertainty +
                                                          log_ppl_base.uncertainty * log_ppl_base.uncertainty - 2 * cov));
  m.ln_ppl_ratio = {ln_ratio, ln_ratio_unc};
  m.ppl_ratio = {std::exp(ln_ratio), std::exp(ln_ratio) * ln_ratio_unc};

  m.kld = mean_and_uncertainty(sum_kld_, sum_kld2_, count_);
  std::vector<float> sorted = kld_values_;
  std::sort(sorted.begin(), sorted.end());
  const size_t k = sorted.size();
  m.kld_median = k % 2 == 0 ? 0.5 * (sorted[k / 2] + sorted[k / 2 - 1]) : sorted[k / 2];
  m.kld_p90 = sorted_percentile(sorted, 0.90);
  m.kld_p99 = sorted_percentile(sorted, 0.99);
  m.kld_max = sorted.back();

  const double top = double(same_top_) / n;
  m.same_top1_pct = {100 * top, count_ > 1 ? 100 * std::sqrt(top * (1 - top) / (n - 1)) : 0};
  const Estimate dp = mean_and_uncertainty(sum_dp_, sum_dp2_, count_);
  m.dp_mean_pct = {100 * dp.value, 100 * dp.uncertainty};
  const Estimate mse = mean_and_uncertainty(sum_dp2_, sum_dp4_, count_);
  const double rms = std::sqrt(mse.value);
  m.dp_rms_pct = {100 * rms, rms > 0 ? 100 * 0.5 / rms * mse.uncertainty : 0};
  m.dp_max_abs_pct = 100 * max_abs_dp_;
  return m;
}

}  // namespace mtb
