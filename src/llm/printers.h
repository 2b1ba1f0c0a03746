// Readers of the record for the terminal and for pipes: -o table|csv|json|jsonl|md.
#pragma once
#include <string>
#include <vector>

#include "core/record.h"

namespace mtb {

enum class OutputFormat { table, csv, json, jsonl, md };
OutputFormat parse_output_format(const std::string& s);  // throws on an unknown name

std::string format_records(const std::vector<Record>& records, OutputFormat f);

// A markdown table (the first row is the header); `numeric` columns are right-aligned.
std::string markdown_table(const std::vector<std::vector<std::string>>& rows, const std::vector<bool>& numeric);

// "1234.5 ± 12.3" from a throughput summary (mean ± stddev, as llama-bench prints).
std::string format_rate(const Summary& s);
std::string format_bytes(uint64_t bytes);

}  // namespace mtb
