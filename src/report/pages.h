// The two kinds of page of the report, as HTML strings (site.cpp writes them).
#pragma once
#include <string>
#include <vector>

#include "report/run.h"

namespace mtb::report {

struct PageText {
  std::string html;
  int figures = 0;
};

// `runs` are the runs of one hardware, any kind.
PageText hardware_page(const std::string& hardware, const std::vector<const Run*>& runs, const std::string& plotly_src);
PageText index_page(const RunSet& set);

// Comma list of the distinct values of `field` in a run's records, e.g. frameworks or models.
std::vector<std::string> run_frameworks(const Run& r);
std::vector<std::string> run_models(const Run& r);

}  // namespace mtb::report
