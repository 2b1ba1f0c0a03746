// `mtb check`: proves two backends compute the same function. One model, the same seeded tokens
// through both; the logits at every prompt position and at each decode step (both fed the
// reference's greedy tokens) are compared: top-1 agreement and relative error, per segment.
//
// In-process, one backend after the other: check measures no time, so the worker isolation of
// `mtb llm` buys nothing here, while keeping both logit sets in one address space avoids shipping
// positions x vocabulary floats through a pipe.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

#include "llm/backend.h"
#include "cli/commands.h"
#include "cli/option_checks.h"
#include "models/synthesis_progress.h"
#include "core/axis_list.h"
#include "core/tokens.h"
#include "models/gguf_info.h"
#include "models/model_store.h"
#include "models/zoo.h"

namespace mtb::cli {
namespace {

struct CheckOptions {
  std::string model = "tiny";
  std::string backends = "llamacpp,torch";
  std::string device = "cpu";
  std::string precision = "f32";
  int n_prompt = 32, n_gen = 8, batch = 1, threads = 0;
  uint64_t seed = 42;
  double rtol = -1, top1 = -1;  // < 0: the precision's default
  bool verbose = false;
};

// Default bounds: float32 must agree to rounding; half types and quantized weights differ by their
// own rounding (each framework rounds intermediate results differently), so their bounds are wider.
std::pair<double, double> default_bounds(const std::string& precision, const std::string& device) {  // {rtol, top1}
  // On a GPU, ggml-cuda runs f32 matrix products through f16 tensor cores: 1.9e-3 seen on an H100
  // (qwen-2.5-0.5b-it), so 5e-3 there; on the CPU both are exact f32 to ~5e-6.
  if (precision == "f32") return {device == "cpu" ? 1e-3 : 5e-3, 0.99};
  if (precision == "f16") return {5e-2, 0.95};
  // torch keeps the residual stream in bf16 (as Hugging Face models run), llama.cpp in f32: on
  // the tiny models the logits differ by up to ~9% of their largest magnitude, top-1 still ~97%.
  if (precision == "bf16") return {0.15, 0.90};
  if (precision == "q8_0") return {5e-2, 0.90};
  return {0.15, 0.80};  // 4-bit
}

// Every compared position's logits, [n_vocab] each, in order: rows x (prompt positions, steps).
struct Logits {
  std::vector<std::vector<float>> prompt, decode;
  std::vector<std::vector<Token>> fed;  // per row: the tokens the decode steps appended
};

Logits run_backend(LlmBackend& backend, const LoadRequest& req, const TokenRows& prompt, int n_gen,
                   const std::vector<std::vector<Token>>* feed) {
  if (const Support s = backend.supports(req); !s.ok)
    throw std::runtime_error(fmt::format("backend {} cannot run this check: {}", backend.name(), s.reason));
  auto session = backend.load(req);
  Logits out;
  session->reset();
  std::vector<Token> last = session->prefill(prompt);
  const size_t T = prompt[0].size();
  for (int b = 0; b < req.batch; ++b) {
    const std::vector<float> all = session->prefill_logits(b);
    const size_t V = all.size() / T;
    for (size_t t = 0; t < T; ++t) out.prompt.emplace_back(all.begin() + t * V, all.begin() + (t + 1) * V);
  }
  out.fed.assign(req.batch, {});
  std::vector<std::vector<std::vector<float>>> steps(req.batch);
  for (int i = 0; i < n_gen; ++i) {
    if (feed) for (int b = 0; b < req.batch; ++b) last[b] = (*feed)[b][i];  // the reference's tokens
    for (int b = 0; b < req.batch; ++b) out.fed[b].push_back(last[b]);
    last = session->step(last);
    for (int b = 0; b < req.batch; ++b) steps[b].push_back(session->logits_last(b));
  }
  for (auto& row : steps)
    for (auto& l : row) out.decode.push_back(std::move(l));
  return out;
}

struct Agreement {
  int n = 0, top1_same = 0;
  double max_rel = 0, sum_rel = 0;
  double top1() const { return n ? double(top1_same) / n : 1; }
  double mean_rel() const { return n ? sum_rel / n : 0; }
};

// Relative error of one position: the largest absolute difference over the reference's largest
// magnitude (an elementwise ratio would blow up at logits near zero).
Agreement compare(const std::vector<std::vector<float>>& ref, const std::vector<std::vector<float>>& got, bool verbose,
                  const char* segment) {
  Agreement a;
  for (size_t p = 0; p < ref.size(); ++p) {
    const auto &r = ref[p], &g = got[p];
    if (r.size() != g.size())
      throw std::runtime_error(fmt::format("vocabulary sizes differ: {} vs {} logits", r.size(), g.size()));
    double diff = 0, scale = 0;
    for (size_t i = 0; i < r.size(); ++i) {
      diff = std::max(diff, double(std::fabs(r[i] - g[i])));
      scale = std::max(scale, double(std::fabs(r[i])));
    }
    const double rel = scale > 0 ? diff / scale : diff;
    const auto ar = std::max_element(r.begin(), r.end()) - r.begin(), ag = std::max_element(g.begin(), g.end()) - g.begin();
    ++a.n;
    a.top1_same += ar == ag;
    a.max_rel = std::max(a.max_rel, rel);
    a.sum_rel += rel;
    if (verbose) fmt::print("  {:<7} {:>4}  top1 {:>6} {:>6}  rel {:.3e}\n", segment, p, ar, ag, rel);
  }
  return a;
}

// Every option, before a model is synthesized or loaded.
void validate_options(const CheckOptions& o) {
  check_range(o.n_prompt, 1, 1 << 20, "-p/--n-prompt", "prompt tokens");
  check_range(o.n_gen, 0, 1 << 20, "-n/--n-gen", "decode steps");
  check_range(o.batch, 1, 256, "--batch", "parallel sequences");
  check_range(o.threads, 0, 4096, "--threads", "CPU threads, 0 (physical cores)");
  if (o.rtol != -1) check_range(o.rtol, 0, 1e6, "--rtol", "a relative error");
  if (o.top1 != -1) check_range(o.top1, 0, 1, "--top1", "a fraction of positions");
  if (o.device != "cpu" && o.device != "cuda" && o.device != "metal")
    throw std::invalid_argument(fmt::format("-d/--device: unknown device '{}' (cpu, cuda, metal)", o.device));
  if (!is_synth_precision(o.precision) && o.precision != "file")
    throw std::invalid_argument(fmt::format("-t/--type: unknown precision '{}' (choose from {}, or 'file' for a GGUF as stored)",
                                            o.precision, fmt::join(synth_precisions(), ", ")));
  if (looks_like_path(o.model)) read_gguf_info(o.model);  // a clear message for a missing or corrupt file
  else if (!find_spec(o.model))
    throw std::invalid_argument(fmt::format("-m/--model: unknown model '{}'. Did you mean: {}? (`mtb models` lists them)", o.model,
                                            fmt::join(closest_specs(o.model), ", ")));
}

int run_check(const CheckOptions& o) {
  validate_options(o);
  const std::vector<std::string> names = split_list(o.backends);
  if (names.size() != 2) throw std::runtime_error("-b/--backend takes exactly two backends: reference,candidate");
  std::vector<LlmBackend*> be;
  for (const auto& n : names) {
    LlmBackend* b = find_llm_backend(n);
    if (!b)
      throw std::runtime_error(fmt::format("backend '{}' is not available in this build (compiled in: {})", n,
                                           fmt::join(llm_backend_names(), ", ")));
    be.push_back(b);
  }
  const auto [def_rtol, def_top1] = default_bounds(o.precision, o.device);
  const double rtol = o.rtol >= 0 ? o.rtol : def_rtol, top1 = o.top1 >= 0 ? o.top1 : def_top1;

  const ResolvedModel m = resolve_model(o.model, o.precision == "file" ? "bf16" : o.precision, o.seed,
                                        progress_line(o.model + " " + o.precision));
  const GgufInfo info = read_gguf_info(m.path);
  const TokenRows prompt = seeded_tokens(o.seed, 2, o.batch, o.n_prompt, info.ordinary_tokens);

  LoadRequest req;
  req.model_path = m.path.string();
  req.device = o.device;
  req.precision = o.precision;
  req.threads = o.threads;
  req.batch = o.batch;
  req.n_ctx = o.n_prompt + o.n_gen + 1;
  req.all_logits = true;
  req.kv_at_precision = true;

  fmt::print(stderr, "check: {} ({}) {} {}, {} prompt tokens + {} steps, batch {}, seed {}\n", o.model, m.path.filename().string(),
             o.device, o.precision, o.n_prompt, o.n_gen, o.batch, o.seed);
  const Logits ref = run_backend(*be[0], req, prompt, o.n_gen, nullptr);
  const Logits got = run_backend(*be[1], req, prompt, o.n_gen, &ref.fed);

  if (o.verbose) fmt::print("  segment  pos  top1 {:>6} {:>6}  rel\n", names[0], names[1]);
  const Agreement ap = compare(ref.prompt, got.prompt, o.verbose, "prompt");
  const Agreement ad = compare(ref.decode, got.decode, o.verbose, "decode");
  Agreement all = ap;
  all.n += ad.n;
  all.top1_same += ad.top1_same;
  all.max_rel = std::max(ap.max_rel, ad.max_rel);
  all.sum_rel += ad.sum_rel;

  fmt::print("{} vs {}: {} {} on {}\n", names[1], names[0], o.model, o.precision, o.device);
  fmt::print("| segment | positions | top-1 agree | max rel err | mean rel err |\n");
  fmt::print("| ------- | --------: | ----------: | ----------: | -----------: |\n");
  auto row = [](const char* name, const Agreement& a) {
    fmt::print("| {:<7} | {:>9} | {:>10.2f}% | {:>11.3e} | {:>12.3e} |\n", name, a.n, 100 * a.top1(), a.max_rel, a.mean_rel());
  };
  row("prompt", ap);
  if (ad.n) row("decode", ad);
  row("all", all);
  const bool ok = all.top1() >= top1 && all.max_rel <= rtol;
  fmt::print("{}: top-1 {:.2f}% (need >= {:.2f}%), max rel err {:.3e} (need <= {:.1e})\n", ok ? "PASS" : "FAIL",
             100 * all.top1(), 100 * top1, all.max_rel, rtol);
  return ok ? 0 : 4;
}

}  // namespace

void add_check(CLI::App& app) {
  auto o = std::make_shared<CheckOptions>();
  auto* cmd = app.add_subcommand("check", "Prove two backends compute the same function: compare their logits.");
  cmd->footer(R"(Runs one model with the same seeded tokens through two backends (the first is the reference)
and compares the logits at every prompt position and at each decode step (both backends are fed the
reference's greedy tokens). Relative error of a position = max |a - b| / max |a| over the vocabulary.

Default bounds (top-1 agreement, max relative error): f32 99%, 1e-3 (5e-3 on a GPU); f16 95%, 5e-2; bf16 90%, 0.15;
q8_0 90%, 5e-2; 4-bit 80%, 0.15. --top1 and --rtol override them.

Exit status: 0 within bounds, 4 outside them, 1 could not run (bad input included).)");
  cmd->add_option("-m,--model", o->model, "a zoo name or a GGUF path")->capture_default_str();
  cmd->add_option("-b,--backend", o->backends, "reference,candidate")->capture_default_str();
  cmd->add_option("-d,--device", o->device, "cpu, cuda, metal")->capture_default_str();
  cmd->add_option("-t,--type", o->precision, "precision both backends run at")->capture_default_str();
  cmd->add_option("-p,--n-prompt", o->n_prompt, "prompt tokens")->capture_default_str();
  cmd->add_option("-n,--n-gen", o->n_gen, "decode steps compared after the prompt")->capture_default_str();
  cmd->add_option("--batch", o->batch, "parallel sequences (each compared)")->capture_default_str();
  cmd->add_option("--threads", o->threads, "CPU threads (0: physical cores)")->capture_default_str();
  cmd->add_option("--seed", o->seed, "seed of the synthetic weights and the tokens")->capture_default_str();
  cmd->add_option("--rtol", o->rtol, "largest allowed relative error (default: by precision)");
  cmd->add_option("--top1", o->top1, "smallest allowed top-1 agreement, 0..1 (default: by precision)");
  cmd->add_flag("-v,--verbose", o->verbose, "print every position");
  cmd->callback([o] { exit_code() = run_check(*o); });
}

}  // namespace mtb::cli
