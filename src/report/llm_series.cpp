#include "report/llm_series.h"

#include <fmt/format.h>

namespace mtb::report {

std::string series_label(const CaseSpec& c) {
  std::string s = fmt::format("{} {} {}", c.backend, c.device, c.precision);
  if (c.batch != 1) s += fmt::format(" b{}", c.batch);
  if (c.n_depth) s += fmt::format(" d{}", c.n_depth);
  return s + c.gpu.label_suffix();  // one series per GPU placement ("" for the default)
}

std::vector<ModelSeries> group_llm(const std::vector<const Run*>& runs) {
  std::map<std::string, std::map<std::string, LlmSeries>> by_model;
  for (const Run* run : runs) {
    if (run->kind != RunKind::llm) continue;
    for (const Record& r : run->llm) {
      if (r.status != Status::ok || (r.prompt_tps.n == 0 && r.gen_tps.n == 0)) continue;
      const std::string label = series_label(r.spec);
      LlmSeries& s = by_model[r.spec.model][label];
      s.label = label;
      LlmPoint& p = s.by_prompt[r.spec.n_prompt];
      if (!p.run || p.run->datetime <= run->datetime) p = {&r, run};
    }
  }
  std::vector<ModelSeries> out;
  for (auto& [model, series] : by_model) {
    ModelSeries m{model, {}};
    for (auto& [label, s] : series) m.series.push_back(std::move(s));
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace mtb::report
