// "Which is fastest": per model, the best series for prompt processing and for generation at the
// prompt length most series measured, and its lead over the runner-up; and, where quality runs
// measured the model, the fastest generation whose mean KLD from the reference is within a bound.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "report/llm_series.h"
#include "report/speed_quality.h"

namespace mtb::report {

// `mtb report --max-kld`'s default, and the bound of the report `mtb llm` writes after a run.
inline constexpr double kDefaultMaxKld = 0.05;

struct Leader {
  std::string label;
  double value = 0;                  // t/s (median)
  std::optional<std::string> runner_up;
  double runner_up_value = 0;
  double lead() const { return runner_up_value > 0 ? value / runner_up_value : 0; }  // x times the runner-up
  int contenders = 0;
};

struct Fastest {
  std::string model;
  int n_prompt = 0;  // the prompt length the ranking is taken at
  std::optional<Leader> prompt, generation;
};

std::vector<Fastest> fastest_per_model(const std::vector<ModelSeries>& models);

// The prompt length a model's series are compared at: the one most of them measured, the longer on a
// tie, since long prompts are where frameworks differ most (throughput depends on it).
int common_prompt_length(const ModelSeries& m);

// The fastest generation among a model's drawn speed-quality points with mean KLD <= max_kld, its
// lead over the runner-up within the bound, and its point (its KLD, its weights).
struct WithinKld {
  Leader leader;
  const SpeedQualityPoint* point = nullptr;
};
std::optional<WithinKld> fastest_within_kld(const ModelSpeedQuality& m, double max_kld);

}  // namespace mtb::report
