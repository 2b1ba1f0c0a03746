#include "report/csv_table.h"

#include <fmt/format.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace mtb::report {

std::optional<size_t> CsvTable::column(const std::string& name) const {
  for (size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return i;
  return std::nullopt;
}

CsvTable parse_csv(const std::string& text, const std::filesystem::path& path) {
  CsvTable t;
  t.path = path;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false, row_has_data = false;
  int line = 1, row_line = 1;
  auto end_row = [&] {
    row.push_back(std::move(field));
    field.clear();
    if (t.header.empty()) {
      t.header = std::move(row);
    } else if (!(row.size() == 1 && row[0].empty())) {  // blank lines carry nothing
      if (row.size() != t.header.size())
        throw std::runtime_error(fmt::format("{}:{}: {} fields, the header has {}", path.string(), row_line,
                                             row.size(), t.header.size()));
      t.rows.push_back(std::move(row));
      t.row_lines.push_back(row_line);
    }
    row.clear();
    row_has_data = false;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (ch == '\n') ++line;
    if (quoted) {
      if (ch == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (ch == '"') {
        quoted = false;
      } else {
        field += ch;
      }
      continue;
    }
    if (!row_has_data) row_line = line;
    row_has_data = true;
    if (ch == '"') {
      quoted = true;
    } else if (ch == ',') {
      row.push_back(std::move(field));
      field.clear();
    } else if (ch == '\n') {
      end_row();
    } else if (ch != '\r') {
      field += ch;
    }
  }
  if (quoted) throw std::runtime_error(fmt::format("{}:{}: unterminated quoted field", path.string(), row_line));
  if (row_has_data && !(row.empty() && field.empty())) end_row();
  if (t.header.empty() || (t.header.size() == 1 && t.header[0].empty()))
    throw std::runtime_error(fmt::format("{}: empty file (no header line)", path.string()));
  return t;
}

CsvTable read_csv(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("{}: cannot open", path.string()));
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_csv(ss.str(), path);
}

}  // namespace mtb::report
