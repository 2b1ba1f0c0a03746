#include "core/plan.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <stdexcept>

namespace mtb {

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t comma = s.find(',', start);
    std::string item = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (item.empty()) throw std::invalid_argument(fmt::format("empty item in list '{}'", s));
    out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::vector<int> parse_int_list(const std::string& s, const std::string& what) {
  std::vector<int> out;
  for (const auto& item : split_list(s)) {
    std::string digits = item;
    long mult = 1;
    if (!digits.empty() && (digits.back() == 'k' || digits.back() == 'K')) {
      mult = 1024;
      digits.pop_back();
    }
    size_t used = 0;
    long v = 0;
    try {
      v = std::stol(digits, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != digits.size() || digits.empty() || v < 0 || v * mult > 1'000'000'000)
      throw std::invalid_argument(fmt::format("{}: '{}' is not a non-negative whole number", what, item));
    out.push_back(static_cast<int>(v * mult));
  }
  return out;
}

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
                    cases.push_back(c);
                  }
  return cases;
}

std::string describe_plan(const LlmAxes& a, size_t n_cases) {
  auto threads = fmt::format("{}", fmt::join(a.threads, ","));
  if (a.threads == std::vector<int>{0}) threads = "auto";
  std::string s;
  s += fmt::format("  models      {}\n", fmt::join(a.models, ", "));
  s += fmt::format("  backends    {}\n", fmt::join(a.backends, ", "));
  s += fmt::format("  devices     {}\n", fmt::join(a.devices, ", "));
  s += fmt::format("  precisions  {}\n", fmt::join(a.precisions, ", "));
  s += fmt::format("  n_prompt    {}\n", fmt::join(a.n_prompt, ", "));
  s += fmt::format("  n_gen       {}\n", fmt::join(a.n_gen, ", "));
  if (a.n_depth != std::vector<int>{0}) s += fmt::format("  n_depth     {}\n", fmt::join(a.n_depth, ", "));
  if (a.batch != std::vector<int>{1}) s += fmt::format("  batch       {}\n", fmt::join(a.batch, ", "));
  s += fmt::format("  threads     {}\n", threads);
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
