// "Which is fastest": per model, the best series for prompt processing and for generation at the
// prompt length most series measured, and its lead over the runner-up.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "report/llm_series.h"

namespace mtb::report {

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

}  // namespace mtb::report
