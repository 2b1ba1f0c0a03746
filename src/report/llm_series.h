// LLM records of one hardware grouped for charting: per model, one series per framework x backend x
// precision (x batch, x depth when not the default), one point per prompt length. Where several runs
// measured the same point, the newest run's record is kept.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "report/run.h"

namespace mtb::report {

struct LlmPoint {
  const Record* record = nullptr;
  const Run* run = nullptr;
};

struct LlmSeries {
  std::string label;  // "llamacpp cpu q4_0", "mlx metal int4"
  std::map<int, LlmPoint> by_prompt;  // n_prompt -> newest point
};

struct ModelSeries {
  std::string model;
  std::vector<LlmSeries> series;  // sorted by label
};

std::string series_label(const CaseSpec& c);

// Only successful records with a prompt or generation measurement take part.
std::vector<ModelSeries> group_llm(const std::vector<const Run*>& runs);

}  // namespace mtb::report
