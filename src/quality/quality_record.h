// THE record of a quality case: how far one candidate (a backend at a precision) moves the
// next-token distribution from the reference's on the same tokens, in llama-perplexity's
// KL-divergence terms. A run's first case per model is its reference: its record carries the
// reference's own perplexity and no divergence.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "core/fields.h"
#include "core/status.h"
#include "core/json_number.h"

namespace mtb {

// One point of a quality plan: a model, a backend on a device at a precision, and the reference it is
// measured against; the evaluation tokens are the same for every case of the model.
struct QualityCase {
  std::string model, backend, device, precision;
  bool reference = false;  // this case computes the reference's log-probabilities for the others
  std::string ref_model;  // the reference's zoo name or GGUF file (a zoo model is its own reference)
  std::string ref_backend, ref_device, ref_precision;
  int n_ctx = 512;     // tokens per window; the second half of each is scored (llama-perplexity's)
  int n_chunks = 8;    // windows (at most: a text gives as many as it fills)
  int threads = 0;     // 0: the backend's default
  uint64_t seed = 42;  // of the synthetic weights and the seeded tokens
  std::string prompt_file;  // evaluation text (tokenized by the model's tokenizer); "": seeded tokens
  double timeout_s = 0;

  std::string key() const;
  std::string label() const;
  std::string reference_label() const;  // "llamacpp cpu f32"
};

// Mean with its standard error, as llama-perplexity prints "x ± u".
struct Estimate {
  double value = 0, uncertainty = 0;
};
MTB_JSON_TYPE_WITH_DEFAULT(Estimate, value, uncertainty)

// llama-perplexity --kl-divergence's statistics over the scored tokens.
struct QualityMetrics {
  int64_t n_scored = 0;         // tokens scored (n_chunks x (n_ctx - 1 - n_ctx/2))
  Estimate kld;                 // mean KL(reference || candidate), nats
  double kld_median = 0, kld_p90 = 0, kld_p99 = 0, kld_max = 0;
  Estimate same_top1_pct;       // % of positions where both put the same token first
  Estimate dp_mean_pct;         // mean of p_candidate(next) - p_reference(next), % (llama-perplexity's Δp)
  Estimate dp_rms_pct;          // its root mean square
  double dp_max_abs_pct = 0;
  Estimate ppl, ppl_ref;        // perplexities of the candidate and of the reference on the scored tokens
  Estimate ppl_ratio;           // PPL(candidate) / PPL(reference)
  Estimate ln_ppl_ratio;
};
MTB_JSON_TYPE_WITH_DEFAULT(QualityMetrics, n_scored, kld, kld_median, kld_p90, kld_p99, kld_max,
                                                same_top1_pct, dp_mean_pct, dp_rms_pct, dp_max_abs_pct, ppl, ppl_ref,
                                                ppl_ratio, ln_ppl_ratio)

struct QualityRecord {
  QualityCase spec;
  Status status = Status::ok;
  std::string error;
  // Synthetic (seeded) weights: the divergence is the format's rounding on Gaussian weights, not
  // what a trained model loses. Every output says so.
  bool synthetic = false;
  QualityMetrics metrics;  // meaningful when status is ok (the reference's: n_scored and ppl_ref)
  int n_vocab = 0;
  std::string tokens_hash;  // of every window's tokens: two runs scored the same input when equal
  std::string model_path, device_name, backend_version, started_at;
  uint64_t model_bytes = 0;
  double bits_per_weight = 0;
  double wall_s = 0, eval_s = 0;  // the worker's whole case; the windows' forward passes and scoring
  nlohmann::json extra = nlohmann::json::object();
};

const FieldTable<QualityRecord>& quality_record_fields();

void to_json(nlohmann::json& j, const QualityCase& c);
void from_json(const nlohmann::json& j, QualityCase& c);
void to_json(nlohmann::json& j, const QualityRecord& r);
void from_json(const nlohmann::json& j, QualityRecord& r);

}  // namespace mtb
