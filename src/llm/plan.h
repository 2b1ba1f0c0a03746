// The run plan: every CLI axis is a list, the plan is their cartesian product, expanded once and
// printed before anything runs (nvbench's axes, llama-bench's comma lists).
#pragma once
#include <string>
#include <vector>

#include "core/record.h"

namespace mtb {

struct LlmAxes {
  std::vector<std::string> models, backends, devices, precisions;
  std::vector<int> n_prompt, n_gen, n_depth, batch, threads;
  int reps = 5;
  int warmup = 1;
  double ci_stop = 0;  // see CaseSpec::ci_stop
  uint64_t seed = 42;
  double timeout_s = 0;
  std::string prompt_file;
};

// Order: model, backend, device, precision outermost (so one model file serves consecutive cases),
// then depth, batch, threads, prompt, gen.
std::vector<CaseSpec> expand(const LlmAxes& axes);

// "a,b,c" -> {"a","b","c"}; empty items are an error.
std::vector<std::string> split_list(const std::string& s);
// "64,256,1k" -> ints; accepts k suffix (x1024). Throws with the bad item named.
std::vector<int> parse_int_list(const std::string& s, const std::string& what);

std::string describe_plan(const LlmAxes& axes, size_t n_cases);

}  // namespace mtb
