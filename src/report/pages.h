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

// `runs` are the runs of one hardware, any kind. `max_kld` bounds "fastest generation within KLD"
// where quality runs measured a model.
PageText hardware_page(const std::string& hardware, const std::vector<const Run*>& runs, const std::string& plotly_src,
                       double max_kld);
PageText index_page(const RunSet& set);

// Comma list of the distinct values of `field` in a run's records, e.g. frameworks or models.
std::vector<std::string> run_frameworks(const Run& r);
std::vector<std::string> run_models(const Run& r);
// A run's kind as the tables show it: "llm", "layer", "quality", and for quality runs whether their
// weights were synthetic ("quality, synthetic weights").
std::string run_kind_label(const Run& r);

}  // namespace mtb::report
