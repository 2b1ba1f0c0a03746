#include "ops/op_plan.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <set>
#include <stdexcept>

namespace mtb::ops {

std::vector<OpCase> expand(const OpAxes& a, const PlanHooks& hooks) {
  std::vector<OpCase> out;
  std::set<std::string> seen;
  const std::vector<int> one_head{1};
  const std::vector<std::string> no_mask{"none"}, no_quant{""};
  for (const auto& op_name : a.ops) {
    const Op op = op_from_name(op_name);
    const auto& heads = uses_heads(op) ? a.heads : one_head;
    const auto& masks = uses_mask(op) ? a.masks : no_mask;
    const auto& quants = uses_quant(op) ? a.quants : no_quant;
    for (const auto& dtype : a.dtypes)
      for (const auto& quant : quants)
        for (int h : heads)
          for (const auto& mask : masks)
            for (int b : a.batch)
              for (int t : a.seq)
                for (int d : a.feature)
                  for (int th : a.threads)
                    for (const auto& device : a.devices)
                      for (const auto& backend : a.backends) {
                        if (!quant.empty() && hooks.has_quant && !hooks.has_quant(backend, quant)) continue;
                        std::vector<std::string> variants{"eager"};
                        if (hooks.variants)
                          for (const auto& v : hooks.variants(backend, device)) variants.push_back(v);
                        for (const auto& variant : variants) {
                          OpCase c = a.timing;
                          c.op = op_name;
                          c.backend = backend;
                          c.variant = variant;
                          c.device = device;
                          c.dtype = dtype;
                          c.quant = quant;
                          c.mask = mask;
                          c.batch = b;
                          c.seq = t;
                          c.feature = d;
                          c.heads = h;
                          c.threads = th;
                          if (seen.insert(c.key()).second) out.push_back(c);
                        }
                      }
  }
  return out;
}

void validate(const OpAxes& a) {
  for (const auto& o : a.ops) op_from_name(o);  // throws listing the names
  for (const auto& d : a.dtypes) dtype_bytes(d);
  for (const auto& m : a.masks)
    if (m != "none" && m != "causal") throw std::runtime_error(fmt::format("unknown mask '{}' (none, causal)", m));
  for (const auto& q : a.quants) quant_bytes_per_weight(q, 32);
  for (const auto& d : a.devices)
    if (d != "cpu" && d != "cuda" && d != "metal") throw std::runtime_error(fmt::format("unknown device '{}' (cpu, cuda, metal)", d));
  auto positive = [](const std::vector<int>& v, const char* what) {
    for (int x : v)
      if (x < 1) throw std::runtime_error(fmt::format("{} values must be at least 1 (got {})", what, x));
  };
  positive(a.batch, "--batch");
  positive(a.seq, "--seq");
  positive(a.feature, "--feature");
  positive(a.heads, "--heads");
  for (int d : a.feature) {
    for (int h : a.heads)
      if (d % h != 0 || (d / h) % 2 != 0)
        throw std::runtime_error(fmt::format("--feature {} and --heads {}: the head size must be a whole even number", d, h));
    if (d % 32 != 0) throw std::runtime_error(fmt::format("--feature {}: must be a multiple of 32 (quant blocks)", d));
  }
  if (a.timing.time_cap_s <= 0) throw std::runtime_error("--time-cap must be positive");
  if (a.timing.min_reps < 2) throw std::runtime_error("--min-reps must be at least 2");
}

std::string describe_plan(const OpAxes& a, size_t n) {
  return fmt::format(
      "  ops      {}\n  backends {}   devices {}   dtypes {}\n  batch {}   seq {}   feature {}   heads {}   mask {}   "
      "quant {}\n  timing: {} warm-up calls, then calls until the 95% interval is within {:.0f}% of the median "
      "(at least {}), or {} s\n  {} cases",
      fmt::join(a.ops, ","), fmt::join(a.backends, ","), fmt::join(a.devices, ","), fmt::join(a.dtypes, ","),
      fmt::join(a.batch, ","), fmt::join(a.seq, ","), fmt::join(a.feature, ","), fmt::join(a.heads, ","),
      fmt::join(a.masks, ","), fmt::join(a.quants, ","), a.timing.warmup, 100 * a.timing.target_rel_ci,
      a.timing.min_reps, a.timing.time_cap_s, n);
}

nlohmann::json to_json(const OpAxes& a) {
  return {{"ops", a.ops},         {"backends", a.backends}, {"devices", a.devices}, {"dtypes", a.dtypes},
          {"masks", a.masks},     {"quants", a.quants},     {"batch", a.batch},     {"seq", a.seq},
          {"feature", a.feature}, {"heads", a.heads},       {"threads", a.threads}, {"timing", a.timing}};
}

OpAxes axes_from_json(const nlohmann::json& j) {
  OpAxes a;
  j.at("ops").get_to(a.ops);
  j.at("backends").get_to(a.backends);
  j.at("devices").get_to(a.devices);
  j.at("dtypes").get_to(a.dtypes);
  j.at("masks").get_to(a.masks);
  j.at("quants").get_to(a.quants);
  j.at("batch").get_to(a.batch);
  j.at("seq").get_to(a.seq);
  j.at("feature").get_to(a.feature);
  j.at("heads").get_to(a.heads);
  j.at("threads").get_to(a.threads);
  a.timing = j.at("timing").get<OpCase>();
  return a;
}

}  // namespace mtb::ops
