// `mtb ops`: single operators and transformer layers across frameworks, verified against a float64
// reference and placed against this machine's measured ceilings. The options; the suite driver
// (core/suite_driver.h) runs the plan as ops/op_suite.h describes it, a worker per case.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>

#include "cli/commands.h"
#include "cli/option_checks.h"
#include "cli/plan_file.h"
#include "cli/run_options.h"
#include "core/axis_list.h"
#include "core/suite_driver.h"
#include "ops/op_backend.h"
#include "ops/op_plan.h"
#include "ops/op_suite.h"

namespace mtb::cli {
namespace fs = std::filesystem;
namespace {

// The quick default: every op on every backend, one mid-sized shape, both masks; the ancestor's
// sweep is in --help.
struct OpsOptions {
  std::string ops;  // empty: all
  std::string backends;  // empty: every compiled-in op backend
  std::string devices = "cpu";
  std::string dtypes = "float32";
  std::string batch = "4";
  std::string seq = "128";
  std::string feature = "768";
  std::string heads = "8";
  std::string masks = "none,causal";
  std::string quants = "q8_0,q4_0,int8,int4";
  std::string threads = "0";
  uint64_t seed = 42;
  int warmup = 10;
  int min_reps = 10;
  double target_ci = 0.02;
  double time_cap_s = 1.0;
  double timeout_s = 300;
  double rotate_mb = 128;
  RunOptions run;  // -o, --measurements, --resume, --report, --cooldown, -v
  PlanOptions plans;  // --plan-out, --plan, --shard
  bool dry_run = false;
};

ops::OpAxes axes_from(const OpsOptions& o) {
  ops::OpAxes a;
  if (o.ops.empty()) {
    for (ops::Op op : ops::all_ops()) a.ops.push_back(ops::op_name(op));
  } else {
    a.ops = split_list(o.ops);
  }
  a.backends = o.backends.empty() ? op_backend_names() : split_list(o.backends);
  a.devices = split_list(o.devices);
  a.dtypes = split_list(o.dtypes);
  a.masks = split_list(o.masks);
  a.quants = split_list(o.quants);
  a.batch = parse_int_list(o.batch, "--batch");
  a.seq = parse_int_list(o.seq, "--seq");
  a.feature = parse_int_list(o.feature, "--feature");
  a.heads = parse_int_list(o.heads, "--heads");
  a.threads = parse_int_list(o.threads, "--threads");
  check_each(a.threads, 0, 4096, "--threads");
  check_each(a.batch, 1, 1 << 20, "--batch");
  check_each(a.seq, 1, 1 << 20, "--seq");
  check_each(a.feature, 1, 1 << 20, "--feature");
  check_each(a.heads, 1, 4096, "--heads");
  // The inputs are batch x seq x feature (copies rotated besides): bounded before a worker allocates.
  for (int b : a.batch)
    for (int q : a.seq)
      for (int f : a.feature)
        if (int64_t(b) * q * f > (int64_t(1) << 31))
          throw std::invalid_argument(fmt::format("--batch {} x --seq {} x --feature {} = {} elements: at most 2^31 elements a tensor",
                                                  b, q, f, int64_t(b) * q * f));
  check_distinct(a.ops, "--ops");
  check_distinct(a.backends, "-b/--backend");
  check_distinct(a.devices, "-d/--device");
  check_distinct(a.dtypes, "--dtype");
  check_distinct(a.masks, "--mask");
  check_distinct(a.quants, "--quant");
  check_distinct(a.batch, "--batch");
  check_distinct(a.seq, "--seq");
  check_distinct(a.feature, "--feature");
  check_distinct(a.heads, "--heads");
  check_distinct(a.threads, "--threads");
  a.timing.seed = o.seed;
  a.timing.warmup = o.warmup;
  a.timing.min_reps = o.min_reps;
  a.timing.target_rel_ci = o.target_ci;
  a.timing.time_cap_s = o.time_cap_s;
  a.timing.timeout_s = o.timeout_s;
  a.timing.rotate_mb = o.rotate_mb;
  return a;
}

// The options that are not axes, before anything runs.
void validate_options(const OpsOptions& o) {
  check_range(o.warmup, 0, 1e6, "--warmup", "warm-up calls");
  check_range(o.min_reps, 2, 1e6, "--min-reps", "timed calls");
  check_range(o.target_ci, 1e-6, 1, "--target-ci", "a fraction of the median");
  check_range(o.time_cap_s, 1e-3, 86400, "--time-cap", "seconds");
  check_range(o.timeout_s, 0, 7 * 24 * 3600.0, "--timeout", "seconds, 0 (no limit)");
  check_range(o.rotate_mb, 0, 1 << 20, "--rotate", "MB");
}

ops::PlanHooks plan_hooks() {
  ops::PlanHooks h;
  h.variants = [](const std::string& backend, const std::string& device) {
    OpBackend* b = find_op_backend(backend);
    return b ? b->compiled_variants(device) : std::vector<std::string>{};
  };
  h.has_quant = [](const std::string& backend, const std::string& quant) {
    OpBackend* b = find_op_backend(backend);
    if (!b) return true;  // validation names the missing backend
    const auto f = b->quant_formats();
    return std::find(f.begin(), f.end(), quant) != f.end();
  };
  return h;
}

int run_ops(const OpsOptions& o, const std::vector<std::string>& argv, bool cooldown_given) {
  DriverOptions d = driver_options(o.run, argv);
  std::optional<RunStore> store;
  ops::OpAxes axes;
  if (!o.run.resume.empty()) store = RunStore::open(o.run.resume, ops::op_csv_schema());
  // A resumed run's settings, or a plan file's: the axes and run settings come from there.
  const nlohmann::json* stored = store ? &store->settings() : o.plans.file ? &o.plans.file->settings : nullptr;
  if (stored) {
    axes = ops::axes_from_json(stored->at("plan").at("axes"));
    restore_cooldown(d, *stored, cooldown_given);
  } else {
    axes = axes_from(o);
  }
  ops::validate(axes);
  for (const auto& b : axes.backends)
    if (!find_op_backend(b))
      throw std::runtime_error(fmt::format("backend '{}' is not available in this build (compiled in: {})", b,
                                           fmt::join(op_backend_names(), ", ")));
  const std::vector<ops::OpCase> cases = ops::expand(axes, plan_hooks());
  if (cases.empty()) throw std::runtime_error("the plan is empty (no backend has the asked quant formats?)");

  if (o.dry_run) {
    fmt::print("Plan:\n{}\n", ops::describe_plan(axes, cases.size()));
    for (const auto& c : cases) fmt::print("  {}\n", c.label());
    return 0;
  }
  if (!stored) {
    nlohmann::json versions = nlohmann::json::object();
    for (const auto& b : op_backends()) versions[b->name()] = b->version();
    d.settings.update({{"benchmark_settings",
                   {{"num_warmup_iterations", axes.timing.warmup},
                    {"num_iterations", "adaptive"},
                    {"num_repeats", 1},
                    {"dtype", axes.dtypes},
                    {"min_reps", axes.timing.min_reps},
                    {"target_rel_ci95", axes.timing.target_rel_ci},
                    {"time_cap_s", axes.timing.time_cap_s},
                    {"cooldown", o.run.cooldown}}},
                  {"op_backends", versions},
                  {"seed", axes.timing.seed},
                  {"plan", {{"axes", ops::to_json(axes)}}}});
  }
  return run_planned(ops::op_suite(axes, cases), std::move(store), d, o.plans);
}

}  // namespace

void add_ops(CLI::App& app) {
  auto o = std::make_shared<OpsOptions>();
  auto* cmd = app.add_subcommand("ops", "Benchmark single operators and transformer layers, verified, against the roofline.");
  cmd->footer(R"(Every axis takes a comma list; the plan is their cartesian product (heads and mask apply to the
attention ops and rope, quant to matmul_quant). Each case runs every backend on the same seeded
inputs; the output is first compared with a float64 reference (batch element 0) and a case that is
out of tolerance is marked failed, not timed. Then: warm-up calls, and timed calls until the 95%
interval of the median is within --target-ci of it, or --time-cap. Inputs (weights included)
are rotated among copies so that a small op does not run from a warm cache.

Ops: layer_norm rms_norm softmax linear matmul_quant rope swiglu sdpa mhsa encoder_layer decoder_layer
  (semantics: nn.LayerNorm, Llama's RMSNorm, nn.Linear, NeoX RoPE, Llama's SwiGLU MLP,
  nn.MultiheadAttention, nn.Transformer{Encoder,Decoder}Layer with dim_feedforward 2048, post-norm)
Quant formats: q8_0, q4_0 (ggml), int8 weight-only with per-row scales (torch >= 2.3), int4 weight-only
group 128 (torch's tinygemm: CUDA >= 2.5, CPU >= 2.6).

Examples:
  mtb ops                                     the quick default: every op, batch 4 x seq 128, float32, CPU
  mtb ops --ops linear,sdpa --mask causal --heads 1,8
  mtb ops -d cuda --dtype float32,bfloat16    torch eager + torch CUDA graph + ggml-cuda
  mtb ops --batch 64,32,16,8,1 --seq 512,256,128,64 --heads 1,8 --mask none,causal \
          --dtype float32,bfloat16            mlx_transformers_benchmark's full layer sweep
  mtb ops --resume measurements/layer_benchmarks/<hardware>/<time>
  mtb ops --ops linear,sdpa --plan-out plan.json && mtb ops --plan plan.json --shard 0/2    one plan, two machines

% of roofline needs the device's ceilings: run `mtb info --calibrate` once.
Exit status: 0 every case ran or was skipped with a reason, 3 a case failed (verification included),
130 interrupted (finish with --resume), 1 bad input.)");
  cmd->add_option("--ops", o->ops, "ops (default: all)");
  cmd->add_option("-b,--backend", o->backends, "backends: " + fmt::format("{}", fmt::join(op_backend_names(), ", ")) +
                                                    " (default: all)");
  cmd->add_option("-d,--device", o->devices, "devices: cpu, cuda, metal")->capture_default_str();
  cmd->add_option("--dtype", o->dtypes, "float32, bfloat16, float16")->capture_default_str();
  cmd->add_option("--batch", o->batch, "batch sizes")->capture_default_str();
  cmd->add_option("--seq", o->seq, "sequence lengths")->capture_default_str();
  cmd->add_option("--feature", o->feature, "model widths (mlx_transformers_benchmark's 768)")->capture_default_str();
  cmd->add_option("--heads", o->heads, "attention heads")->capture_default_str();
  cmd->add_option("--mask", o->masks, "attention masks: none, causal")->capture_default_str();
  cmd->add_option("--quant", o->quants, "matmul_quant weight formats (each backend runs those it has)")
      ->capture_default_str();
  cmd->add_option("--threads", o->threads, "CPU threads (0: physical cores)")->capture_default_str();
  cmd->add_option("--seed", o->seed, "seed of the inputs and weights")->capture_default_str();
  cmd->add_option("--warmup", o->warmup, "warm-up calls (at most a quarter of --time-cap)")->capture_default_str();
  cmd->add_option("--min-reps", o->min_reps, "timed calls before the interval is checked")->capture_default_str();
  cmd->add_option("--target-ci", o->target_ci, "stop when the median's 95% interval half-width / median is below this")
      ->capture_default_str();
  cmd->add_option("--time-cap", o->time_cap_s, "seconds of timed calls per case at most")->capture_default_str();
  cmd->add_option("--rotate", o->rotate_mb,
                  "MB of input copies to rotate among (weights included, at most 16 copies); 0: one warm copy")
      ->capture_default_str();
  cmd->add_option("--timeout", o->timeout_s, "seconds a case's worker may take before it is killed (0: none)")
      ->capture_default_str();
  add_run_options(*cmd, o->run);
  add_plan_options(*cmd, o->plans);
  cmd->add_flag("--dry-run", o->dry_run, "print the plan (every case) and stop: nothing runs, nothing is written");
  cmd->callback([o, cmd] {
    check_plan_options(*cmd, o->plans, "ops", {});
    if (!o->run.resume.empty()) {
      refuse_with_resume(*cmd, kResumeRunOptions);
    } else if (!o->plans.file) {
      validate_options(*o);
    }
    exit_code() = run_ops(*o, recorded_argv(*cmd, "ops"), cmd->count("--cooldown") > 0);
  });
}

}  // namespace mtb::cli
