#include "models/model_store.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <future>
#include <set>
#include <stdexcept>
#include <thread>

#include "models/cache_integrity.h"
#include "models/zoo.h"

#ifndef MTB_LLAMACPP_DIR
#define MTB_LLAMACPP_DIR ""
#endif

namespace mtb {
namespace fs = std::filesystem;
namespace {

bool is_quantized(const std::string& precision) {
  return precision != "f32" && precision != "f16" && precision != "bf16";
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

uint64_t spec_hash(const ModelSpec& s) {
  const std::string text = fmt::format(
      "{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}", s.arch, s.vocab, s.hidden, s.layers, s.heads,
      s.kv_heads, s.head_dim, s.ffn, s.vocab_size, s.context, s.rope_theta, s.norm_eps, s.rope_scaling.type,
      s.rope_scaling.factor, s.rope_scaling.original_context, s.tied_embeddings, s.qkv_bias, s.qk_norm, s.sliding_window,
      s.sliding_window_pattern, s.rope_local_theta, s.init_std, kSynthVersion);
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
  return h;
}

// Writes through a temporary name (the pid in it: remove_dead_temporaries finds a killed one's) and
// renames, so an interrupted synthesis never leaves a file that a later run would take for a
// finished one; the size and checksum are recorded before the rename.
template <typename Fn>
void produce(const fs::path& dest, Fn&& write) {
  const fs::path tmp = dest.string() + fmt::format(".tmp{}", getpid());
  try {
    write(tmp);
    record_integrity(tmp, dest);
  } catch (...) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw;
  }
  fs::rename(tmp, dest);
}

// A cached file that is whole, by its recorded size and checksum; a damaged one is removed (and
// said), so it is made again rather than loaded.
bool whole_in_cache(const fs::path& file) {
  if (!fs::exists(file)) return false;
  const std::string problem = integrity_problem(file);
  if (problem.empty()) return true;
  fmt::print(stderr, "warning: the cached model {}: {}; it is made again\n", file.string(), problem);
  std::error_code ec;
  fs::remove(file, ec);
  fs::remove(check_file_of(file), ec);
  return false;
}

}  // namespace

fs::path cache_dir() {
  if (auto d = env("MTB_CACHE_DIR"); !d.empty()) return d;
  if (auto d = env("XDG_CACHE_HOME"); !d.empty()) return fs::path(d) / "mtb";
  const std::string home = env("HOME");
#ifdef __APPLE__
  return fs::path(home) / "Library" / "Caches" / "mtb";
#else
  return fs::path(home.empty() ? "/tmp" : home) / ".cache" / "mtb";
#endif
}

fs::path calibration_file() { return cache_dir() / "calibration.json"; }

fs::path vocab_dir() {
  if (auto d = env("MTB_VOCAB_DIR"); !d.empty()) return d;
  return fs::path(MTB_LLAMACPP_DIR) / "models";
}

bool looks_like_path(const std::string& model) {
  return model.find('/') != std::string::npos || (model.size() > 5 && model.substr(model.size() - 5) == ".gguf");
}

std::string synthetic_file_name(const ModelSpec& spec, const std::string& precision, uint64_t seed) {
  return fmt::format("{}.{}.seed{}.{:08x}.gguf", spec.name, precision, seed, spec_hash(spec) & 0xffffffffu);
}

ResolvedModel resolve_model(const std::string& model, const std::string& precision, uint64_t seed,
                            const ProgressFn& progress) {
  ResolvedModel r;
  r.name = model;
  if (looks_like_path(model)) {
    r.path = model;
    return r;
  }
  const ModelSpec* spec = find_spec(model);
  if (!spec)
    throw std::runtime_error(fmt::format("unknown model '{}'. Did you mean: {}? (`mtb models` lists them all; a GGUF path works too)",
                                         model, fmt::join(closest_specs(model), ", ")));
  if (!is_synth_precision(precision))
    throw std::runtime_error(fmt::format("precision '{}' cannot be synthesized; choose from {}", precision,
                                         fmt::join(synth_precisions(), ", ")));
  r.synthetic = true;
  const fs::path dir = cache_dir() / "models";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw std::runtime_error(fmt::format("cannot create the model cache {}: {}", dir.string(), ec.message()));
  remove_dead_temporaries(dir);
  r.path = dir / synthetic_file_name(*spec, precision, seed);
  if (whole_in_cache(r.path)) return r;

  const fs::path vocab = vocab_dir() / fmt::format("ggml-vocab-{}.gguf", spec->vocab);
  if (!fs::exists(vocab))
    throw std::runtime_error(fmt::format("tokenizer file {} not found: run scripts/setup.sh (or set MTB_VOCAB_DIR)", vocab.string()));
  r.created = true;
  // Float, q8_0 and q4_0 files are drawn straight from the seed (quantized ones as llama.cpp quantizes
  // the bf16 file, without making it); q4_k_m starts from the bf16 model, as a user would.
  if (synthesizes_directly(precision)) {
    produce(r.path, [&](const fs::path& tmp) { write_synthetic_gguf(*spec, precision, seed, vocab, tmp, progress); });
    return r;
  }
  const ResolvedModel base = resolve_model(model, "bf16", seed, progress);
  produce(r.path, [&](const fs::path& tmp) {
    quantize_gguf(base.path, tmp, precision, static_cast<int>(std::thread::hardware_concurrency()));
  });
  return r;
}

void synthesize_ahead(const std::string& model, const std::vector<std::string>& precisions, uint64_t seed,
                      const ProgressFn& progress, const std::function<void(const std::vector<std::string>&)>& starting) {
  const ModelSpec* spec = looks_like_path(model) ? nullptr : find_spec(model);
  if (!spec) return;
  std::set<std::string> missing;
  for (const std::string& p : precisions)
    if (is_synth_precision(p) && is_quantized(p) && !whole_in_cache(cache_dir() / "models" / synthetic_file_name(*spec, p, seed)))
      missing.insert(p);
  if (missing.size() < 2) return;  // nothing to overlap
  try {
    if (std::any_of(missing.begin(), missing.end(), [](const std::string& p) { return !synthesizes_directly(p); }))
      resolve_model(model, "bf16", seed, progress);
  } catch (const std::exception&) {
    return;
  }
  if (starting) starting({missing.begin(), missing.end()});
  // Each job writes its own temporary name (the precision is in it) and renames it when done.
  std::vector<std::future<void>> jobs;
  for (const std::string& p : missing)
    jobs.push_back(std::async(std::launch::async, [&model, p, seed] { resolve_model(model, p, seed, {}); }));
  for (auto& j : jobs) {
    try {
      j.get();
    } catch (const std::exception&) {
    }
  }
}

}  // namespace mtb
