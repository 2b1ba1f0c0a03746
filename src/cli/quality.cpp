// `mtb quality`: what a precision costs in quality. A reference (default: llama.cpp at f32) and
// candidates (backend x device x precision, every axis a comma list) run the same tokens; each
// candidate's next-token distributions are compared with the reference's in llama-perplexity's
// KL-divergence terms. A command of its own rather than a mode of `mtb check`: check proves in one
// process that two backends compute the same function (pass/fail, nothing stored); quality measures
// many candidates, stored, resumable and worker-isolated like `mtb llm`.
#include <fmt/format.h>

#include <filesystem>

#include "cli/commands.h"
#include "cli/option_checks.h"
#include "cli/plan_file.h"
#include "cli/quality_options.h"
#include "cli/run_options.h"
#include "quality/quality_suite.h"

namespace mtb::cli {
namespace fs = std::filesystem;
namespace {

// The lists as typed (parsed into the axes' lists once); every other option sets its axis directly.
struct QualityCli {
  std::string models = "qwen-2.5-0.5b-it", backends, devices = "cpu", precisions = "bf16,q8_0,q4_0";
  std::string reference = kDefaultReference;
  QualityAxes axes;
  RunOptions run{.cooldown = 0};
  PlanOptions plans;  // --plan-out, --plan, --shard
};

int run(const QualityCli& o, const CLI::App& cmd) {
  DriverOptions d = driver_options(o.run, recorded_argv(cmd, "quality"));
  if (!o.run.resume.empty() || o.plans.file) {
    std::optional<RunStore> store;
    if (!o.run.resume.empty()) store = RunStore::open(o.run.resume, quality_csv_schema());
    QualityAxes a = quality_axes_from_json((store ? store->settings() : o.plans.file->settings).at("plan").at("axes"));
    if (cmd.count("--max-kld")) a.max_kld = o.axes.max_kld;
    return run_quality(a, std::move(store), d, o.plans);
  }
  QualityAxes a = o.axes;
  set_quality_lists(a, o.models, o.backends, o.devices, o.precisions, o.reference);
  if (!a.prompt_file.empty()) a.prompt_file = fs::absolute(a.prompt_file).string();
  validate_quality_axes(a);
  fit_reference(a);
  return run_quality(a, std::nullopt, d, o.plans);
}

}  // namespace

void add_quality(CLI::App& app) {
  auto o = std::make_shared<QualityCli>();
  auto* cmd = app.add_subcommand("quality", "What a precision costs: KL divergence and top-1 agreement against a reference.");
  cmd->footer(R"(A reference (default: llama.cpp at f32, or bf16/f16 where f32 does not fit the memory) and every
candidate backend x device x precision run the same tokens: seeded ids, or --prompt-file text through the
model's tokenizer, cut into --ctx windows whose second half is scored, as llama-perplexity
--kl-divergence scores them. Per candidate: mean KL divergence (reference || candidate) ± its standard
error, median, p99 and max; the % of positions with the same top token; RMS and mean of Δp (the change
in the probability of the text's next token); the perplexity of both and their ratio.

Each case runs in a worker of its own. The reference's log-probabilities are stored in the run folder
(4 bytes per vocabulary entry and scored token: 594 KiB a token for a 152k vocabulary, 0.6 GB for the
default 4 windows of 512) and removed once every candidate has its record; a candidate holds one window.

With synthetic (zoo) weights the KLD measures each format's rounding on Gaussian weights, not what a
trained model loses; only real weights show that (-m your-q4.gguf --reference llamacpp:your-f16.gguf).

Examples:
  mtb quality                                  qwen-2.5-0.5b-it at bf16, q8_0, q4_0 on every framework vs llama.cpp f32
  mtb quality -b llamacpp -t q8_0,q4_0,q4_k_m --reference llamacpp:f16 --prompt-file text.txt --chunks 16
  mtb quality -m my-q4_0.gguf,my-q8_0.gguf --reference llamacpp:my-f16.gguf
  mtb quality -d cuda -m qwen-2.5-7b-it -b llamacpp,torch -t q8_0,q4_0 --reference llamacpp:bf16
  mtb llm --quality                            a speed run, then a quality case per precision it measured

Exit status: 0 every case ran (or was skipped with a reason), 3 some case failed, 4 a candidate's mean
KLD is above --max-kld, 130 interrupted (resume with --resume), 1 bad input.)");
  cmd->add_option("-m,--model", o->models, "models: zoo names (each its own reference) or GGUF files (against --reference's file)")
      ->capture_default_str();
  cmd->add_option("-b,--backend", o->backends, "candidate backends (default: every in-process one of this build)");
  cmd->add_option("-d,--device", o->devices, "candidate devices: cpu, cuda, metal")->capture_default_str();
  cmd->add_option("-t,--type", o->precisions,
                  "candidate precisions: f32, f16, bf16, q8_0, q4_0, q4_k_m (torch: int8 / int4, MLX: 8- / 4-bit affine)")
      ->capture_default_str();
  cmd->add_option("--reference", o->reference, "BACKEND:PRECISION[:DEVICE] or BACKEND:FILE.gguf[:DEVICE] (device: the first -d)")
      ->capture_default_str();
  cmd->add_option("--ctx", o->axes.n_ctx, "tokens per window; the second half of each is scored")->capture_default_str();
  cmd->add_option("--chunks", o->axes.n_chunks, "windows (at most: a text gives as many as it fills)")->capture_default_str();
  cmd->add_option("--prompt-file", o->axes.prompt_file, "evaluation text (default: seeded token ids)");
  cmd->add_option("--threads", o->axes.threads, "CPU threads (0: physical cores)")->capture_default_str();
  cmd->add_option("--seed", o->axes.seed, "seed of the synthetic weights and the seeded tokens")->capture_default_str();
  cmd->add_option("--timeout", o->axes.timeout_s, "seconds a case may take before its worker is killed (0: no limit)")->capture_default_str();
  cmd->add_option("--max-kld", o->axes.max_kld, "exit 4 when a candidate's mean KLD is above this (0: no gate)")->capture_default_str();
  add_run_options(*cmd, o->run);
  add_plan_options(*cmd, o->plans);
  cmd->callback([o, cmd] {
    check_plan_options(*cmd, o->plans, "quality", {"max-kld"});
    if (!o->run.resume.empty()) {  // the run's own plan: only what is printed, the report and the gate may change
      std::vector<std::string> allowed = kResumeRunOptions;
      allowed.push_back("max-kld");
      refuse_with_resume(*cmd, allowed);
    }
    exit_code() = run(*o, *cmd);
  });
}

}  // namespace mtb::cli
