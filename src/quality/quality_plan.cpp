#include "quality/quality_plan.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <stdexcept>

#include "core/axis_list.h"
#include "models/gguf_info.h"
#include "models/model_store.h"

namespace mtb {

QualityReference parse_reference(const std::string& text, const std::string& default_device) {
  std::vector<std::string> parts;
  for (size_t at = 0;;) {
    const size_t colon = text.find(':', at);
    parts.push_back(text.substr(at, colon - at));
    if (colon == std::string::npos) break;
    at = colon + 1;
  }
  if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() || parts[1].empty())
    throw std::runtime_error(fmt::format("--reference '{}': expected BACKEND:PRECISION[:DEVICE] (llamacpp:f32) or "
                                         "BACKEND:FILE.gguf[:DEVICE]", text));
  QualityReference r;
  r.backend = parts[0];
  r.device = parts.size() == 3 ? parts[2] : default_device;
  r.chosen = text != kDefaultReference;
  if (looks_like_path(parts[1])) {
    r.model = parts[1];
    r.precision = "file";
  } else {
    r.precision = parts[1];
  }
  return r;
}

std::vector<QualityCase> expand(const QualityAxes& a) {
  auto base = [&](const std::string& model) {
    QualityCase c;
    c.model = model;
    c.n_ctx = a.n_ctx;
    c.n_chunks = a.n_chunks;
    c.threads = a.threads;
    c.seed = a.seed;
    c.prompt_file = a.prompt_file;
    c.timeout_s = a.timeout_s;
    c.ref_backend = a.reference.backend;
    c.ref_device = a.reference.device;
    c.ref_precision = a.reference.precision;
    c.ref_model = a.reference.model.empty() ? model : a.reference.model;
    return c;
  };
  std::vector<QualityCase> out;
  auto reference = [&](const std::string& model) {
    QualityCase r = base(model);
    r.reference = true;
    r.backend = a.reference.backend;
    r.device = a.reference.device;
    r.precision = a.reference.precision;
    out.push_back(r);
  };
  auto candidates = [&](const std::string& model, const std::vector<std::string>& precisions) {
    for (const auto& b : a.backends)
      for (const auto& d : a.devices)
        for (const auto& p : precisions) {
          QualityCase c = base(model);
          c.backend = b;
          c.device = d;
          c.precision = p;
          out.push_back(c);
        }
  };
  bool files = false;
  for (const auto& m : a.models) {
    if (looks_like_path(m)) {
      files = true;
      continue;
    }
    reference(m);
    candidates(m, a.precisions);
  }
  if (files) {
    reference(a.reference.model);
    for (const auto& m : a.models)
      if (looks_like_path(m)) {
        const std::string stored = read_gguf_info(m).precision;
        candidates(m, {stored.empty() ? "file" : stored});
      }
  }
  return out;
}

std::string describe_plan(const QualityAxes& a, size_t n_cases) {
  std::string s;
  s += fmt::format("  models      {}\n", fmt::join(a.models, ", "));
  s += fmt::format("  reference   {} {} {}{}\n", a.reference.backend, a.reference.device,
                   a.reference.model.empty() ? a.reference.precision : a.reference.model,
                   a.reference.model.empty() ? " of each model" : "");
  s += fmt::format("  candidates  {} x {} x {}\n", fmt::join(a.backends, ","), fmt::join(a.devices, ","),
                   fmt::join(a.precisions, ","));
  const int scored = a.n_ctx - 1 - a.n_ctx / 2;
  s += fmt::format("  tokens      {} windows of {} ({} scored each), {}\n", a.n_chunks, a.n_ctx, scored,
                   a.prompt_file.empty() ? fmt::format("seeded token ids (seed {})", a.seed) : "text of " + a.prompt_file);
  if (a.max_kld > 0) s += fmt::format("  gate        mean KLD <= {:g}\n", a.max_kld);
  s += fmt::format("  = {} case{}", n_cases, n_cases == 1 ? "" : "s");
  return s;
}

}  // namespace mtb
