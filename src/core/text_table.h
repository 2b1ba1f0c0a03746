// Text that every suite prints: the output formats, markdown tables, CSV lines, byte counts.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace mtb {

enum class OutputFormat { table, csv, json, jsonl, md };
OutputFormat parse_output_format(const std::string& s);  // throws on an unknown name

// A markdown table (the first row is the header); `numeric` columns are right-aligned.
std::string markdown_table(const std::vector<std::vector<std::string>>& rows, const std::vector<bool>& numeric);

std::string csv_escape(const std::string& s);
std::string csv_line(const std::vector<std::string>& cells);  // escaped, comma-separated, with "\n"

std::string format_bytes(uint64_t bytes);  // "1.12 GiB", "762.9 MiB", "12 KiB"

}  // namespace mtb
