// A CSV file as header + rows of strings (RFC 4180 quoting), for reading the ancestor's
// benchmark_results.csv. Every error names the file and line, so a bad file can be reported and skipped.
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace mtb::report {

struct CsvTable {
  std::filesystem::path path;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<int> row_lines;  // 1-based line of each row in the file, for messages

  std::optional<size_t> column(const std::string& name) const;
};

// Parses `text`; `path` only names the file in errors. Throws std::runtime_error on an unterminated
// quote or a row whose field count differs from the header's.
CsvTable parse_csv(const std::string& text, const std::filesystem::path& path);
CsvTable read_csv(const std::filesystem::path& path);

}  // namespace mtb::report
