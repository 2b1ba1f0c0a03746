// `mtb quality` as an instance of the suite driver (core/suite_driver.h): its cases, their model
// files and the reference file they share, and the lines and tables its records print as.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "core/store.h"
#include "core/suite_driver.h"
#include "quality/quality_plan.h"

namespace mtb {

// `above_max_kld_out`: filled once the case loop is over with the candidates above axes.max_kld.
Suite quality_suite(const QualityAxes& axes, const std::vector<QualityCase>& cases,
                    std::shared_ptr<std::vector<std::string>> above_max_kld_out);

CsvSchema quality_csv_schema();

// Where a reference's log-probabilities live inside a run folder (one file per reference).
std::string reference_file_name(const QualityCase& c);

// The gate of --max-kld over a run's records: the candidates above it, as "label: KLD" lines.
std::vector<std::string> above_max_kld(const std::vector<nlohmann::json>& records, double max_kld);

}  // namespace mtb
