// "Speed and quality" on a hardware page: per model, generation t/s against mean KLD, the Pareto
// front marked, a table of every quality figure below, and what could not be drawn, said by name.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "report/figure.h"
#include "report/html.h"
#include "report/sections.h"

namespace mtb::report {
namespace {

// Greedy word wrap into plotly's <br> lines: plotly never wraps a title on its own.
std::string wrap(const std::string& text, size_t width) {
  std::string out, line;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    const std::string word = text.substr(start, end - start);
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      out += html_escape(line) + "<br>";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
    start = end + 1;
  }
  return out + html_escape(line);
}

// A log axis has no 0: a KLD of 0 (or a rounding error below it) is drawn a decade below the smallest
// positive one, and its hover says so.
double zero_kld_x(const std::vector<SpeedQualityPoint>& drawn) {
  double least = 0;
  for (const auto& p : drawn)
    if (p.kld() > 0 && (least == 0 || p.kld() < least)) least = p.kld();
  return least > 0 ? least / 10 : 1e-6;
}

std::string kld_text(const QualityRecord& q) {
  return fmt::format("{:.4g} ± {:.2g}", q.metrics.kld.value, q.metrics.kld.uncertainty);
}

std::string hover(const SpeedQualityPoint& p, int n_prompt, double drawn_at) {
  const QualityRecord& q = *p.quality;
  std::string head = fmt::format("<b>{}</b><br>mean KLD {} nats vs {}{}<br>", html_escape(p.label), kld_text(q),
                                 html_escape(q.spec.reference_label()),
                                 p.kld() > 0 ? "" : fmt::format(" (drawn at {:.2g}: a log axis has no 0)", drawn_at));
  head += fmt::format("generation {:.4g} t/s (median, prompt {}, run {})<br>{}<br>", p.gen_tps(), n_prompt,
                      html_escape(p.speed_run->datetime),
                      p.pareto ? "on the Pareto front" : "not on the Pareto front: another point is at least as fast and as close");
  if (q.synthetic) head += wrap(kSyntheticKldNote, 70) + "<br>";
  nlohmann::json fields = q;
  fields["run"] = p.quality_run->datetime;
  const Record& s = *p.speed;
  fields["speed"] = {{"gen_tps_median", s.gen_tps.median}, {"gen_tps_sd", s.gen_tps.stddev}, {"n_prompt", s.spec.n_prompt},
                     {"n_gen", s.spec.n_gen}, {"run", p.speed_run->datetime}};
  return head + hover_text(fields);
}

nlohmann::json point_trace(const SpeedQualityPoint& p, int n_prompt, double zero_x, int color) {
  const double x = p.kld() > 0 ? p.kld() : zero_x;
  TracePoints t{{x}, {p.gen_tps()}, {p.speed->gen_tps.stddev}, {hover(p, n_prompt, zero_x)}};
  nlohmann::json trace = line_trace(p.label, t, color);
  trace["mode"] = "markers";
  trace.erase("line");
  // Front points stand out by shape and outline, not only by colour (a series keeps its colour).
  trace["marker"]["symbol"] = p.pareto ? "diamond" : "circle";
  trace["marker"]["size"] = p.pareto ? 13 : 9;
  if (p.pareto) trace["marker"]["line"] = {{"color", "#1d232b"}, {"width", 1.5}};
  if (const double u = p.quality->metrics.kld.uncertainty; p.kld() > 0 && u > 0)
    trace["error_x"] = {{"type", "data"}, {"array", {u}}, {"visible", true}, {"thickness", 1.2}, {"width", 4}};
  return trace;
}

nlohmann::json front_trace(const std::vector<SpeedQualityPoint>& drawn, double zero_x) {
  nlohmann::json x = nlohmann::json::array(), y = nlohmann::json::array();
  for (const auto& p : drawn)  // sorted by KLD: the line runs from the closest to the fastest
    if (p.pareto) x.push_back(p.kld() > 0 ? p.kld() : zero_x), y.push_back(p.gen_tps());
  return {{"type", "scatter"}, {"mode", "lines"}, {"name", "Pareto front"}, {"x", x}, {"y", y}, {"hoverinfo", "skip"},
          {"line", {{"color", "#66707c"}, {"width", 1.5}, {"dash", "dot"}}}};
}

// Each point in its colour of the model's LLM charts, where its speed record is a point of the line
// of the same label.
int color_of(const std::string& label, const std::vector<std::string>& llm_labels) {
  return int(std::find(llm_labels.begin(), llm_labels.end(), label) - llm_labels.begin());
}

std::string chart_title(const ModelSpeedQuality& m) {
  std::set<std::string> refs;
  for (const auto& p : m.drawn) refs.insert(p.quality->spec.reference_label());
  return fmt::format("{}: generation speed against mean KLD ({})", m.model,
                     refs.size() == 1 ? "vs " + *refs.begin() : "several references");
}

std::string failure(const QualityRecord& q) { return to_string(q.status) + (q.error.empty() ? "" : ": " + q.error); }

// A row of the numbers table; a failed candidate's figures are "-", not zeros.
std::vector<Cell> table_row(const SpeedQualityPoint& p, const std::string& note) {
  const QualityRecord& q = *p.quality;
  const QualityMetrics& x = q.metrics;
  const bool measured = q.status == Status::ok;
  auto num = [&](double v, const char* f) { return measured ? number_cell(v, fmt::format(fmt::runtime(f), v)) : text_cell("-"); };
  return {text_cell(p.label), text_cell(q.spec.reference_label()), text_cell(q.synthetic ? "synthetic" : "real"),
          num(x.kld.value, "{:.4g}"), num(x.kld.uncertainty, "{:.2g}"), num(x.kld_median, "{:.4g}"),
          num(x.kld_p99, "{:.4g}"), num(x.kld_max, "{:.4g}"), num(x.same_top1_pct.value, "{:.2f}"),
          num(x.dp_rms_pct.value, "{:.3f}"), num(x.ppl_ratio.value, "{:.4f}"),
          p.speed ? number_cell(p.gen_tps(), fmt::format("{:.2f}", p.gen_tps())) : text_cell("-"),
          text_cell(p.pareto ? "yes" : ""), text_cell(p.quality_run->datetime),
          text_cell(p.speed_run ? p.speed_run->datetime : ""), text_cell(note)};
}

std::string numbers_table(const ModelSpeedQuality& m, const std::string& no_speed_at) {
  std::vector<std::vector<Cell>> rows;
  for (const auto& p : m.drawn) rows.push_back(table_row(p, ""));
  for (const auto& p : m.no_speed) rows.push_back(table_row(p, "not drawn: " + no_speed_at));
  for (const auto& p : m.failed) rows.push_back(table_row(p, "not drawn: " + failure(*p.quality)));
  return "<div class=\"scroll\">" +
         html_table({"backend device precision", "vs", "weights", "mean KLD", "±", "median KLD", "p99 KLD", "max KLD",
                     "same top-1 %", "RMS Δp %", "PPL ratio", "gen t/s", "Pareto front", "quality run", "speed run", "note"},
                    rows, true) +
         "</div>\n";
}

// Generation t/s against mean KLD on a log axis (one label a decade, as powers of ten); a synthetic
// run's note on the title's second line, above the plot.
nlohmann::json speed_quality_figure(const ModelSpeedQuality& m, const std::string& div,
                                    const std::vector<std::string>& llm_labels) {
  const double zero_x = zero_kld_x(m.drawn);
  nlohmann::json traces = nlohmann::json::array();
  for (const auto& p : m.drawn) traces.push_back(point_trace(p, *m.n_prompt, zero_x, color_of(p.label, llm_labels)));
  traces.push_back(front_trace(m.drawn, zero_x));
  std::string title = html_escape(chart_title(m));
  if (std::any_of(m.drawn.begin(), m.drawn.end(), [](const auto& p) { return p.quality->synthetic; }))
    title += "<br><span style=\"font-size:11px;color:#9b2c2c\">" + wrap(kSyntheticKldNote, 110) + "</span>";  // two lines
  int lines = 1;
  for (size_t at = title.find("<br>"); at != std::string::npos; at = title.find("<br>", at + 1)) ++lines;
  Axes axes{title, "mean KLD from the reference (nats, log)", "generation tokens/s (median)", true, {}, {}};
  axes.legend_right = true;
  nlohmann::json layout = chart_layout(axes);
  layout["xaxis"]["dtick"] = 1;
  layout["xaxis"]["exponentformat"] = "power";
  // Hung from the top below the mode bar: plotly grows a title anchored at its bottom by its first
  // line only, and the note's lines ran into the plot.
  layout["title"].update({{"yref", "container"}, {"y", 1}, {"yanchor", "top"}, {"pad", {{"t", 34}}}});
  layout["margin"]["t"] = 44 + 16 * lines;
  // A KLD of 0 drawn off its value says so on the chart, not only on hover (an annotation's x on a
  // log axis is the value's log10).
  for (const auto& p : m.drawn)
    if (p.kld() <= 0)
      layout["annotations"].push_back({{"x", std::log10(zero_x)}, {"y", p.gen_tps()}, {"text", "KLD 0"},
                                       {"showarrow", false}, {"yshift", 16}, {"font", {{"size", 11}}}});
  return figure(div, std::move(traces), std::move(layout));
}

}  // namespace

