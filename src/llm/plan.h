// The run plan: every CLI axis is a list, the plan is their cartesian product, expanded once and
// printed before anything runs (nvbench's axes, llama-bench's comma lists).
#pragma once
#include <set>
#include <string>
#include <vector>

#include "core/axis_list.h"
#include "llm/record.h"

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
  // Backends that serve requests (LlmBackend::serves_requests: the server backend): serving load
  // applies to them. Of those, the ones whose model is the server's own (a running server, not one
  // spawned with the case's file): whatever -t says, their cases run at the first precision only.
  // Run settings from the registry and the server options, not recorded axes.
  std::set<std::string> serving, own_model;
  // Serving load, serving backends only: each concurrency x request rate is a case (0 / 0: one
  // stream, the default); `load` holds the rest of the settings (requests, duration, SLOs).
  std::vector<int> concurrency{0};
  std::vector<double> request_rate{0};
  LoadSettings load;
};

// Order: model, backend, device, precision outermost (so one model file serves consecutive cases),
// then depth, batch, threads, prompt, gen.
std::vector<CaseSpec> expand(const LlmAxes& axes);

std::string describe_plan(const LlmAxes& axes, size_t n_cases);

}  // namespace mtb
