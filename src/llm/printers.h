// Readers of the LLM record for the terminal and for pipes: -o table|csv|json|jsonl|md, all from the
// record's field table (llm/record.h).
#pragma once
#include <string>
#include <vector>

#include "core/text_table.h"
#include "llm/record.h"

namespace mtb {

std::string format_records(const std::vector<Record>& records, OutputFormat f);

// "1234.5 ± 12.3" from a throughput summary (mean ± stddev, as llama-bench prints).
std::string format_rate(const Summary& s);

}  // namespace mtb
