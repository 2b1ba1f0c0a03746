// `mtb llm` as an instance of the suite driver (core/suite_driver.h): its cases, which of them share
// a worker, their model files, and the lines and tables its records print as.
#pragma once
#include <nlohmann/json.hpp>
#include <vector>

#include "core/store.h"
#include "core/suite_driver.h"
#include "llm/plan.h"

namespace mtb {

// `backend_options`: each backend's run settings by name ({"server": {...}}), sent to every worker.
Suite llm_suite(const LlmAxes& axes, const std::vector<CaseSpec>& cases, const nlohmann::json& backend_options);

CsvSchema llm_csv_schema();  // benchmark_results.csv of an LLM run

}  // namespace mtb
