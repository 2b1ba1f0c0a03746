#include "report/html.h"

#include <fmt/format.h>

namespace mtb::report {
namespace {

constexpr const char* kStyle = R"css(
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1400px;
       padding: 0 24px 48px; color: #1d232b; background: #fff; }
h1 { font-size: 24px; margin: 20px 0 4px; } h2 { font-size: 19px; margin: 32px 0 8px; border-bottom: 1px solid #dde2e8; }
h3 { font-size: 16px; margin: 22px 0 6px; } a { color: #1f5fbf; } .muted { color: #66707c; }
nav { margin-top: 16px; } nav a { margin-right: 14px; }
table { border-collapse: collapse; margin: 8px 0; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 10px; border-bottom: 1px solid #e6e9ee; text-align: left; vertical-align: top; }
td.num { text-align: right; } th { background: #f4f6f9; position: sticky; top: 0; }
table.sortable th { cursor: pointer; user-select: none; } table.sortable th:hover { background: #e8edf4; }
th.asc::after { content: " \25B2"; } th.desc::after { content: " \25BC"; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); gap: 8px; }
.chart { height: 360px; border: 1px solid #eef0f3; border-radius: 4px; }
.charts.wide { grid-template-columns: repeat(auto-fill, minmax(640px, 1fr)); } .charts.wide .chart { height: 420px; }
.scroll { max-height: 560px; overflow: auto; border: 1px solid #eef0f3; }
.problem { color: #9b2c2c; } .win { font-weight: 600; }
)css";

// Draws every figure, then marks the body so a reader (or a test) can tell drawing finished.
constexpr const char* kScript = R"js(
(function () {
  const figures = JSON.parse(document.getElementById('mtb-figures').textContent);
  const config = { responsive: true, displaylogo: false };
  const drawn = figures.length ? Promise.all(figures.map(f => Plotly.newPlot(f.div, f.data, f.layout, config)))
                                : Promise.resolve();
  drawn.then(() => { document.body.dataset.figuresDrawn = String(figures.length); });
  document.querySelectorAll('table.sortable').forEach(table => {
    table.querySelectorAll('th').forEach((th, col) => th.addEventListener('click', () => {
      const body = table.tBodies[0], asc = !th.classList.contains('asc');
      table.querySelectorAll('th').forEach(h => h.classList.remove('asc', 'desc'));
      th.classList.add(asc ? 'asc' : 'desc');
      const key = row => { const c = row.cells[col]; return c.dataset.sort !== undefined ? parseFloat(c.dataset.sort) : c.textContent; };
      const rows = Array.from(body.rows).sort((a, b) => {
        const x = key(a), y = key(b);
        const d = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
        return asc ? d : -d;
      });
      rows.forEach(r => body.appendChild(r));
    }));
  });
})();
)js";

// JSON inside <script> must not contain "</" (it would end the script element early).
std::string script_json(const nlohmann::json& j) {
  std::string s = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '<' && i + 1 < s.size() && s[i + 1] == '/') {
      out += "<\\/";
      ++i;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += ch;
    }
  }
  return out;
}

Cell text_cell(std::string_view s) { return {html_escape(s), std::nullopt}; }
Cell number_cell(double v, std::string shown) { return {html_escape(shown), v}; }

std::string html_table(const std::vector<std::string>& header, const std::vector<std::vector<Cell>>& rows, bool sortable,
                       const std::string& id) {
  std::string out = fmt::format("<table{}{}>\n<thead><tr>", sortable ? " class=\"sortable\"" : "",
                                id.empty() ? "" : fmt::format(" id=\"{}\"", html_escape(id)));
  for (const auto& h : header) out += "<th>" + html_escape(h) + "</th>";
  out += "</tr></thead>\n<tbody>\n";
  for (const auto& row : rows) {
    out += "<tr>";
    for (const auto& c : row)
      out += c.sort_key ? fmt::format("<td class=\"num\" data-sort=\"{}\">{}</td>", *c.sort_key, c.html)
                        : "<td>" + c.html + "</td>";
    out += "</tr>\n";
  }
  return out + "</tbody></table>\n";
}

std::string html_page(const std::string& title, const std::string& body, const nlohmann::json& figures,
                      const std::string& plotly_src) {
  std::string out = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n"
      "<style>{}</style>\n</head>\n<body>\n{}\n",
      html_escape(title), kStyle, body);
  // Pages without charts (the index) do not load plotly.js at all.
  if (!figures.empty()) out += fmt::format("<script src=\"{}\"></script>\n", html_escape(plotly_src));
  out += "<script type=\"application/json\" id=\"mtb-figures\">" + script_json(figures) + "</script>\n";
  out += std::string("<script>") + kScript + "</script>\n</body>\n</html>\n";
  return out;
}

}  // namespace mtb::report
