// Plotly figure pieces shared by the LLM and layer charts: one line trace with error bars, a layout,
// the colour of a series, and hover text listing every field of a record.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace mtb::report {

struct TracePoints {
  std::vector<nlohmann::json> x;  // numbers or category names
  std::vector<double> y;
  std::vector<double> err;        // +/- spread; all zero: no error bars
  std::vector<std::string> hover;
};

nlohmann::json line_trace(const std::string& name, const TracePoints& p, int color_index);

struct Axes {
  std::string title, x_title, y_title;
  bool x_log = false;            // prompt lengths span 64..4096: equal steps on a log axis
  std::vector<double> x_ticks;   // on a log axis: label exactly these values (the measured lengths)
  std::vector<nlohmann::json> x_categories;  // a category axis in this order, when not empty
  bool legend_right = false;     // many series: a column on the right instead of rows below
};
nlohmann::json chart_layout(const Axes& a);

// {"div": id, "data": traces, "layout": layout}: what the page script draws.
nlohmann::json figure(const std::string& div, nlohmann::json traces, nlohmann::json layout);

// "key: value<br>..." for every scalar of `j`, nested objects flattened as "a.b"; long arrays shortened.
std::string hover_text(const nlohmann::json& j);

}  // namespace mtb::report