Section speed_quality_charts(const std::vector<ModelSpeedQuality>& models, const std::vector<ModelSeries>& llm) {
  Section out;
  int index = 0;  // counts every model of `models`, drawn or not: the charts' ids follow the models
  for (const ModelSpeedQuality& m : models) {
    const std::string div = fmt::format("quality-{}", index++);
    out.html += fmt::format("<h3 id=\"speed-quality-{}\">{}</h3>\n", model_anchor(m.model), html_escape(m.model));
    if (m.drawn.empty() && m.no_speed.empty() && m.failed.empty()) {
      out.html += "<p class=\"muted\">Only the reference was measured: no candidate to draw.</p>\n";
      continue;
    }
    if (m.drawn.empty()) {
      out.html += "<p class=\"muted\">No point to draw: no candidate has both a quality record and a speed.</p>\n";
    } else {
      std::vector<std::string> llm_labels;
      for (const auto& s : llm)
        if (s.model == m.model)
          for (const auto& series : s.series) llm_labels.push_back(series.label);
      out.html += fmt::format("<div class=\"chart\" id=\"{}\"></div>\n", div);
      out.figures.push_back(speed_quality_figure(m, div, llm_labels));
    }
    const std::string no_speed_at =
        m.n_prompt ? fmt::format("no speed at prompt {}", *m.n_prompt) : std::string("no speed run of the model");
    std::vector<std::string> no_speed, failed;
    for (const auto& p : m.no_speed) no_speed.push_back(p.label);
    for (const auto& p : m.failed) failed.push_back(fmt::format("{} ({})", p.label, failure(*p.quality)));
    if (!no_speed.empty())
      out.html += fmt::format(
          "<p class=\"muted\">Not drawn, {}: {}.</p>\n",
          m.n_prompt ? fmt::format("no generation speed of the same backend, device and precision at prompt {} (batch 1, "
                                   "depth 0) on this hardware",
                                   *m.n_prompt)
                     : std::string("no LLM run of this model on this hardware"),
          html_escape(fmt::format("{}", fmt::join(no_speed, ", "))));
    if (!failed.empty())
      out.html += fmt::format("<p class=\"muted\">Not drawn, no successful quality record: {}.</p>\n",
                              html_escape(fmt::format("{}", fmt::join(failed, "; "))));
    if (m.synthetic()) out.html += "<p class=\"problem\">" + html_escape(kSyntheticKldNote) + ".</p>\n";
    out.html += numbers_table(m, no_speed_at);
  }
  return out;
}

}  // namespace mtb::report
