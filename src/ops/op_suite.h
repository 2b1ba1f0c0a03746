// `mtb ops` as an instance of the suite driver (core/suite_driver.h): a worker per case, the float64
// references of one shape cached for the run, and the lines and tables its records print as.
#pragma once
#include <vector>

#include "core/store.h"
#include "core/suite_driver.h"
#include "ops/op_plan.h"

namespace mtb::ops {

Suite op_suite(const OpAxes& axes, const std::vector<OpCase>& cases);

CsvSchema op_csv_schema();  // benchmark_results.csv of an ops run

}  // namespace mtb::ops
