// The KL-divergence statistics of llama-perplexity's --kl-divergence mode, over scored positions:
// per position the reference's log-probabilities (log-softmax of its logits) against the candidate's
// logits and the text's next token. Definitions follow tools/perplexity/perplexity.cpp of the pinned
// llama.cpp, with one deliberate difference: the reference is kept in float32 and every vocabulary
// entry counts, where llama-perplexity stores it in 16 bits and drops entries below e^-16
// (docs/quality.md measures what that changes).
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "core/tokens.h"
#include "quality/quality_record.h"

namespace mtb {

// log-softmax of one row of logits, summed in double (152k terms).
void log_softmax(std::span<const float> logits, std::span<float> out);

class KlAccumulator {
 public:
  // One scored position: the reference's log-probabilities, the candidate's logits (same vocabulary)
  // and the token that follows in the text.
  void add(std::span<const float> ref_log_probs, std::span<const float> cand_logits, Token next);
  // The reference alone (its own record): its negative log-likelihood of the next token.
  void add_reference(std::span<const float> ref_log_probs, Token next);
  int64_t count() const { return count_; }
  QualityMetrics metrics() const;

 private:
  double sum_nll_ = 0, sum_nll2_ = 0, sum_nll_base_ = 0, sum_nll_base2_ = 0, sum_nll_nll_base_ = 0;
  double sum_kld_ = 0, sum_kld2_ = 0, sum_dp_ = 0, sum_dp2_ = 0, sum_dp4_ = 0;
  double max_abs_dp_ = 0;
  int64_t same_top_ = 0, count_ = 0;
  bool reference_only_ = false;
  std::vector<float> kld_values_;
  std::vector<float> scratch_;
};

// llama-perplexity's mean and standard error: sqrt(var / (n - 1)), 0 with 10 values or fewer.
Estimate mean_and_uncertainty(double sum, double sum2, int64_t n);
// llama-perplexity's percentile of sorted values: linear between neighbours.
double sorted_percentile(const std::vector<float>& sorted, double fraction);

}  // namespace mtb
