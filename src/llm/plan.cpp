#include "llm/plan.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "llm/load.h"

namespace mtb {

namespace {

// A backend's loads: every concurrency x rate where it serves requests; one stream for the rest.
std::vector<LoadSettings> loads_of(const LlmAxes& a, const std::string& backend) {
  if (!a.serving.count(backend)) return {LoadSettings{}};
  std::vector<LoadSettings> out;
  for (int conc : a.concurrency)
    for (double rate : a.request_rate) {
      LoadSettings l = a.load;
      l.concurrency = conc;
      l.request_rate = rate;
      if (!l.active()) l = LoadSettings{};
      out.push_back(l);
    }
  return out;
}

// The largest default limit among the plan's cases, for the plan's description.
std::string longest_timeout(const LlmAxes& a) {
  double most = 0;
  for (const auto& c : expand(a)) most = std::max(most, c.timeout_s);
  return most >= 3600 ? fmt::format("{:.1f} h", most / 3600) : fmt::format("{:.0f} s", most);
}

std::string rate_text(double r) { return r == kAllAtOnce ? "inf" : r == 0 ? "closed loop" : fmt::format("{:g}/s", r); }

}  // namespace

double default_timeout_s(const CaseSpec& c, uint64_t weight_bytes) {
  const double bytes = double(weight_bytes);
  double tokens = 0, extra_s = 0;
  if (c.load.active()) {
    tokens = (double(requests_to_plan(c.load)) + c.load.warmup_requests) * (double(c.n_prompt) + c.n_gen);
    extra_s = c.load.duration_s;
  } else {
    tokens = (double(c.warmup) + c.reps) * c.batch * (double(c.n_depth) + c.n_prompt + c.n_gen);
  }
  return std::min(kMaxTimeoutS, std::ceil(600 + extra_s + bytes / 100e6 + tokens * bytes / 4e9));
}

namespace {

// The placements of a device's cases: the plan's on a GPU; the CPU has one.
std::vector<GpuPlacement> placements_of(const LlmAxes& a, const std::string& device) {
  if (device == "cpu") return {GpuPlacement{}};
  std::vector<GpuPlacement> out;
  for (const auto& sm : a.split_modes)
    for (const auto& ts : a.tensor_splits)
      for (int mg : a.main_gpus)
        for (const auto& g : a.gpu_sets) out.push_back({sm, ts, mg, g});
  return out;
}

}  // namespace

std::vector<CaseSpec> expand(const LlmAxes& a) {
  std::vector<CaseSpec> cases;
  for (const auto& m : a.models)
    for (const auto& b : a.backends)
      for (const auto& d : a.devices)
        for (const auto& p : a.precisions)
          for (const GpuPlacement& gpu : placements_of(a, d))
            for (int depth : a.n_depth)
              for (int batch : a.batch)
                for (int threads : a.threads)
                  for (int np : a.n_prompt)
                    for (int ng : a.n_gen) {
                      if (np == 0 && ng == 0) continue;  // nothing to time
                      if (a.own_model.count(b) && p != a.precisions.front()) continue;
                      for (const LoadSettings& load : loads_of(a, b)) {
                        CaseSpec c;
                        c.model = m;
                        c.backend = b;
                        c.device = d;
                        c.precision = p;
                        c.n_depth = depth;
                        c.batch = batch;
                        c.threads = threads;
                        c.n_prompt = np;
                        c.n_gen = ng;
                        c.reps = a.reps;
                        c.warmup = a.warmup;
                        c.ci_stop = a.ci_stop;
                        c.seed = a.seed;
                        c.load = load;
                        const auto bytes = a.weight_bytes.find(m + "|" + p);
                        c.timeout_s = a.timeout_s != kAutoTimeout ? a.timeout_s
                                      : default_timeout_s(c, bytes == a.weight_bytes.end() ? 0 : bytes->second);
                        c.prompt_file = a.prompt_file;
                        c.gpu = gpu;
                        cases.push_back(c);
                      }
                    }
  return cases;
}

std::string describe_plan(const LlmAxes& a, size_t n_cases) {
  auto threads = fmt::format("{}", fmt::join(a.threads, ","));
  if (a.threads == std::vector<int>{0}) threads = "auto";
  std::string s;
  s += fmt::format("  models      {}\n", fmt::join(a.models, ", "));
  s += fmt::format("  backends    {}\n", fmt::join(a.backends, ", "));
  for (const auto& b : a.backends)
    if (a.own_model.count(b) && a.precisions.size() > 1)
      s += fmt::format("              ({}: the model it has loaded, measured once, as -t {})\n", b, a.precisions.front());
  s += fmt::format("  devices     {}\n", fmt::join(a.devices, ", "));
  s += fmt::format("  precisions  {}\n", fmt::join(a.precisions, ", "));
  s += fmt::format("  n_prompt    {}\n", fmt::join(a.n_prompt, ", "));
  s += fmt::format("  n_gen       {}\n", fmt::join(a.n_gen, ", "));
  if (a.n_depth != std::vector<int>{0}) s += fmt::format("  n_depth     {}\n", fmt::join(a.n_depth, ", "));
  if (a.batch != std::vector<int>{1}) s += fmt::format("  batch       {}\n", fmt::join(a.batch, ", "));
  s += fmt::format("  threads     {}\n", threads);
  const bool placed = a.split_modes != std::vector<std::string>{"layer"} || a.tensor_splits != std::vector<std::string>{""} ||
                      a.main_gpus != std::vector<int>{0} || a.gpu_sets != std::vector<std::string>{"all"};
  if (placed) {
    std::vector<std::string> ts;
    for (const auto& t : a.tensor_splits) ts.push_back(t.empty() ? "by free memory" : t);
    s += fmt::format("  gpus        {} (GPU devices): split mode {}, tensor split {}, main GPU {}\n", fmt::join(a.gpu_sets, ", "),
                     fmt::join(a.split_modes, ", "), fmt::join(ts, ", "), fmt::join(a.main_gpus, ", "));
  }
  if (a.concurrency != std::vector<int>{0} || a.request_rate != std::vector<double>{0}) {
    std::vector<std::string> rates;
    for (double r : a.request_rate) rates.push_back(rate_text(r));
    s += fmt::format("  load        -b server: concurrency {}, request rate {}, {} requests{}{}\n", fmt::join(a.concurrency, ", "),
                     fmt::join(rates, ", "), a.load.num_requests > 0 ? std::to_string(a.load.num_requests) : "default",
                     a.load.duration_s > 0 ? fmt::format(" or {:g} s", a.load.duration_s) : "",
                     a.load.warmup_requests ? fmt::format(" (+{} warm-up)", a.load.warmup_requests) : "");
  }
  if (a.ci_stop > 0)
    s += fmt::format("  repetitions {} to {} (prompt and generation each stop once their median's 95% CI is within ±{:g}%; +{} warm-up), seed {}\n",
                     std::min(a.reps, kMinRepsForStop), a.reps, 100 * a.ci_stop, a.warmup, a.seed);
  else
    s += fmt::format("  repetitions {} (+{} warm-up), seed {}\n", a.reps, a.warmup, a.seed);
  if (a.timeout_s == kAutoTimeout) s += "  timeout     auto (--timeout): the longest case may take " + longest_timeout(a) + "\n";
  else if (a.timeout_s > 0) s += fmt::format("  timeout     {:g} s a case\n", a.timeout_s);
  s += fmt::format("  prompt      {}\n", a.prompt_file.empty() ? "seeded token ids" : "text of " + a.prompt_file);
  s += fmt::format("  = {} case{}", n_cases, n_cases == 1 ? "" : "s");
  return s;
}

}  // namespace mtb
