// `mtb models`: the zoo, with parameter counts, sizes per precision and the backends that run each;
// `mtb models --path NAME` synthesizes a model (if not cached) and prints its GGUF path.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "llm/backend.h"
#include "cli/commands.h"
#include "models/synthesis_progress.h"
#include "core/axis_list.h"
#include "core/text_table.h"
#include "models/model_store.h"
#include "models/zoo.h"

namespace mtb::cli {
namespace {

struct ModelsOptions {
  bool all = false;
  bool json = false;
  std::string path_of;
  std::string precision = "bf16";
  uint64_t seed = 42;
};

std::string human_count(uint64_t n) {
  if (n >= 1'000'000'000) return fmt::format("{:.2f}B", n / 1e9);
  if (n >= 1'000'000) return fmt::format("{:.0f}M", n / 1e6);
  return fmt::format("{:.0f}K", n / 1e3);
}

std::string size_gb(uint64_t b) { return b >= 1'000'000'000 ? fmt::format("{:.2f}", b / 1e9) : fmt::format("{:.3f}", b / 1e9); }

// Every compiled-in backend that loads GGUF runs every zoo architecture today; a backend that
// covers fewer says so through supports() at run time.
std::vector<std::string> runners(const ModelSpec&) { return llm_backend_names(); }

int list_models(const ModelsOptions& o) {
  if (o.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& s : zoo()) {
      if (s.test_only && !o.all) continue;
      nlohmann::json sizes;
      for (const auto& p : synth_precisions()) sizes[p] = s.bytes_at(p);
      out.push_back({{"name", s.name}, {"source", s.hf_id}, {"arch", s.arch}, {"tokenizer", s.vocab},
                     {"n_params", s.n_params()}, {"hidden", s.hidden}, {"layers", s.layers}, {"heads", s.heads},
                     {"kv_heads", s.kv_heads}, {"head_dim", s.head_dim}, {"ffn", s.ffn}, {"vocab", s.vocab_size},
                     {"context", s.context}, {"rope_theta", s.rope_theta}, {"rope_scaling", s.rope_scaling.type},
                     {"norm_eps", s.norm_eps}, {"tied_embeddings", s.tied_embeddings}, {"qkv_bias", s.qkv_bias},
                     {"qk_norm", s.qk_norm}, {"sliding_window", s.sliding_window},
                     {"sliding_window_pattern", s.sliding_window_pattern}, {"bytes", sizes}, {"backends", runners(s)}});
    }
    fmt::print("{}\n", out.dump(2));
    return 0;
  }
  fmt::print("{:<28} {:<7} {:>7} {:>6} {:>6} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7}  {}\n", "model", "arch", "params",
             "layers", "hidden", "heads", "f32", "bf16", "q8_0", "q4_0", "q4_k_m", "backends");
  fmt::print("{:<28} {:<7} {:>7} {:>6} {:>6} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7}\n", "", "", "", "", "", "q/kv", "GB", "GB", "GB",
             "GB", "~GB");
  for (const auto& s : zoo()) {
    if (s.test_only && !o.all) continue;
    fmt::print("{:<28} {:<7} {:>7} {:>6} {:>6} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7}  {}\n", s.name, s.arch,
               human_count(s.n_params()), s.layers, s.hidden, fmt::format("{}/{}", s.heads, s.kv_heads),
               size_gb(s.bytes_at("f32")), size_gb(s.bytes_at("bf16")), size_gb(s.bytes_at("q8_0")),
               size_gb(s.bytes_at("q4_0")), size_gb(s.bytes_at("q4_k_m")), fmt::join(runners(s), ","));
  }
  fmt::print("\nSizes are weight bytes (f16 = bf16; q4_k_m mixes types, so ~). Specs come from each model's published\n"
             "config.json; weights are synthesized from a seed on first use and cached in {}.\n"
             "`mtb models --all` adds the test specs; `--json` prints every field.\n",
             (cache_dir() / "models").string());
  return 0;
}

// One path per precision, in the order asked. Quantized files of one model are made side by side,
// as `mtb llm` makes them (synthesize_ahead).
int print_path(const ModelsOptions& o) {
  const std::vector<std::string> precisions = split_list(o.precision);
  if (!find_spec(o.path_of))
    throw std::invalid_argument(fmt::format("--path: unknown model '{}'. Did you mean: {}? (`mtb models` lists them)", o.path_of,
                                            fmt::join(closest_specs(o.path_of), ", ")));
  for (const auto& p : precisions)
    if (!is_synth_precision(p))
      throw std::invalid_argument(fmt::format("-t/--type: unknown precision '{}' (choose from {})", p, fmt::join(synth_precisions(), ", ")));
  synthesize_ahead(o.path_of, precisions, o.seed, progress_line(o.path_of + " bf16"), side_by_side_line(o.path_of));
  for (const std::string& p : precisions)
    fmt::print("{}\n", resolve_model(o.path_of, p, o.seed, progress_line(o.path_of + " " + p)).path.string());
  return 0;
}

}  // namespace

void add_models(CLI::App& app) {
  auto o = std::make_shared<ModelsOptions>();
  auto* cmd = app.add_subcommand("models", "List the model zoo (architectures, sizes, backends), or synthesize one.");
  cmd->footer(R"(Examples:
  mtb models                          the zoo
  mtb models --json                   every spec field
  mtb models --path qwen-2.5-0.5b-it -t q4_0   synthesize (or find in the cache) and print the GGUF path
  mtb models --path qwen-2.5-7b-it -t bf16,q8_0,q4_0   all three files, one path a line)");
  cmd->add_flag("--all", o->all, "include the tiny test specs");
  cmd->add_flag("--json", o->json, "print the zoo as JSON");
  cmd->add_option("--path", o->path_of, "synthesize this zoo model if needed and print its GGUF path");
  cmd->add_option("-t,--type", o->precision, "precision(s) for --path, a comma list")->capture_default_str();
  cmd->add_option("--seed", o->seed, "seed for --path")->capture_default_str();
  cmd->callback([o, cmd] {
    if (o->path_of.empty() && (cmd->count("--type") || cmd->count("--seed")))
      throw std::invalid_argument("-t/--type and --seed choose the file of --path: add --path MODEL");
    exit_code() = o->path_of.empty() ? list_models(*o) : print_path(*o);
  });
}

}  // namespace mtb::cli
