#include "cli/quality_options.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>

#include "cli/option_checks.h"
#include "cli/run_options.h"
#include "core/axis_list.h"
#include "core/system_info.h"
#include "llm/backend.h"
#include "models/gguf_info.h"
#include "models/model_store.h"
#include "models/zoo.h"
#include "quality/quality_suite.h"

namespace mtb::cli {
namespace fs = std::filesystem;
namespace {

void check_backend(const std::string& b, const char* option) {
  const LlmBackend* be = find_llm_backend(b);
  if (!be)
    throw std::runtime_error(fmt::format("{}: backend '{}' is not available in this build (compiled in: {})", option, b,
                                         fmt::join(llm_backend_names(), ", ")));
  if (be->serves_requests())
    throw std::runtime_error(fmt::format("{}: '{}' serves requests and returns no logits: quality needs an in-process backend "
                                         "({})", option, b, fmt::join(in_process_llm_backend_names(), ", ")));
}

void check_device(const std::string& d, const char* option) {
  if (d != "cpu" && d != "cuda" && d != "metal")
    throw std::runtime_error(fmt::format("{}: unknown device '{}' (cpu, cuda, metal)", option, d));
}

void check_model(const std::string& m, const char* option) {
  if (looks_like_path(m)) {
    read_gguf_info(m);  // a clear message for a missing, truncated or corrupt file
  } else if (!find_spec(m)) {
    throw std::runtime_error(fmt::format("{}: unknown model '{}'. Did you mean: {}? (`mtb models` lists them; a GGUF path works too)",
                                         option, m, fmt::join(closest_specs(m), ", ")));
  }
}

// Memory the reference's device has free: the backend's report for a GPU, MemAvailable for the CPU.
uint64_t free_memory(const QualityReference& r) {
  if (r.device != "cpu") {
    if (const LlmBackend* b = find_llm_backend(r.backend))
      for (const auto& d : b->devices())
        if (d.name == r.device && d.memory_free > 0) return d.memory_free;
    return 0;  // unknown: no check
  }
  return available_host_memory();
}

struct Need {
  uint64_t weights = 0, logits = 0;
  uint64_t total() const { return weights + logits; }
};

// Weights at the precision, and what the evaluation holds beside them: one window's logits twice
// (the framework's output buffer and the rows handed over) and the scored positions'
// log-probabilities. Measured (docs/quality.md): the rest, compute buffers, is a few hundred MB more.
Need reference_need(const QualityAxes& a, const std::string& model, const std::string& precision) {
  Need n;
  uint64_t vocab = 0;
  if (looks_like_path(model)) {
    n.weights = fs::file_size(model);
    vocab = uint64_t(read_gguf_info(model).vocab_size);
  } else {
    const ModelSpec* s = find_spec(model);
    n.weights = s->bytes_at(precision);
    vocab = uint64_t(s->vocab_size);
  }
  const uint64_t scored = uint64_t(a.n_ctx - 1 - a.n_ctx / 2);
  n.logits = (2 * uint64_t(a.n_ctx) + scored) * vocab * sizeof(float);
  return n;
}

std::string gb(uint64_t b) { return fmt::format("{:.1f} GB", double(b) / 1e9); }

}  // namespace

void set_quality_lists(QualityAxes& a, const std::string& models, const std::string& backends, const std::string& devices,
                       const std::string& precisions, const std::string& reference) {
  a.models = split_list(models);
  a.backends = backends.empty() ? in_process_llm_backend_names() : split_list(backends);
  a.devices = split_list(devices);
  a.precisions = split_list(precisions);
  a.reference = parse_reference(reference, a.devices.empty() ? "cpu" : a.devices.front());
}

void validate_quality_axes(const QualityAxes& a) {
  for (const auto& b : a.backends) check_backend(b, "-b/--backend");
  check_backend(a.reference.backend, "--reference");
  for (const auto& d : a.devices) check_device(d, "-d/--device");
  check_device(a.reference.device, "--reference");
  for (const auto& p : a.precisions)
    if (!is_synth_precision(p))
      throw std::runtime_error(fmt::format("-t/--type: unknown precision '{}' (choose from {})", p, fmt::join(synth_precisions(), ", ")));
  if (a.reference.model.empty() && !is_synth_precision(a.reference.precision))
    throw std::runtime_error(fmt::format("--reference: unknown precision '{}' (choose from {}, or give a GGUF file)",
                                         a.reference.precision, fmt::join(synth_precisions(), ", ")));
  bool files = false;
  for (const auto& m : a.models) {
    check_model(m, "-m/--model");
    files = files || looks_like_path(m);
  }
  if (!a.reference.model.empty()) check_model(a.reference.model, "--reference");
  if (files && a.reference.model.empty())
    throw std::runtime_error("-m names GGUF files: give the file they are measured against too, as "
                             "--reference llamacpp:/path/to/model-f16.gguf");
  if (a.n_ctx < 16 || a.n_ctx > (1 << 20))
    throw std::runtime_error(fmt::format("--ctx {}: a window takes 16 to {} tokens", a.n_ctx, 1 << 20));
  for (const auto& m : a.models)
    if (const ModelSpec* s = looks_like_path(m) ? nullptr : find_spec(m); s && a.n_ctx > s->context)
      throw std::runtime_error(fmt::format("--ctx {} is beyond {}'s context of {} tokens", a.n_ctx, m, s->context));
  if (a.n_chunks < 1 || a.n_chunks > 100000) throw std::runtime_error(fmt::format("--chunks {}: 1 to 100000 windows", a.n_chunks));
  if (a.threads < 0 || a.threads > 4096) throw std::runtime_error(fmt::format("--threads {}: 0 (all physical cores) to 4096", a.threads));
  if (!std::isfinite(a.timeout_s) || a.timeout_s < 0) throw std::runtime_error("--timeout takes seconds, 0 (no limit) or more");
  if (!std::isfinite(a.max_kld) || a.max_kld < 0) throw std::runtime_error("--max-kld takes a mean KLD in nats, 0 (no gate) or more");
  if (!a.prompt_file.empty()) check_prompt_file(a.prompt_file);
}

void fit_reference(QualityAxes& a) {
  const uint64_t free = free_memory(a.reference);
  if (free == 0) return;  // no figure for this device: the case itself will say
  std::vector<std::string> models;
  if (!a.reference.model.empty()) models.push_back(a.reference.model);
  for (const auto& m : a.models)
    if (!looks_like_path(m)) models.push_back(m);
  const std::string asked = a.reference.precision;
  std::vector<std::string> tries{asked};
  if (!a.reference.chosen && asked == "f32") tries = {"f32", "bf16", "f16"};
  for (const auto& p : tries) {
    bool fits = true;
    for (const auto& m : models) fits = fits && reference_need(a, m, p).total() <= free;
    if (fits) {
      if (p != asked)
        fmt::print(stderr, "The reference runs at {}: at {} it does not fit the {} free on {}.\n", p, asked, gb(free),
                   a.reference.device);
      a.reference.precision = p;
      return;
    }
  }
  for (const auto& m : models) {
    const Need n = reference_need(a, m, asked);
    if (n.total() > free)
      throw std::runtime_error(fmt::format(
          "the reference {} ({} {} {}) needs {} ({} of weights + {} of logits for one --ctx {} window), more than the {} "
          "free on {}: choose a smaller reference (--reference {}:bf16, or a smaller --ctx) or another device",
          m, a.reference.backend, a.reference.device, a.reference.model.empty() ? asked : "file", gb(n.total()),
          gb(n.weights), gb(n.logits), a.n_ctx, gb(free), a.reference.device, a.reference.backend));
  }
}

nlohmann::json quality_axes_json(const QualityAxes& a) {
  return {{"models", a.models},
          {"backends", a.backends},
          {"devices", a.devices},
          {"precisions", a.precisions},
          {"reference", {{"backend", a.reference.backend}, {"device", a.reference.device},
                         {"precision", a.reference.precision}, {"model", a.reference.model}}},
          {"n_ctx", a.n_ctx},
          {"n_chunks", a.n_chunks},
          {"threads", a.threads},
          {"seed", a.seed},
          {"prompt_file", a.prompt_file},
          {"timeout_s", a.timeout_s},
          {"max_kld", a.max_kld}};
}

QualityAxes quality_axes_from_json(const nlohmann::json& j) {
  QualityAxes a;
  a.models = j.at("models").get<std::vector<std::string>>();
  a.backends = j.at("backends").get<std::vector<std::string>>();
  a.devices = j.at("devices").get<std::vector<std::string>>();
  a.precisions = j.at("precisions").get<std::vector<std::string>>();
  const auto& r = j.at("reference");
  a.reference.backend = r.at("backend").get<std::string>();
  a.reference.device = r.at("device").get<std::string>();
  a.reference.precision = r.at("precision").get<std::string>();
  a.reference.model = r.value("model", "");
  a.reference.chosen = true;
  a.n_ctx = j.at("n_ctx").get<int>();
  a.n_chunks = j.at("n_chunks").get<int>();
  a.threads = j.value("threads", 0);
  a.seed = j.at("seed").get<uint64_t>();
  a.prompt_file = j.value("prompt_file", "");
  a.timeout_s = j.value("timeout_s", 0.0);
  a.max_kld = j.value("max_kld", 0.0);
  return a;
}

int run_quality(const QualityAxes& a, std::optional<RunStore> resumed, DriverOptions d, const PlanOptions& plans) {
  if (!resumed && !plans.file) {
    d.settings["seed"] = a.seed;
    d.settings["plan"] = {{"axes", quality_axes_json(a)}};
  }
  auto above = std::make_shared<std::vector<std::string>>();
  const int code = run_planned(quality_suite(a, expand(a), above), std::move(resumed), d, plans);
  if (!plans.out.empty()) return code;
  if (above->empty()) return code;
  fmt::print(stderr, "Above --max-kld {:g}:\n", a.max_kld);
  for (const auto& line : *above) fmt::print(stderr, "  {}\n", line);
  return code == 0 ? 4 : code;
}

}  // namespace mtb::cli
