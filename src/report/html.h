// The few HTML pieces every report page is made of: escaping, tables, and the page shell that loads
// plotly.js from beside the page and draws the figures embedded in it (no network).
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mtb::report {

std::string html_escape(std::string_view s);

// A table cell: text shown, and an optional numeric sort key (the sortable table sorts numbers as numbers).
struct Cell {
  std::string html;  // already escaped / trusted markup
  std::optional<double> sort_key;
};
Cell text_cell(std::string_view s);
Cell number_cell(double v, std::string shown);

// class="sortable" tables sort on a header click (script in the page shell).
std::string html_table(const std::vector<std::string>& header, const std::vector<std::vector<Cell>>& rows,
                       bool sortable, const std::string& id = "");

// A whole page. `figures` is a JSON array of {"div": id, "data": [...], "layout": {...}}; each is drawn
// into the element with that id by plotly.js, loaded from `plotly_src` (relative to the page).
std::string html_page(const std::string& title, const std::string& body, const nlohmann::json& figures,
                      const std::string& plotly_src);

}  // namespace mtb::report
