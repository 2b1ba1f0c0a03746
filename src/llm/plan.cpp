#include "llm/plan.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <stdexcept>

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

std::string rate_text(double r) { return r == kAllAtOnce ? "inf" : r == 0 ? "closed loop" : fmt::format("{:g}/s", r); }

}  // namespace

std::vector<CaseSpec> expand(const LlmAxes& a) {
  std::vector<CaseSpec> cases;
  for (const auto& m : a.models)
    for (const auto& b : a.backends)
      for (const auto& d : a.devices)
        for (const auto& p : a.precisions)
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
                      c.timeout_s = a.timeout_s;
                      c.prompt_file = a.prompt_file;
                      c.load = load;
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
  s += fmt::format("  prompt      {}\n", a.prompt_file.empty() ? "seeded token ids" : "text of " + a.prompt_file);
  s += fmt::format("  = {} case{}", n_cases, n_cases == 1 ? "" : "s");
  return s;
}

}  // namespace mtb
