// The chart sections of a hardware page: HTML with empty chart containers, plus the plotly figures
// that the page script draws into them.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "report/llm_series.h"
#include "report/run.h"
#include "report/speed_quality.h"

namespace mtb::report {

struct Section {
  std::string html;
  nlohmann::json figures = nlohmann::json::array();
};

// Per model: prompt t/s, time to first token and generation t/s against prompt length (median, error
// bars of one standard deviation where samples were recorded), and peak memory where recorded.
Section llm_charts(const std::vector<ModelSeries>& models);

// Per model with serving-load records: output throughput against streams (servers' --concurrency
// beside in-process --batch), TTFT and TPOT p50/p99 against output throughput, and output throughput
// against an open loop's request rate.
Section load_charts(const std::vector<const Run*>& runs);

// Per op: median time against batch x sequence, one line per framework/backend/compile/dtype; % of
// roofline where the run recorded it.
Section layer_charts(const std::vector<const Run*>& runs);

// Per model with quality records: generation t/s against mean KLD (log axis), one point per backend x
// device x precision, the Pareto front marked, with a table of the numbers below and the candidates
// that have no speed to draw listed. `llm` gives each point its colour in the model's LLM charts.
Section speed_quality_charts(const std::vector<ModelSpeedQuality>& models, const std::vector<ModelSeries>& llm);

// The in-page anchor of a model's charts ("model-qwen-2-5-0-5b-it").
std::string model_anchor(const std::string& model);

// Everything the hover of an LLM point shows: the record's fields (or the ancestor's own columns) and its run.
nlohmann::json llm_hover_fields(const Record& r, const Run& run);

}  // namespace mtb::report
