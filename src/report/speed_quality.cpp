#include "report/speed_quality.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "report/fastest.h"
#include "report/llm_series.h"

namespace mtb::report {
namespace {

// The label of the same backend, device and precision in the LLM charts, so a point reads as its line there.
std::string point_label(const QualityCase& q) {
  CaseSpec c;
  c.backend = q.backend;
  c.device = q.device;
  c.precision = q.precision;
  return series_label(c);
}

// Where several runs measured the same thing the newest wins (a later record of one run, on a tie).
bool newer_or_same(const Run* kept, const Run& run) { return !kept || kept->datetime <= run.datetime; }

// A single stream's generation figure: what the chart and "Which is fastest" rank on.
bool single_stream_speed(const Record& r) {
  const CaseSpec& s = r.spec;
  return r.status == Status::ok && s.batch == 1 && s.n_depth == 0 && !s.load.active() && r.gen_tps.n > 0 &&
         r.gen_tps.median > 0;
}

}  // namespace

bool ModelSpeedQuality::synthetic() const {
  auto any = [](const std::vector<SpeedQualityPoint>& v) {
    return std::any_of(v.begin(), v.end(), [](const SpeedQualityPoint& p) { return p.quality->synthetic; });
  };
  return any(drawn) || any(no_speed) || any(failed);
}

std::vector<bool> pareto_front(const std::vector<KldSpeed>& p) {
  std::vector<bool> on(p.size(), true);
  for (size_t i = 0; i < p.size(); ++i)
    for (size_t j = 0; j < p.size() && on[i]; ++j)
      if (p[j].tps >= p[i].tps && p[j].kld <= p[i].kld && (p[j].tps > p[i].tps || p[j].kld < p[i].kld)) on[i] = false;
  return on;
}

std::vector<ModelSpeedQuality> join_speed_quality(const std::vector<const Run*>& runs) {
  std::set<std::string> models;  // every model with a quality record, a reference alone included
  using Newest = std::map<std::string, std::map<std::string, SpeedQualityPoint>>;  // model -> label -> newest
  Newest ok, failed;
  for (const Run* run : runs) {
    if (run->kind != RunKind::quality) continue;
    for (const QualityRecord& q : run->quality) {
      models.insert(q.spec.model);
      if (q.spec.reference) continue;
      const std::string label = point_label(q.spec);
      SpeedQualityPoint& p = (q.status == Status::ok ? ok : failed)[q.spec.model][label];
      if (newer_or_same(p.quality_run, *run)) p = {label, &q, run};
    }
  }
  if (models.empty()) return {};

  std::map<std::tuple<std::string, std::string, int>, LlmPoint> speeds;  // (model, label, n_prompt) -> newest
  for (const Run* run : runs) {
    if (run->kind != RunKind::llm) continue;
    for (const Record& r : run->llm) {
      if (!single_stream_speed(r)) continue;
      LlmPoint& p = speeds[{r.spec.model, series_label(r.spec), r.spec.n_prompt}];
      if (newer_or_same(p.run, *run)) p = {&r, run};
    }
  }
  std::map<std::string, int> n_prompt;  // "Which is fastest"'s prompt length of each model
  for (const ModelSeries& m : group_llm(runs)) n_prompt[m.model] = common_prompt_length(m);

  std::vector<ModelSpeedQuality> out;
  for (const std::string& model : models) {
    ModelSpeedQuality m;
    m.model = model;
    if (const auto it = n_prompt.find(model); it != n_prompt.end()) m.n_prompt = it->second;
    for (auto& [label, p] : ok[model]) {
      const auto it = m.n_prompt ? speeds.find({model, label, *m.n_prompt}) : speeds.end();
      if (it == speeds.end()) {
        m.no_speed.push_back(p);
        continue;
      }
      p.speed = it->second.record;
      p.speed_run = it->second.run;
      m.drawn.push_back(p);
    }
    for (const auto& [label, p] : failed[model])
      if (!ok[model].count(label)) m.failed.push_back(p);
    std::stable_sort(m.drawn.begin(), m.drawn.end(), [](const auto& a, const auto& b) { return a.kld() < b.kld(); });
    std::vector<KldSpeed> v;
    for (const auto& p : m.drawn) v.push_back({p.kld(), p.gen_tps()});
    const std::vector<bool> front = pareto_front(v);
    for (size_t i = 0; i < m.drawn.size(); ++i) m.drawn[i].pareto = front[i];
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace mtb::report
