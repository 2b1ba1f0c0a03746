#include <fmt/format.h>

#include <map>
#include <set>

#include "report/figure.h"
#include "report/html.h"
#include "report/sections.h"

namespace mtb::report {
namespace {

std::string layer_series_label(const LayerRecord& r) {
  return fmt::format("{} {}{} {}", r.framework, r.backend, r.compiled ? " compiled" : "", r.dtype);
}

std::string shape_label(int batch, int sequence) { return fmt::format("{}×{}", batch, sequence); }

struct LayerPoint {
  const LayerRecord* record;
  const Run* run;
};

}  // namespace

Section layer_charts(const std::vector<const Run*>& runs) {
  // op -> series -> (batch, sequence) -> newest point; within a run the ancestor sometimes repeated
  // a case, and the later row is kept.
  std::map<std::string, std::map<std::string, std::map<std::pair<int, int>, LayerPoint>>> ops;
  std::map<std::string, std::set<std::pair<int, int>>> shapes;
  for (const Run* run : runs) {
    if (run->kind != RunKind::layer) continue;
    for (const LayerRecord& r : run->layers) {
      LayerPoint& p = ops[r.name][layer_series_label(r)][{r.batch, r.sequence}];
      if (!p.run || p.run->datetime <= run->datetime) p = {&r, run};
      shapes[r.name].insert({r.batch, r.sequence});
    }
  }
  Section out;
  if (ops.empty()) return out;
  out.html += "<div class=\"charts wide\">\n";
  int op_index = 0;
  for (const auto& [op, series] : ops) {
    std::vector<nlohmann::json> categories;  // ordered by batch, then sequence
    for (const auto& [b, s] : shapes[op]) categories.push_back(shape_label(b, s));
    nlohmann::json time_traces = nlohmann::json::array(), roofline_traces = nlohmann::json::array();
    int color = 0;
    for (const auto& [label, points] : series) {
      TracePoints t, roof;
      for (const auto& [shape, p] : points) {
        nlohmann::json fields = p.record->fields;
        fields["run"] = p.run->datetime;
        const std::string hover = fmt::format("<b>{}</b> · {} {}: {:.4g} ms<br>", html_escape(label), html_escape(op),
                                              shape_label(shape.first, shape.second), p.record->median_ms) +
                                  hover_text(fields);
        t.x.push_back(shape_label(shape.first, shape.second));
        t.y.push_back(p.record->median_ms);
        t.err.push_back(p.record->std_ms);
        t.hover.push_back(hover);
        if (p.record->roofline_pct) {
          roof.x.push_back(t.x.back());
          roof.y.push_back(*p.record->roofline_pct);
          roof.err.push_back(0);
          roof.hover.push_back(hover);
        }
      }
      time_traces.push_back(line_trace(label, t, color));
      if (!roof.y.empty()) roofline_traces.push_back(line_trace(label, roof, color));
      ++color;
    }
    const std::string div = fmt::format("layer-{}", op_index);
    out.html += fmt::format("<div class=\"chart\" id=\"{}\"></div>\n", div);
    out.figures.push_back(figure(div, std::move(time_traces),
                                 chart_layout({op, "batch × sequence", "ms (median ± sd)", false, {}, categories, true})));
    if (!roofline_traces.empty()) {
      out.html += fmt::format("<div class=\"chart\" id=\"{}-roofline\"></div>\n", div);
      out.figures.push_back(figure(div + "-roofline", std::move(roofline_traces),
                                   chart_layout({op + " — % of roofline", "batch × sequence", "% of roofline", false, {}, categories, true})));
    }
    ++op_index;
  }
  out.html += "</div>\n";
  return out;
}

}  // namespace mtb::report
