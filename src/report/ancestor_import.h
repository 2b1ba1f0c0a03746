// The ancestor's benchmark_results.csv, read as it is: its column names mapped onto mtb's Record (LLM)
// and LayerRecord (layers). It recorded one mean per case and no samples, so imported records carry a
// single value per metric and no spread.
#pragma once
#include <nlohmann/json.hpp>
#include <vector>

#include "report/csv_table.h"
#include "report/run.h"

namespace mtb::report {

// Whether the header is the LLM layout (num_prompt_tokens, prompt_tps, ...) or the layer layout
// (sequence_length, median_ms, ...). Throws naming the file when it is neither.
RunKind ancestor_kind(const CsvTable& t);

// Rows that cannot be read (a missing or non-numeric value) are added to `problems` with their line.
std::vector<Record> import_llm_rows(const CsvTable& t, const nlohmann::json& settings, std::vector<Problem>& problems);
std::vector<LayerRecord> import_layer_rows(const CsvTable& t, std::vector<Problem>& problems);

}  // namespace mtb::report
