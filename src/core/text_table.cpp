#include "core/text_table.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace mtb {
namespace {

// Display width: counts UTF-8 code points, so "±" aligns.
size_t width(const std::string& s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char ch) { return (ch & 0xC0) != 0x80; }));
}

}  // namespace

OutputFormat parse_output_format(const std::string& s) {
  if (s == "table") return OutputFormat::table;
  if (s == "csv") return OutputFormat::csv;
  if (s == "json") return OutputFormat::json;
  if (s == "jsonl") return OutputFormat::jsonl;
  if (s == "md") return OutputFormat::md;
  throw std::invalid_argument("unknown output format '" + s + "' (table, csv, json, jsonl, md)");
}

std::string format_bytes(uint64_t b) {
  if (b >= (1ull << 30)) return fmt::format("{:.2f} GiB", double(b) / (1ull << 30));
  if (b >= (1ull << 20)) return fmt::format("{:.1f} MiB", double(b) / (1ull << 20));
  return fmt::format("{:.0f} KiB", double(b) / 1024);
}

std::string csv_escape(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"') out += '"';
    out += ch;
  }
  return out + "\"";
}

std::string csv_line(const std::vector<std::string>& cells) {
  std::string out;
  for (size_t i = 0; i < cells.size(); ++i) out += (i ? "," : "") + csv_escape(cells[i]);
  return out + "\n";
}

std::string markdown_table(const std::vector<std::vector<std::string>>& rows, const std::vector<bool>& numeric) {
  std::vector<size_t> w(rows[0].size(), 0);
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i) w[i] = std::max(w[i], width(r[i]));
  auto right = [&](size_t i) { return i < numeric.size() && numeric[i]; };
  std::string out;
  auto line = [&](const std::vector<std::string>& r) {
    out += "|";
    for (size_t i = 0; i < r.size(); ++i) {
      const std::string pad(w[i] - width(r[i]), ' ');
      out += " " + (right(i) ? pad + r[i] : r[i] + pad) + " |";
    }
    out += "\n";
  };
  line(rows[0]);
  out += "|";
  for (size_t i = 0; i < w.size(); ++i) out += (right(i) ? " " + std::string(w[i] - 1, '-') + ": |" : " " + std::string(w[i], '-') + " |");
  out += "\n";
  for (size_t i = 1; i < rows.size(); ++i) line(rows[i]);
  return out;
}

}  // namespace mtb
