// Speed against quality on one hardware: per model, the newest quality candidate of each backend x
// device x precision joined with the generation speed of the newest LLM record of the same model,
// backend, device and precision (one stream: batch 1, depth 0, no serving load) at the prompt length
// "Which is fastest" ranks at; and the Pareto front of the points that have both.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "report/run.h"

namespace mtb::report {

// Said beside every KLD measured on synthetic weights.
inline constexpr const char* kSyntheticKldNote =
    "synthetic weights: the KLD measures the format's rounding on Gaussian weights, not what a trained model "
    "loses; only real weights (a GGUF or Hugging Face folder of your own) show that";

struct SpeedQualityPoint {
  std::string label;  // "llamacpp cpu q4_0": the LLM charts' series label of the same case
  const QualityRecord* quality = nullptr;  // the newest successful candidate record
  const Run* quality_run = nullptr;
  const Record* speed = nullptr;  // null: no generation speed at the model's prompt length (not drawn)
  const Run* speed_run = nullptr;
  bool pareto = false;  // on the Pareto front of the model's drawn points

  double kld() const { return quality->metrics.kld.value; }
  double gen_tps() const { return speed ? speed->gen_tps.median : 0; }
};

struct ModelSpeedQuality {
  std::string model;
  std::optional<int> n_prompt;  // the prompt length the speeds are taken at; none: no LLM record of the model
  std::vector<SpeedQualityPoint> drawn;     // with a speed; by mean KLD, then label
  std::vector<SpeedQualityPoint> no_speed;  // with a quality record only; by label
  std::vector<SpeedQualityPoint> failed;    // no successful record: the newest failure, which says why; by label

  // Whether any record shown for the model (drawn, not drawn or failed) ran on synthetic weights.
  bool synthetic() const;
};

// Per model with quality records in `runs` (one hardware's, any kind), sorted by model.
std::vector<ModelSpeedQuality> join_speed_quality(const std::vector<const Run*>& runs);

struct KldSpeed {
  double kld = 0, tps = 0;
};
// Whether each point is on the Pareto front: no other point is at least as fast with at most its
// KLD and strictly better in one of the two. Identical points are both on it; of two points with the
// same KLD only the faster is (the slower one buys nothing for its speed).
std::vector<bool> pareto_front(const std::vector<KldSpeed>& points);

}  // namespace mtb::report
