#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "report/fastest.h"
#include "report/html.h"
#include "report/llm_series.h"
#include "report/pages.h"
#include "report/sections.h"
#include "report/speed_quality.h"

namespace mtb::report {
namespace {

std::string describe_machine(const std::vector<const Run*>& runs) {
  const nlohmann::json hw = runs.back()->settings.value("hardware_info", nlohmann::json::object());
  std::vector<std::string> parts;
  auto add = [&](const char* key, const char* fmt_str) {
    if (hw.contains(key) && (hw[key].is_string() || hw[key].is_number()))
      parts.push_back(fmt::format(fmt::runtime(fmt_str), hw[key].is_string() ? hw[key].get<std::string>() : hw[key].dump()));
  };
  add("chip", "{}");
  add("model_name", "{}");
  add("total_cores", "{} cores");
  add("gpu_cores", "{} GPU cores");
  // mlx_transformers_benchmark wrote "24 GB" in some runs and a bare "24" in others (as mtb does):
  // a bare number is gigabytes.
  if (hw.contains("memory") && (hw["memory"].is_string() || hw["memory"].is_number())) {
    std::string mem = hw["memory"].is_string() ? hw["memory"].get<std::string>() : hw["memory"].dump();
    if (!mem.empty() && mem.find_first_not_of("0123456789.") == std::string::npos) mem += " GB";
    parts.push_back("memory " + mem);
  }
  return fmt::format("{}", fmt::join(parts, " · "));
}

std::string software(const Run& r) {
  std::vector<std::string> parts;
  const nlohmann::json info = r.settings.value("software_info", nlohmann::json::object());
  for (const auto& [k, v] : info.items())
    if (v.is_string()) parts.push_back(k + " " + v.get<std::string>());
  return fmt::format("{}", fmt::join(parts, ", "));
}

std::string runs_table(const std::vector<const Run*>& runs) {
  std::vector<std::vector<Cell>> rows;
  for (const Run* r : runs)
    rows.push_back({text_cell(r->datetime), text_cell(r->origin), text_cell(run_kind_label(*r)),
                    number_cell(double(r->size()), std::to_string(r->size())),
                    text_cell(fmt::format("{}", fmt::join(run_frameworks(*r), ", "))),
                    text_cell(fmt::format("{}", fmt::join(run_models(*r), ", "))), text_cell(software(*r)),
                    text_cell(r->dir.string())});
  return html_table({"run", "tool", "kind", "cases", "frameworks", "models", "software", "folder"}, rows, true, "runs");
}

void leader_cells(const std::optional<Leader>& l, std::vector<Cell>& row) {
  if (!l) {
    row.insert(row.end(), {text_cell("-"), text_cell(""), text_cell(""), text_cell("")});
    return;
  }
  row.push_back({"<span class=\"win\">" + html_escape(l->label) + "</span>", std::nullopt});
  row.push_back(number_cell(l->value, fmt::format("{:.1f}", l->value)));
  if (l->runner_up) {
    row.push_back(number_cell(l->lead(), fmt::format("{:.2f}×", l->lead())));
    row.push_back(text_cell(*l->runner_up));
  } else {
    row.insert(row.end(), {text_cell("-"), text_cell("only one measured")});
  }
}

// The fastest generation within the KLD bound, or why there is none. Sets `synthetic` when a KLD it
// shows was measured on synthetic weights.
void within_kld_cells(const std::string& model, const std::vector<ModelSpeedQuality>& quality, double max_kld,
                      std::vector<Cell>& row, bool& synthetic) {
  const auto m = std::find_if(quality.begin(), quality.end(), [&](const auto& q) { return q.model == model; });
  auto why_not = [&](const std::string& why) { row.insert(row.end(), {text_cell(why), text_cell(""), text_cell("")}); };
  if (m == quality.end()) return why_not("no quality run of this model");
  if (m->drawn.empty()) return why_not("no speed for its quality candidates");
  const auto w = fastest_within_kld(*m, max_kld);
  const SpeedQualityPoint& shown = w ? *w->point : m->drawn.front();  // else the closest to the reference
  const std::string weights = shown.quality->synthetic ? " · synthetic weights" : "";
  synthetic |= shown.quality->synthetic;
  if (!w) return why_not(fmt::format("none: the closest, {}, has mean KLD {:.4g}{}", shown.label, shown.kld(), weights));
  row.push_back({"<span class=\"win\">" + html_escape(shown.label) + "</span>" + html_escape(weights), std::nullopt});
  row.push_back(number_cell(shown.gen_tps(), fmt::format("{:.1f}", shown.gen_tps())));
  row.push_back(number_cell(shown.kld(), fmt::format("{:.4g}", shown.kld())));
}

// With quality runs on the page, a column group for the fastest generation within the KLD bound.
std::string fastest_table(const std::vector<ModelSeries>& models, const std::vector<ModelSpeedQuality>& quality,
                          double max_kld) {
  std::vector<std::vector<Cell>> rows;
  bool synthetic = false;
  for (const Fastest& f : fastest_per_model(models)) {
    std::vector<Cell> row{text_cell(f.model), number_cell(f.n_prompt, std::to_string(f.n_prompt))};
    leader_cells(f.prompt, row);
    leader_cells(f.generation, row);
    if (!quality.empty()) within_kld_cells(f.model, quality, max_kld, row, synthetic);
    rows.push_back(std::move(row));
  }
  std::vector<std::string> header{"model", "at prompt", "fastest prompt", "t/s", "lead", "runner-up",
                                  "fastest generation", "t/s", "lead", "runner-up"};
  if (!quality.empty())
    header.insert(header.end(), {fmt::format("fastest generation, KLD ≤ {:g}", max_kld), "t/s", "mean KLD"});
  std::string out = html_table(header, rows, true, "fastest");
  if (synthetic) out += "<p class=\"problem\">" + html_escape(kSyntheticKldNote) + ".</p>\n";
  return out;
}

std::string results_table(const std::vector<const Run*>& runs) {
  auto num = [](double v, const char* f) { return number_cell(v, fmt::format(fmt::runtime(f), v)); };
  std::vector<std::vector<Cell>> rows;
  for (const Run* run : runs) {
    if (run->kind != RunKind::llm) continue;
    for (const Record& r : run->llm) {
      const auto& c = r.spec;
      const double mem = double(r.peak_memory_bytes()) / double(1ull << 30);
      rows.push_back({text_cell(run->datetime), text_cell(c.model), text_cell(c.backend), text_cell(c.device),
                      text_cell(c.precision), num(c.n_prompt, "{:.0f}"), num(c.n_gen, "{:.0f}"), num(c.batch, "{:.0f}"),
                      num(r.prompt_tps.median, "{:.1f}"), num(r.prompt_tps.stddev, "{:.1f}"),
                      num(r.ttft_s.median * 1e3, "{:.1f}"), num(r.gen_tps.median, "{:.2f}"),
                      num(r.gen_tps.stddev, "{:.2f}"), mem > 0 ? num(mem, "{:.2f}") : text_cell("-"),
                      text_cell(r.status != Status::ok     ? to_string(r.status) + ": " + r.error
                                : r.noise_flag().empty() ? "ok"
                                                         : "ok, noisy: " + r.noise_flag())});
    }
  }
  return "<div class=\"scroll\">" +
         html_table({"run", "model", "framework", "backend", "precision", "n_prompt", "n_gen", "batch", "prompt t/s",
                     "± sd", "TTFT ms", "gen t/s", "± sd", "peak GiB", "status"},
                    rows, true, "results") +
         "</div>\n";
}

}  // namespace

PageText hardware_page(const std::string& hardware, const std::vector<const Run*>& runs, const std::string& plotly_src,
                       double max_kld) {
  const std::vector<ModelSeries> models = group_llm(runs);
  const std::vector<ModelSpeedQuality> quality = join_speed_quality(runs);
  const Section llm = llm_charts(models);
  const Section speed_quality = speed_quality_charts(quality, models);
  const Section layers = layer_charts(runs);
  const Section load = load_charts(runs);
  std::string nav = "<nav><a href=\"index.html\">← all hardware</a> ";
  if (!models.empty()) nav += "<a href=\"#fastest-section\">fastest</a> <a href=\"#llm\">LLM charts</a> ";
  if (!quality.empty()) nav += "<a href=\"#speed-quality\">speed and quality</a> ";
  if (!models.empty()) nav += "<a href=\"#table\">table</a> ";
  if (!load.figures.empty()) nav += "<a href=\"#load\">serving load</a> ";
  if (!layers.figures.empty()) nav += "<a href=\"#layers\">layers</a> ";
  nav += "<a href=\"#runs-section\">runs</a></nav>\n";
  std::string body =
      nav + fmt::format("<h1>{}</h1>\n<p class=\"muted\">{}</p>\n", html_escape(hardware), html_escape(describe_machine(runs)));
  if (!models.empty()) {
    body += "<h2 id=\"fastest-section\">Which is fastest</h2>\n<p class=\"muted\">Per model, the fastest "
            "framework/backend/precision at the prompt length most of them measured (median t/s; the newest run "
            "wins where runs overlap), and its lead over the runner-up.";
    if (!quality.empty())
      body += fmt::format(" Fastest generation with KLD ≤ {0:g}: the fastest point of the model's speed-quality "
                          "chart whose mean KL divergence from its reference is at most {0:g} nats (mtb report "
                          "--max-kld).",
                          max_kld);
    body += "</p>\n" + fastest_table(models, quality, max_kld);
    body += "<h2 id=\"llm\">LLM inference</h2>\n<p class=\"muted\">One line per framework × backend × precision. "
            "Error bars: one standard deviation of the timed repetitions (mtb runs; the ancestor recorded means "
            "only). Hover a point for every field of its record.</p>\n";
    for (const auto& m : models) body += fmt::format("<a href=\"#{}\">{}</a> ", model_anchor(m.model), html_escape(m.model));
    body += "\n" + llm.html;
  }
  if (!quality.empty())
    body += "<h2 id=\"speed-quality\">Speed and quality</h2>\n<p class=\"muted\">Per model, generation speed "
            "(median t/s of the newest single-stream record, batch 1, depth 0, at the prompt length “Which is "
            "fastest” ranks at) against the mean KL divergence of the next-token distribution from the "
            "reference's (newest quality run; log axis, nats), one point per backend × device × precision. "
            "Diamonds joined by the dotted line: the Pareto front, the points no other point beats on both (at "
            "least as fast and at most as divergent, better in one). A KLD of 0 has no place on a log axis: it is "
            "drawn a decade left of the smallest non-zero one and labelled “KLD 0”. Hover a point for every "
            "quality figure.</p>\n" +
            speed_quality.html;
  if (!models.empty())
    body += "<h2 id=\"table\">All LLM results</h2>\n<p class=\"muted\">Every record of every run, failures "
            "included. Click a header to sort.</p>\n" +
            results_table(runs);
  if (!load.figures.empty())
    body += "<h2 id=\"load\">Serving load</h2>\n<p class=\"muted\">Servers at each number of concurrent "
            "streams (closed loop) beside in-process backends at each --batch; latency percentiles against the "
            "output throughput they came with (vllm bench serve's definitions).</p>\n" +
            load.html;
  if (!layers.figures.empty())
    body += "<h2 id=\"layers\">Layer timings</h2>\n<p class=\"muted\">Median time per op against batch × sequence "
            "length, one line per framework/backend/compile/dtype (newest run wins).</p>\n" +
            layers.html;
  body += "<h2 id=\"runs-section\">Runs</h2>\n<div class=\"scroll\">" + runs_table(runs) + "</div>\n";
  nlohmann::json figures = llm.figures;
  for (const auto& f : speed_quality.figures) figures.push_back(f);
  for (const auto& f : load.figures) figures.push_back(f);
  for (const auto& f : layers.figures) figures.push_back(f);
  const int n = static_cast<int>(figures.size());
  return {html_page(hardware + " — mtb report", body, figures, plotly_src), n};
}

}  // namespace mtb::report
