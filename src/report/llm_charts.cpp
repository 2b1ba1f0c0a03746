#include <fmt/format.h>

#include <cctype>
#include <functional>
#include <set>

#include "report/figure.h"
#include "report/html.h"
#include "report/sections.h"

namespace mtb::report {
namespace {

struct Metric {
  const char* id;
  const char* title;
  const char* y_title;
  // y value and +/- spread of a record; nullopt when the record has no such measurement.
  std::function<std::optional<std::pair<double, double>>(const Record&)> value;
};

std::optional<std::pair<double, double>> from_summary(const Summary& s, double scale) {
  if (s.n == 0 || s.median <= 0) return std::nullopt;
  return std::make_pair(s.median * scale, s.stddev * scale);
}

const std::vector<Metric>& metrics() {
  static const std::vector<Metric> m = {
      {"prompt", "Prompt processing", "tokens/s",
       [](const Record& r) { return from_summary(r.prompt_tps, 1); }},
      {"ttft", "Time to first token", "ms", [](const Record& r) { return from_summary(r.ttft_s, 1e3); }},
      {"gen", "Generation", "tokens/s", [](const Record& r) { return from_summary(r.gen_tps, 1); }},
      {"memory", "Peak memory", "GiB",
       [](const Record& r) -> std::optional<std::pair<double, double>> {
         const uint64_t b = r.peak_memory_bytes();
         if (b == 0) return std::nullopt;
         return std::make_pair(double(b) / double(1ull << 30), 0.0);
       }},
  };
  return m;
}

}  // namespace

std::string model_anchor(const std::string& model) {
  std::string s = "model-";
  for (char ch : model) s += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '-';
  return s;
}

nlohmann::json llm_hover_fields(const Record& r, const Run& run) {
  nlohmann::json j;
  if (run.origin == "ancestor") {
    j = r.extra.value("ancestor_fields", nlohmann::json::object());
  } else {
    j = r;
    j["generated"] = fmt::format("{} tokens", r.generated.size());  // the ids themselves say nothing on hover
  }
  j["run"] = run.datetime;
  j["run_origin"] = run.origin;
  return j;
}

Section llm_charts(const std::vector<ModelSeries>& models) {
  Section out;
  int model_index = 0;
  for (const ModelSeries& m : models) {
    std::set<double> lengths;
    for (const auto& s : m.series)
      for (const auto& [n, p] : s.by_prompt) lengths.insert(n);
    out.html += fmt::format("<h3 id=\"{}\">{}</h3>\n<div class=\"charts\">\n", model_anchor(m.model), html_escape(m.model));
    for (const Metric& metric : metrics()) {
      nlohmann::json traces = nlohmann::json::array();
      int color = 0;
      for (const LlmSeries& s : m.series) {
        TracePoints p;
        for (const auto& [n_prompt, point] : s.by_prompt) {
          const auto v = metric.value(*point.record);
          if (!v) continue;
          p.x.push_back(n_prompt);
          p.y.push_back(v->first);
          p.err.push_back(v->second);
          p.hover.push_back(fmt::format("<b>{}</b> · {}: {:.4g} {}<br>", html_escape(s.label), metric.title, v->first,
                                        metric.y_title) +
                            hover_text(llm_hover_fields(*point.record, *point.run)));
        }
        if (!p.y.empty()) traces.push_back(line_trace(s.label, p, color));
        ++color;  // counted even when empty, so a series has one colour in every chart of the model
      }
      if (traces.empty()) continue;  // e.g. no run of this model recorded memory
      const std::string div = fmt::format("llm-{}-{}", model_index, metric.id);
      const bool spread = metric.id != std::string("memory");
      out.html += fmt::format("<div class=\"chart\" id=\"{}\"></div>\n", div);
      out.figures.push_back(figure(
          div, std::move(traces),
          chart_layout({fmt::format("{}{}", metric.title, spread ? " (median ± sd)" : ""), "prompt tokens",
                        metric.y_title, true, {lengths.begin(), lengths.end()}, {}})));
    }
    out.html += "</div>\n";
    ++model_index;
  }
  return out;
}

}  // namespace mtb::report
