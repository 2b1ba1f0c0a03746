// The run plan: every CLI axis is a list, the plan is their cartesian product, expanded once and
// printed before anything runs (nvbench's axes, llama-bench's comma lists).
#pragma once
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/axis_list.h"
#include "llm/record.h"

namespace mtb {

// Limits of the options that size a case (the worker allocates by them), and of any timeout.
inline constexpr int kMaxBatch = 4096;
inline constexpr int kMaxThreads = 4096;
inline constexpr double kMaxTimeoutS = 7 * 24 * 3600.0;  // a week
inline constexpr double kAutoTimeout = -1;               // LlmAxes::timeout_s: default_timeout_s per case

struct LlmAxes {
  std::vector<std::string> models, backends, devices, precisions;
  std::vector<int> n_prompt, n_gen, n_depth, batch, threads;
  // Placement on a host's GPUs (llama-bench's -sm, -ts, -mg, -dev), canonical text; a CPU case
  // takes only the defaults.
  std::vector<std::string> split_modes{"layer"}, tensor_splits{""}, gpu_sets{"all"};
  std::vector<int> main_gpus{0};
  int reps = 5;
  int warmup = 1;
  double ci_stop = 0;  // see CaseSpec::ci_stop
  uint64_t seed = 42;
  double timeout_s = kAutoTimeout;  // seconds a case may take (0: no limit; kAutoTimeout: default_timeout_s)
  std::string prompt_file;
  // Each model's weight bytes at each precision ("model|precision"): what the default timeout scales
  // with. A run setting (from the zoo or the file), not a recorded axis.
  std::map<std::string, uint64_t> weight_bytes;
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
// then the GPU placement, depth, batch, threads, prompt, gen.
std::vector<CaseSpec> expand(const LlmAxes& axes);

// The default limit of a case, generous for any machine that can run it: 600 s, plus the weights'
// load at 100 MB/s, plus every pass's tokens (warm-up and repetitions, each batch x (depth + prompt
// + generated)) at a decode step's cost of reading the weights at 4 GB/s; a load case: its requests'
// tokens at that rate plus --duration. At most kMaxTimeoutS.
double default_timeout_s(const CaseSpec& c, uint64_t weight_bytes);

std::string describe_plan(const LlmAxes& axes, size_t n_cases);

}  // namespace mtb
