#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <set>

#include "report/html.h"
#include "report/pages.h"
#include "report/site.h"

namespace mtb::report {
namespace {

std::vector<std::string> distinct(const Run& r, std::string (*get)(const Record&), std::string (*get_layer)(const LayerRecord&),
                                  std::string (*get_quality)(const QualityRecord&)) {
  std::set<std::string> s;
  for (const auto& x : r.llm) s.insert(get(x));
  for (const auto& x : r.layers) s.insert(get_layer(x));
  for (const auto& x : r.quality) s.insert(get_quality(x));
  return {s.begin(), s.end()};
}

std::string date_of(const std::string& datetime) { return datetime.substr(0, datetime.find("__")); }

}  // namespace

std::vector<std::string> run_frameworks(const Run& r) {
  return distinct(r, [](const Record& x) { return x.spec.backend + " " + x.spec.device; },
                  [](const LayerRecord& x) { return x.framework + " " + x.backend; },
                  [](const QualityRecord& x) { return x.spec.backend + " " + x.spec.device; });
}

std::vector<std::string> run_models(const Run& r) {
  return distinct(r, [](const Record& x) { return x.spec.model; }, [](const LayerRecord& x) { return x.name; },
                  [](const QualityRecord& x) { return x.spec.model; });
}

std::string run_kind_label(const Run& r) {
  const auto synthetic = std::count_if(r.quality.begin(), r.quality.end(), [](const auto& q) { return q.synthetic; });
  std::string label = to_string(r.kind);
  if (synthetic > 0) label += size_t(synthetic) == r.quality.size() ? ", synthetic weights" : ", partly synthetic weights";
  if (!r.plan_hash.empty())  // merge_shards: one plan's shard folders, each case once
    label += fmt::format(", plan {} ({} shard folder{})", r.plan_hash.substr(0, 12), r.shard_dirs.size(),
                         r.shard_dirs.size() == 1 ? "" : "s");
  return label;
}

PageText index_page(const RunSet& set) {
  std::map<std::string, std::vector<const Run*>> by_hw;
  for (const Run& r : set.runs) by_hw[r.hardware].push_back(&r);
  // A column of quality runs only where there are some: the index of speed runs alone stays as it was.
  const bool any_quality =
      std::any_of(set.runs.begin(), set.runs.end(), [](const Run& r) { return r.kind == RunKind::quality; });

  std::vector<std::vector<Cell>> hw_rows;
  std::string details;
  for (const auto& [hw, runs] : by_hw) {
    std::set<std::string> frameworks, models, tools;
    int llm_runs = 0, layer_runs = 0, quality_runs = 0;
    std::string first = runs.front()->datetime, last = first;  // runs are ordered by kind first, not by time
    for (const Run* r : runs) {
      first = std::min(first, r->datetime);
      last = std::max(last, r->datetime);
      for (auto& f : run_frameworks(*r)) frameworks.insert(f);
      if (r->kind != RunKind::layer)
        for (auto& m : run_models(*r)) models.insert(m);
      tools.insert(r->origin);
      ++(r->kind == RunKind::llm ? llm_runs : r->kind == RunKind::layer ? layer_runs : quality_runs);
    }
    const std::string link = fmt::format("<a href=\"{}\">{}</a>", html_escape(page_file_name(hw)), html_escape(hw));
    std::vector<Cell> row{{link, std::nullopt}, number_cell(llm_runs, std::to_string(llm_runs)),
                          number_cell(layer_runs, std::to_string(layer_runs))};
    if (any_quality) row.push_back(number_cell(quality_runs, std::to_string(quality_runs)));
    row.insert(row.end(), {text_cell(first == last ? date_of(first) : fmt::format("{} – {}", date_of(first), date_of(last))),
                           text_cell(fmt::format("{}", fmt::join(tools, ", "))),
                           text_cell(fmt::format("{}", fmt::join(frameworks, ", "))),
                           text_cell(fmt::format("{}", fmt::join(models, ", ")))});
    hw_rows.push_back(std::move(row));
    std::vector<std::vector<Cell>> run_rows;
    for (const Run* r : runs)
      run_rows.push_back({text_cell(r->datetime), text_cell(r->origin), text_cell(run_kind_label(*r)),
                          number_cell(double(r->size()), std::to_string(r->size())),
                          text_cell(fmt::format("{}", fmt::join(run_frameworks(*r), ", "))),
                          text_cell(r->kind != RunKind::layer ? fmt::format("{}", fmt::join(run_models(*r), ", "))
                                                              : fmt::format("{} ops", run_models(*r).size()))});
    details += fmt::format("<h3>{}</h3>\n", link) +
               html_table({"run", "tool", "kind", "cases", "frameworks", "models"}, run_rows, true);
  }

  std::string body = "<h1>mtb measurements</h1>\n";
  body += fmt::format("<p class=\"muted\">{} runs on {} hardware, mtb's own and the Python ancestor's. One page per "
                      "hardware with charts, a sortable table and a “which is fastest” summary.</p>\n",
                      set.runs.size(), by_hw.size());
  std::vector<std::string> hw_header{"hardware", "LLM runs", "layer runs"};
  if (any_quality) hw_header.push_back("quality runs");
  hw_header.insert(hw_header.end(), {"dates", "tools", "frameworks", "models"});
  body += "<h2>Hardware</h2>\n" + html_table(hw_header, hw_rows, true, "hardware");
  body += "<h2>Runs</h2>\n" + details;
  if (!set.problems.empty()) {
    std::vector<std::vector<Cell>> rows;
    for (const auto& p : set.problems) rows.push_back({text_cell(p.file.string()), text_cell(p.message)});
    body += fmt::format("<h2 class=\"problem\" id=\"problems\">Skipped input ({})</h2>\n", set.problems.size()) +
            html_table({"file", "problem"}, rows, false, "problems-table");
  }
  return {html_page("mtb measurements", body, nlohmann::json::array(), ""), 0};
}

}  // namespace mtb::report
