#include "report/figure.h"

#include <fmt/format.h>

#include <algorithm>

#include "report/html.h"

namespace mtb::report {
namespace {

// Distinct, colour-blind-safe-ish hues; a series keeps its colour across the charts of one model.
constexpr const char* kPalette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
                                    "#e377c2", "#17becf", "#bcbd22", "#7f7f7f", "#393b79", "#637939"};

std::string scalar(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) return fmt::format("{:.6g}", v.get<double>());
  return v.dump();
}

void flatten(const nlohmann::json& j, const std::string& prefix, std::string& out) {
  for (const auto& [k, v] : j.items()) {
    const std::string key = prefix.empty() ? k : prefix + "." + k;
    if (v.is_object()) {
      flatten(v, key, out);
      continue;
    }
    std::string shown;
    if (v.is_array() && v.size() > 8) {
      shown = fmt::format("[{} values]", v.size());
    } else if (v.is_array()) {
      shown = "[";
      for (size_t i = 0; i < v.size(); ++i) shown += (i ? ", " : "") + scalar(v[i]);
      shown += "]";
    } else {
      shown = scalar(v);
    }
    if (shown.size() > 120) shown = shown.substr(0, 117) + "...";
    out += "<b>" + html_escape(key) + "</b>: " + html_escape(shown) + "<br>";
  }
}

}  // namespace

nlohmann::json line_trace(const std::string& name, const TracePoints& p, int color_index) {
  const std::string color = kPalette[color_index % std::size(kPalette)];
  nlohmann::json t = {{"type", "scatter"},   {"mode", "lines+markers"}, {"name", name},
                      {"x", p.x},            {"y", p.y},                {"text", p.hover},
                      {"hovertemplate", "%{text}<extra></extra>"},
                      {"line", {{"color", color}, {"width", 2}}},      {"marker", {{"color", color}, {"size", 7}}}};
  if (std::any_of(p.err.begin(), p.err.end(), [](double e) { return e > 0; }))
    t["error_y"] = {{"type", "data"}, {"array", p.err}, {"visible", true}, {"thickness", 1.2}, {"width", 4}};
  return t;
}

nlohmann::json chart_layout(const Axes& a) {
  nlohmann::json x = {{"title", {{"text", a.x_title}}}, {"automargin", true}};
  if (a.x_log) {
    x["type"] = "log";
    if (!a.x_ticks.empty()) {
      x["tickvals"] = a.x_ticks;
      x["ticktext"] = a.x_ticks;
    }
  } else if (!a.x_categories.empty()) {
    x["type"] = "category";
    x["categoryorder"] = "array";
    x["categoryarray"] = a.x_categories;
  }
  // The title sits just above the plot, on a line of its own below the mode bar (which plotly puts
  // at the top right of the figure): on one line, a long title ran under the mode bar's buttons.
  return {{"title", {{"text", a.title}, {"font", {{"size", 13}}}, {"x", 0.02}, {"xanchor", "left"},
                     {"yref", "paper"}, {"y", 1}, {"yanchor", "bottom"}, {"pad", {{"b", 8}}}}},
          {"xaxis", x},
          {"yaxis", {{"title", {{"text", a.y_title}}}, {"rangemode", "tozero"}, {"automargin", true}}},
          {"margin", {{"l", 60}, {"r", 10}, {"t", 64}, {"b", 40}}},
          {"legend", a.legend_right ? nlohmann::json{{"orientation", "v"}, {"x", 1.02}, {"y", 1}, {"font", {{"size", 11}}}}
                                    : nlohmann::json{{"orientation", "h"}, {"yanchor", "top"}, {"y", -0.3},
                                                     {"font", {{"size", 11}}}}},
          {"hoverlabel", {{"align", "left"}, {"font", {{"size", 11}}}}}};
}

nlohmann::json figure(const std::string& div, nlohmann::json traces, nlohmann::json layout) {
  return {{"div", div}, {"data", std::move(traces)}, {"layout", std::move(layout)}};
}

std::string hover_text(const nlohmann::json& j) {
  std::string out;
  flatten(j, "", out);
  return out;
}

}  // namespace mtb::report
