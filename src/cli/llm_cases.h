// `mtb llm`'s case loop: pending cases through worker processes, a worker per run of cases that
// share a model's weights, each record appended to the store as it arrives (llm_cases.cpp).
#pragma once
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "core/record.h"
#include "core/store.h"

namespace mtb::cli {

struct CaseLoopOptions {
  bool verbose = false;  // copy the workers' output to stderr
  double cooldown = 0;   // pause this fraction of each case's time after it
};

struct CaseLoopResult {
  int n_failed = 0;
  bool stopped = false;  // Ctrl-C: cases are left for --resume
};

// Runs every case whose key is not in `done`, in plan order; adds each recorded key to `done`.
CaseLoopResult run_cases(const std::vector<CaseSpec>& cases, std::set<std::string>& done, RunStore& store,
                         const nlohmann::json& backend_options, const CaseLoopOptions& o);

// A record for a case that produced none of its own (skipped before it ran, or its worker died).
Record failed_record(const CaseSpec& c, Status st, const std::string& why);

}  // namespace mtb::cli
