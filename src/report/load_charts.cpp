// Serving load on a hardware page: per model, output throughput against the number of streams (a
// server at each --concurrency beside in-process llama.cpp/torch at each --batch), the latency-
// throughput curves (TTFT and TPOT, p50 and p99, against output tokens/s), and, for open loops,
// output throughput against the request rate.
#include <fmt/format.h>

#include <map>
#include <set>

#include "report/figure.h"
#include "report/html.h"
#include "report/llm_series.h"
#include "report/sections.h"

namespace mtb::report {
namespace {

struct Point {
  const Record* record = nullptr;
  const Run* run = nullptr;
};
using Series = std::map<double, Point>;                // x -> newest record
using ModelCurves = std::map<std::string, Series>;    // series label -> points

void keep(Series& s, double x, const Record& r, const Run& run) {
  Point& p = s[x];
  if (!p.run || p.run->datetime <= run.datetime) p = {&r, &run};
}

struct Curves {
  std::map<std::string, ModelCurves> closed, open, batched;  // by model
};

Curves collect(const std::vector<const Run*>& runs) {
  Curves c;
  std::map<std::string, ModelCurves> in_process;           // every single-stream series, by model
  std::set<std::pair<std::string, std::string>> scaled;  // (model, label) that ran a batch above 1
  for (const Run* run : runs) {
    if (run->kind != RunKind::llm) continue;
    for (const Record& r : run->llm) {
      if (r.status != Status::ok) continue;
      const CaseSpec& s = r.spec;
      const std::string base = fmt::format("{} {} {}", s.backend, s.device, s.precision);
      if (s.load.active() && !s.load.open_loop()) keep(c.closed[s.model][base], s.load.concurrency, r, *run);
      else if (s.load.open_loop() && s.load.request_rate > 0) keep(c.open[s.model][base], s.load.request_rate, r, *run);
      else if (!s.load.active() && r.gen_tps.n > 0 && s.n_depth == 0) {
        const std::string label = base + " (in-process, --batch)";
        keep(in_process[s.model][label], s.batch, r, *run);
        if (s.batch > 1) scaled.insert({s.model, label});
      }
    }
  }
  for (const auto& [model, label] : scaled) c.batched[model][label] = in_process[model][label];
  return c;
}

std::string hover(const std::string& label, const std::string& what, const Point& p) {
  return fmt::format("<b>{}</b> · {}<br>", html_escape(label), what) + hover_text(llm_hover_fields(*p.record, *p.run));
}

void chart(Section& out, const std::string& div, nlohmann::json traces, const Axes& axes) {
  out.html += fmt::format("<div class=\"chart\" id=\"{}\"></div>\n", div);
  out.figures.push_back(figure(div, std::move(traces), chart_layout(axes)));
}

}  // namespace

Section load_charts(const std::vector<const Run*>& runs) {
  Section out;
  const Curves c = collect(runs);
  std::set<std::string> models;
  for (const auto* m : {&c.closed, &c.open})
    for (const auto& [model, _] : *m) models.insert(model);
  int index = 0;
  for (const std::string& model : models) {
    out.html += fmt::format("<h3>{}</h3>\n<div class=\"charts\">\n", html_escape(model));
    const ModelCurves none;
    const ModelCurves& closed = c.closed.count(model) ? c.closed.at(model) : none;
    const ModelCurves& batched = c.batched.count(model) ? c.batched.at(model) : none;
    int color = 0;
    nlohmann::json throughput = nlohmann::json::array();
    std::set<double> xs;
    for (const auto* group : {&closed, &batched})
      for (const auto& [label, series] : *group) {
        TracePoints p;
        for (const auto& [x, pt] : series) {
          const double y = group == &closed ? pt.record->load.output_throughput : pt.record->gen_tps.mean;
          p.x.push_back(x);
          p.y.push_back(y);
          p.err.push_back(0);
          p.hover.push_back(hover(label, fmt::format("{:g} streams: {:.4g} output tokens/s", x, y), pt));
          xs.insert(x);
        }
        throughput.push_back(line_trace(label, p, color++));
      }
    if (!throughput.empty())
      chart(out, fmt::format("load-{}-throughput", index), std::move(throughput),
            {"Output throughput against streams", "streams (server) or sequences (--batch)",
             "tokens/s", true, {xs.begin(), xs.end()}, {}});
    // Latency against throughput: what each extra stream costs the users already served.
    for (const auto& [id, title, pick] :
         std::vector<std::tuple<std::string, std::string, const Percentiles LoadMetrics::*>>{
             {"ttft", "Time to first token against output throughput", &LoadMetrics::ttft_ms},
             {"tpot", "Time per output token against output throughput", &LoadMetrics::tpot_ms}}) {
      nlohmann::json traces = nlohmann::json::array();
      int col = 0;
      for (const auto& [label, series] : closed) {
        for (const bool p99 : {false, true}) {
          TracePoints p;
          for (const auto& [x, pt] : series) {
            const Percentiles& q = pt.record->load.*pick;
            if (q.n == 0) continue;
            p.x.push_back(pt.record->load.output_throughput);
            p.y.push_back(p99 ? q.p99 : q.median);
            p.err.push_back(0);
            p.hover.push_back(hover(label, fmt::format("{:g} streams: {} {:.4g} ms", x, p99 ? "p99" : "p50", p99 ? q.p99 : q.median), pt));
          }
          if (p.y.empty()) continue;
          nlohmann::json t = line_trace(label + (p99 ? " p99" : " p50"), p, col);
          if (p99) t["line"]["dash"] = "dot";  // a series' p99 in its colour, dotted beside its p50
          traces.push_back(std::move(t));
        }
        ++col;
      }
      if (!traces.empty())
        chart(out, fmt::format("load-{}-{}", index, id), std::move(traces), {title, "output tokens/s", "ms", false, {}, {}});
    }
    if (c.open.count(model)) {
      nlohmann::json traces = nlohmann::json::array();
      int col = 0;
      for (const auto& [label, series] : c.open.at(model)) {
        TracePoints p;
        for (const auto& [rate, pt] : series) {
          p.x.push_back(rate);
          p.y.push_back(pt.record->load.output_throughput);
          p.err.push_back(0);
          p.hover.push_back(hover(label, fmt::format("{:g} requests/s: {:.4g} output tokens/s", rate, pt.record->load.output_throughput), pt));
        }
        traces.push_back(line_trace(label, p, col++));
      }
      chart(out, fmt::format("load-{}-rate", index), std::move(traces),
            {"Output throughput against request rate (open loop)", "requests/s", "tokens/s", false, {}, {}});
    }
    out.html += "</div>\n";
    ++index;
  }
  return out;
}

}  // namespace mtb::report
