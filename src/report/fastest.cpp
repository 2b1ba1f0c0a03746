#include "report/fastest.h"

#include <algorithm>
#include <map>

namespace mtb::report {
namespace {

// The best of (t/s, label) pairs and the runner-up.
std::optional<Leader> leader_of(std::vector<std::pair<double, std::string>> v) {
  if (v.empty()) return std::nullopt;
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  Leader l{v[0].second, v[0].first, std::nullopt, 0, static_cast<int>(v.size())};
  if (v.size() > 1) l.runner_up = v[1].second, l.runner_up_value = v[1].first;
  return l;
}

template <class Metric>
std::optional<Leader> rank(const ModelSeries& m, int n_prompt, Metric metric) {
  std::vector<std::pair<double, std::string>> v;
  for (const auto& s : m.series) {
    const auto it = s.by_prompt.find(n_prompt);
    if (it == s.by_prompt.end()) continue;
    const Summary& x = metric(*it->second.record);
    if (x.n > 0 && x.median > 0) v.emplace_back(x.median, s.label);
  }
  return leader_of(std::move(v));
}

}  // namespace

int common_prompt_length(const ModelSeries& m) {
  std::map<int, int> count;
  for (const auto& s : m.series)
    for (const auto& [n, p] : s.by_prompt) ++count[n];
  int best = 0, best_count = 0;
  for (const auto& [n, c] : count)
    if (c >= best_count) best = n, best_count = c;
  return best;
}

std::vector<Fastest> fastest_per_model(const std::vector<ModelSeries>& models) {
  std::vector<Fastest> out;
  for (const auto& m : models) {
    Fastest f{m.model, common_prompt_length(m), std::nullopt, std::nullopt};
    f.prompt = rank(m, f.n_prompt, [](const Record& r) -> const Summary& { return r.prompt_tps; });
    f.generation = rank(m, f.n_prompt, [](const Record& r) -> const Summary& { return r.gen_tps; });
    if (f.prompt || f.generation) out.push_back(std::move(f));
  }
  return out;
}

std::optional<WithinKld> fastest_within_kld(const ModelSpeedQuality& m, double max_kld) {
  std::vector<std::pair<double, std::string>> v;
  for (const auto& p : m.drawn)
    if (p.kld() <= max_kld) v.emplace_back(p.gen_tps(), p.label);
  const std::optional<Leader> l = leader_of(std::move(v));
  if (!l) return std::nullopt;
  const auto it = std::find_if(m.drawn.begin(), m.drawn.end(), [&](const auto& p) { return p.label == l->label; });
  return WithinKld{*l, &*it};
}

}  // namespace mtb::report
