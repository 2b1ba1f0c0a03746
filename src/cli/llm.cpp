// `mtb llm`: the LLM inference benchmark's options. Every axis is a comma list; the plan is their
// cartesian product, run by the suite driver (core/suite_driver.h) as llm/llm_suite.h describes it.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "backends/server/server_options.h"
#include "cli/commands.h"
#include "cli/option_checks.h"
#include "cli/plan_file.h"
#include "cli/quality_options.h"
#include "cli/run_options.h"
#include "core/suite_driver.h"
#include "llm/backend.h"
#include "llm/llm_suite.h"
#include "llm/plan.h"
#include "models/gguf_info.h"
#include "models/model_store.h"
#include "models/zoo.h"
#include "quality/quality_suite.h"

namespace mtb::cli {
namespace fs = std::filesystem;
namespace {

struct LlmOptions {
  std::string models = "qwen-2.5-0.5b-it";
  std::string backends;  // "": every in-process backend of this build (in_process_llm_backend_names)
  std::string devices = "cpu";
  std::string precisions = "bf16,q4_0";
  std::string n_prompt = "64,256";
  std::string n_gen = "32";
  std::string n_depth = "0";
  std::string batch = "1";
  std::string threads = "0";
  std::string split_modes = "layer", tensor_splits, main_gpus = "0", gpu_sets = "all";  // GPU devices only
  int reps = 3;
  int warmup = 1;
  double ci_stop_pct = 0;
  uint64_t seed = 42;
  std::string timeout = "auto";  // "auto" (default_timeout_s), or seconds (0: no limit)
  std::string prompt_file;
  bool quality = false;  // then a quality run of the plan's models, backends, devices and precisions
  std::string quality_reference = kDefaultReference;
  RunOptions run{.cooldown = 0.05};  // -o, --measurements, --resume, --report, --cooldown, -v
  PlanOptions plans;                  // --plan-out, --plan, --shard
  // -b server's run settings (not axes): one server for the whole run, carried to every worker.
  std::string server_url = "http://localhost:1234/v1";  // LM Studio's default
  std::string server_api = "auto";
  std::string server_model;
  std::string server_prompt = "auto";
  std::string api_key;
  bool spawn_llama_server = false;
  std::string llama_server;
  double server_timeout_s = 60;
  double server_connect_timeout_s = 5;
  double server_startup_timeout_s = 120;
  // Serving load (-b server): axes, then the settings every load case shares.
  std::string concurrency;
  std::string request_rate;
  double burstiness = 1;
  int num_requests = 0;
  double duration_s = 0;
  int warmup_requests = 1;
  int shared_prefix = 0;
  std::string slo;
};

// "ttft=200,tpot=50" (milliseconds) into the load's SLOs.
void parse_slo(const std::string& text, LoadSettings& l) {
  for (const auto& item : split_list(text)) {
    const size_t eq = item.find('=');
    const std::string key = item.substr(0, eq);
    double ms = -1;
    try {
      if (eq != std::string::npos) ms = std::stod(item.substr(eq + 1));
    } catch (const std::exception&) {
    }
    if (!(ms > 0) || (key != "ttft" && key != "tpot"))
      throw std::runtime_error(fmt::format("--slo: '{}' is not ttft=MS or tpot=MS with MS above 0", item));
    (key == "ttft" ? l.slo_ttft_ms : l.slo_tpot_ms) = ms;
  }
}

std::vector<double> parse_rates(const std::string& text) {
  std::vector<double> out;
  for (const auto& item : split_list(text)) {
    if (item == "inf") {
      out.push_back(kAllAtOnce);
      continue;
    }
    size_t used = 0;
    double r = 0;
    try {
      r = std::stod(item, &used);
    } catch (const std::exception&) {
    }
    if (used != item.size() || !(r > 0) || !std::isfinite(r))
      throw std::runtime_error(fmt::format("--request-rate: '{}' is not a rate above 0 (requests per second) or inf", item));
    out.push_back(r);
  }
  return out;
}

// What -b server needs in each worker; the API key travels only on the worker's stdin (the recorded
// copy in settings.json says whether one was set).
nlohmann::json server_options(const LlmOptions& o) {
  return {{"url", o.spawn_llama_server ? "" : o.server_url},
          {"api", o.server_api},
          {"model", o.server_model},
          {"api_key", o.api_key},
          {"prompt", o.server_prompt},
          {"spawn_llama_server", o.spawn_llama_server},
          {"llama_server", o.llama_server},
          {"connect_timeout_s", o.server_connect_timeout_s},
          {"read_timeout_s", o.server_timeout_s},
          {"startup_timeout_s", o.server_startup_timeout_s}};
}

nlohmann::json recorded_server_options(nlohmann::json j) {
  j["api_key_set"] = !j.value("api_key", std::string()).empty();
  j.erase("api_key");
  return j;
}

// "auto" or seconds: 0 (no limit) up to a week.
double parse_timeout(const std::string& text) {
  if (text == "auto") return kAutoTimeout;
  size_t used = 0;
  double v = -1;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size())
    throw std::invalid_argument(fmt::format("--timeout '{}': takes seconds a case may take, 0 (no limit), or auto", text));
  check_range(v, 0, kMaxTimeoutS, "--timeout", "seconds a case may take, 0 (no limit), or auto");
  return v;
}

// The options that are not axes, checked before anything runs (the axes: axes_from, validate_axes).
void validate_options(const LlmOptions& o) {
  check_range(o.reps, 1, 1e6, "-r/--repetitions", "timed repetitions");
  check_range(o.warmup, 0, 1e6, "--warmup", "untimed repetitions");
  check_range(o.ci_stop_pct, 0, 99.999, "--ci-stop", "a percentage, 0 (off) or more");
  check_range(o.server_timeout_s, 1e-3, server::kMaxServerTimeoutS, "--server-timeout", "seconds");
  check_range(o.server_connect_timeout_s, 1e-3, server::kMaxServerTimeoutS, "--server-connect-timeout", "seconds");
  check_range(o.server_startup_timeout_s, 1e-3, server::kMaxServerTimeoutS, "--server-startup-timeout", "seconds");
  parse_timeout(o.timeout);
}

// Each model's weight bytes at each precision: what the default timeout scales with.
void fill_weight_bytes(LlmAxes& a) {
  for (const auto& m : a.models)
    for (const auto& p : a.precisions) {
      std::error_code ec;
      uint64_t bytes = 0;
      if (looks_like_path(m)) bytes = fs::file_size(m, ec);
      else if (const ModelSpec* s = find_spec(m)) bytes = s->bytes_at(p == "file" ? "bf16" : p);
      a.weight_bytes[m + "|" + p] = ec ? 0 : bytes;
    }
}

// Fails fast, before anything runs, on what would make the whole plan meaningless.
void validate_axes(const LlmAxes& a) {
  for (const auto& b : a.backends)
    if (!find_llm_backend(b))
      throw std::runtime_error(fmt::format("backend '{}' is not available in this build (compiled in: {})", b,
                                           fmt::join(llm_backend_names(), ", ")));
  for (const auto& d : a.devices)
    if (d != "cpu" && d != "cuda" && d != "metal")
      throw std::runtime_error(fmt::format("unknown device '{}' (cpu, cuda, metal)", d));
  for (const auto& p : a.precisions)
    if (!is_synth_precision(p) && p != "file")
      throw std::runtime_error(fmt::format("unknown precision '{}' (choose from {}, or 'file' for a GGUF as stored)", p,
                                           fmt::join(synth_precisions(), ", ")));
  for (const auto& m : a.models) {
    if (looks_like_path(m)) {
      read_gguf_info(m);  // throws a clear message for a missing, truncated or corrupt file
    } else if (!find_spec(m)) {
      throw std::runtime_error(fmt::format("unknown model '{}'. Did you mean: {}? (`mtb models` lists them; a GGUF path works too)",
                                           m, fmt::join(closest_specs(m), ", ")));
    }
  }
  if (a.reps < 1) throw std::runtime_error("-r/--repetitions must be at least 1");
  const bool load = a.concurrency != std::vector<int>{0} || a.request_rate != std::vector<double>{0};
  if (load && a.serving.empty())
    throw std::runtime_error("--concurrency and --request-rate load a server: add -b server (in-process backends take --batch)");
  if (!(a.ci_stop >= 0 && a.ci_stop < 1)) throw std::runtime_error("--ci-stop takes a percentage, 0 (off) or above and below 100");
}

// --split-mode, --tensor-split, --main-gpu, --gpus: checked, in their canonical text ("3/1.0" is "3/1").
void parse_placements(const LlmOptions& o, LlmAxes& a) {
  a.split_modes = split_list(o.split_modes);
  for (const auto& m : a.split_modes)
    if (std::find(kSplitModes.begin(), kSplitModes.end(), m) == kSplitModes.end())
      throw std::invalid_argument(fmt::format("--split-mode '{}': takes {}", m, fmt::join(kSplitModes, ", ")));
  a.tensor_splits = {""};
  if (!o.tensor_splits.empty()) {
    a.tensor_splits.clear();
    for (const auto& t : split_list(o.tensor_splits)) a.tensor_splits.push_back(tensor_split_text(parse_tensor_split(t)));
  }
  a.main_gpus = parse_int_list(o.main_gpus, "--main-gpu");
  check_each(a.main_gpus, 0, kMaxGpus - 1, "--main-gpu");
  a.gpu_sets.clear();
  for (const auto& g : split_list(o.gpu_sets)) a.gpu_sets.push_back(gpu_set_text(parse_gpu_set(g)));
  check_distinct(a.split_modes, "--split-mode");
  check_distinct(a.tensor_splits, "--tensor-split");
  check_distinct(a.main_gpus, "--main-gpu");
  check_distinct(a.gpu_sets, "--gpus");
  const bool placed = a.split_modes != std::vector<std::string>{"layer"} || a.tensor_splits != std::vector<std::string>{""} ||
                      a.main_gpus != std::vector<int>{0} || a.gpu_sets != std::vector<std::string>{"all"};
  const bool any_gpu = std::any_of(a.devices.begin(), a.devices.end(), [](const std::string& d) { return d != "cpu"; });
  if (placed && !any_gpu)
    throw std::invalid_argument("--split-mode, --tensor-split, --main-gpu and --gpus place a model on GPUs: add -d cuda (or metal)");
}

LlmAxes axes_from(const LlmOptions& o) {
  LlmAxes a;
  a.models = split_list(o.models);
  a.backends = o.backends.empty() ? in_process_llm_backend_names() : split_list(o.backends);
  a.devices = split_list(o.devices);
  a.precisions = split_list(o.precisions);
  a.n_prompt = parse_int_list(o.n_prompt, "-p/--n-prompt");
  a.n_gen = parse_int_list(o.n_gen, "-n/--n-gen");
  a.n_depth = parse_int_list(o.n_depth, "--depth");
  a.batch = parse_int_list(o.batch, "--batch");
  a.threads = parse_int_list(o.threads, "--threads");
  parse_placements(o, a);
  check_each(a.batch, 1, kMaxBatch, "--batch");
  check_each(a.threads, 0, kMaxThreads, "--threads");
  if (!o.concurrency.empty()) {
    a.concurrency = parse_int_list(o.concurrency, "--concurrency");
    check_each(a.concurrency, 1, kMaxBatch, "--concurrency");
  }
  if (!o.request_rate.empty()) a.request_rate = parse_rates(o.request_rate);
  check_distinct(a.models, "-m/--model");
  check_distinct(a.backends, "-b/--backend");
  check_distinct(a.devices, "-d/--device");
  check_distinct(a.precisions, "-t/--type");
  check_distinct(a.n_prompt, "-p/--n-prompt");
  check_distinct(a.n_gen, "-n/--n-gen");
  check_distinct(a.n_depth, "--depth");
  check_distinct(a.batch, "--batch");
  check_distinct(a.threads, "--threads");
  check_distinct(a.concurrency, "--concurrency");
  check_distinct(a.request_rate, "--request-rate");
  check_range(o.burstiness, 1e-3, 1e3, "--burstiness", "the gaps' gamma shape (1: Poisson arrivals)");
  check_range(o.num_requests, 0, 1e7, "--num-requests", "timed requests a load case, 0 (default)");
  check_range(o.duration_s, 0, kMaxTimeoutS, "--duration", "seconds, 0 (until --num-requests are sent)");
  check_range(o.warmup_requests, 0, 1e6, "--warmup-requests", "untimed requests");
  check_range(o.shared_prefix, 0, 1e9, "--shared-prefix", "tokens");
  a.load.burstiness = o.burstiness;
  a.load.num_requests = o.num_requests;
  a.load.duration_s = o.duration_s;
  a.load.warmup_requests = o.warmup_requests;
  a.load.shared_prefix = o.shared_prefix;
  if (!o.slo.empty()) parse_slo(o.slo, a.load);
  a.reps = o.reps;
  a.warmup = o.warmup;
  a.ci_stop = o.ci_stop_pct / 100.0;
  a.seed = o.seed;
  a.timeout_s = parse_timeout(o.timeout);
  if (!o.prompt_file.empty()) {
    check_prompt_file(o.prompt_file);  // empty or binary: found now, not once cases run
    a.prompt_file = fs::absolute(o.prompt_file).string();
  }
  return a;
}

nlohmann::json axes_json(const LlmAxes& a) {
  return {{"models", a.models},     {"backends", a.backends}, {"devices", a.devices}, {"precisions", a.precisions},
          {"n_prompt", a.n_prompt}, {"n_gen", a.n_gen},       {"n_depth", a.n_depth}, {"batch", a.batch},
          {"threads", a.threads},   {"reps", a.reps},         {"warmup", a.warmup},   {"seed", a.seed},
          {"ci_stop", a.ci_stop},   {"timeout_s", a.timeout_s}, {"prompt_file", a.prompt_file},
          {"concurrency", a.concurrency}, {"request_rate", a.request_rate}, {"load", a.load},
          {"split_modes", a.split_modes}, {"tensor_splits", a.tensor_splits}, {"main_gpus", a.main_gpus}, {"gpu_sets", a.gpu_sets}};
}

LlmAxes axes_from_json(const nlohmann::json& j) {
  LlmAxes a;
  a.models = j.at("models").get<std::vector<std::string>>();
  a.backends = j.at("backends").get<std::vector<std::string>>();
  a.devices = j.at("devices").get<std::vector<std::string>>();
  a.precisions = j.at("precisions").get<std::vector<std::string>>();
  a.n_prompt = j.at("n_prompt").get<std::vector<int>>();
  a.n_gen = j.at("n_gen").get<std::vector<int>>();
  a.n_depth = j.at("n_depth").get<std::vector<int>>();
  a.batch = j.at("batch").get<std::vector<int>>();
  a.threads = j.at("threads").get<std::vector<int>>();
  a.reps = j.at("reps").get<int>();
  a.warmup = j.at("warmup").get<int>();
  a.ci_stop = j.value("ci_stop", 0.0);
  a.seed = j.at("seed").get<uint64_t>();
  // Absent (older runs): no limit. null: a NaN that older versions took and JSON cannot hold: auto.
  a.timeout_s = !j.contains("timeout_s") ? 0.0 : j["timeout_s"].is_number() ? j["timeout_s"].get<double>() : kAutoTimeout;
  a.prompt_file = j.value("prompt_file", "");
  a.concurrency = j.value("concurrency", a.concurrency);
  a.request_rate = j.value("request_rate", a.request_rate);
  a.load = j.value("load", a.load);
  a.split_modes = j.value("split_modes", a.split_modes);  // absent in runs from before these axes: the defaults
  a.tensor_splits = j.value("tensor_splits", a.tensor_splits);
  a.main_gpus = j.value("main_gpus", a.main_gpus);
  a.gpu_sets = j.value("gpu_sets", a.gpu_sets);
  return a;
}

// `--quality`: the speed plan's zoo models, in-process backends, devices and precisions as candidates
// against llama.cpp at f32 (bf16 where that does not fit). GGUF paths need a reference file of their
// own: `mtb quality` takes one.
QualityAxes quality_axes_of(const LlmAxes& a, const std::string& reference) {
  QualityAxes q;
  q.reference = parse_reference(reference, a.devices.front());
  for (const auto& m : a.models)
    if (!looks_like_path(m)) q.models.push_back(m);
  for (const auto& b : a.backends)
    if (!a.serving.count(b)) q.backends.push_back(b);
  q.devices = a.devices;
  for (const auto& p : a.precisions)
    if (p != "file") q.precisions.push_back(p);
  q.threads = a.threads.front();
  q.seed = a.seed;
  q.prompt_file = a.prompt_file;
  return q;
}

// The quality run that follows the speed run `speed_dir`: the one a resumed run started, or a new one.
int run_quality_after(const LlmAxes& axes, const std::string& reference, const fs::path& speed_dir, DriverOptions d) {
  QualityAxes q = quality_axes_of(axes, reference);
  if (q.models.empty() || q.backends.empty() || q.precisions.empty()) {
    fmt::print(stderr, "--quality: nothing to measure (zoo models, in-process backends and precisions other than 'file'; "
                       "GGUF files: mtb quality -m FILE --reference llamacpp:REFERENCE.gguf)\n");
    return 0;
  }
  const fs::path kind_dir = speed_dir.parent_path().parent_path().parent_path() / "llm_quality" / speed_dir.parent_path().filename();
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(kind_dir, ec)) {
    // Only the matching folder is opened (and so locked): others may be another mtb's.
    std::ifstream in(e.path() / "settings.json");
    const nlohmann::json settings = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (!settings.is_object() || settings.value("speed_run", "") != speed_dir.string()) continue;
    RunStore store = RunStore::open(e.path(), quality_csv_schema());
    return run_quality(quality_axes_from_json(store.settings().at("plan").at("axes")), std::move(store), d);
  }
  validate_quality_axes(q);
  fit_reference(q);
  // A run of its own, named by its speed run: the machine described again, none of the speed settings.
  d.settings = {{"speed_run", speed_dir.string()}};
  d.hardware.clear();
  fmt::print(stderr, "\nQuality of the same models and precisions:\n");
  return run_quality(q, std::nullopt, d);
}

int run_llm(const LlmOptions& o, const std::vector<std::string>& argv, bool cooldown_given) {
  DriverOptions d = driver_options(o.run, argv);
  std::optional<RunStore> store;
  LlmAxes axes;
  nlohmann::json backend_options = {{"server", server_options(o)}};
  if (!o.run.resume.empty()) store = RunStore::open(o.run.resume, llm_csv_schema());
  // A resumed run's settings, or a plan file's: the axes and run settings come from there.
  const nlohmann::json* stored = store ? &store->settings() : o.plans.file ? &o.plans.file->settings : nullptr;
  if (stored) {
    axes = axes_from_json(stored->at("plan").at("axes"));
    // The run's own cooldown, unless this command line names one.
    restore_cooldown(d, *stored, cooldown_given);
    // The run's own server settings; the API key is never stored, so it comes from this command line.
    if (stored->contains("server")) {
      backend_options["server"] = (*stored)["server"];
      backend_options["server"].erase("api_key_set");
      backend_options["server"]["api_key"] = o.api_key;
    }
  } else {
    axes = axes_from(o);
  }
  // Which of the plan's backends serve requests, and which of those hold a model of their own.
  for (const auto& b : axes.backends)
    if (const LlmBackend* be = find_llm_backend(b); be && be->serves_requests()) {
      axes.serving.insert(b);
      if (!backend_options.value(b, nlohmann::json::object()).value("spawn_llama_server", false)) axes.own_model.insert(b);
    }
  validate_axes(axes);
  server::server_options_from_json(backend_options["server"]).validate();  // not once the first server case runs
  fill_weight_bytes(axes);
  const bool quality = stored ? stored->value("quality", false) : o.quality;
  if (quality && !stored) validate_quality_axes(quality_axes_of(axes, o.quality_reference));  // before anything runs
  const std::vector<CaseSpec> cases = expand(axes);
  if (cases.empty()) throw std::runtime_error("the plan is empty (every case has n_prompt = n_gen = 0)");

  if (!stored) {
    d.settings.update({{"benchmark_settings",
                   {{"num_warmup_iterations", axes.warmup},
                    {"num_iterations", axes.reps},
                    {"max_num_tokens", axes.n_gen},
                    {"prompt_lengths", axes.n_prompt},
                    {"dtypes", axes.precisions},
                    {"cooldown", o.run.cooldown},
                    {"run_only_benchmarks", nullptr}}},
                  {"seed", axes.seed},
                  {"plan", {{"axes", axes_json(axes)}}}});
    if (std::count(axes.backends.begin(), axes.backends.end(), "server"))
      d.settings["server"] = recorded_server_options(backend_options["server"]);
    if (quality) d.settings["quality"] = true;
  }
  if (!quality) return run_planned(llm_suite(axes, cases, backend_options), std::move(store), d, o.plans);
  if (!store) describe_machine(d);
  // The report once, after the quality run: the speed run's end only says where it is.
  const auto report = d.report;
  fs::path speed_dir;
  d.report = [&speed_dir](const fs::path& dir) { speed_dir = dir; };
  const int speed = run_suite(llm_suite(axes, cases, backend_options), std::move(store), d);
  if (speed == 130) return speed;
  d.report = report;
  const int q = run_quality_after(axes, o.quality_reference, fs::absolute(speed_dir), d);
  return speed != 0 ? speed : q;
}

}  // namespace

void add_llm(CLI::App& app) {
  auto o = std::make_shared<LlmOptions>();
  auto* cmd = app.add_subcommand("llm", "Benchmark LLM inference: prompt processing, time to first token, generation.");
  cmd->footer(R"(Every axis takes a comma list; the plan is the cartesian product of all axes.
Models are zoo names (`mtb models`), synthesized on first use with seeded weights, or GGUF paths.
Cases run in worker processes, one per model and backend: a model file is loaded once for all its
prompt lengths (each case gets a fresh KV cache), a crash or --timeout ends one case, and every
result is written as soon as it is measured.

Examples:
  mtb llm                                         the default: qwen-2.5-0.5b-it, bf16 and q4_0, on the CPU,
                                                  every framework of this build
  mtb llm -m qwen-3-0.6b-it,llama-3.2-1b-it -t q8_0 -p 512 -n 128 -r 5
  mtb llm -m ~/models/my.gguf -t file -p 64,256,1024
  mtb llm -d cuda -t bf16,q4_0 -p 512 -n 128 --depth 0,4096
  mtb llm -d cuda -m qwen-2.5-32b-it -t q4_0 --split-mode layer,row --gpus 0/1,0/1/2/3
                                                  llama.cpp's split modes on 2 and 4 GPUs
  mtb llm --resume measurements/llm_benchmarks/<hardware>/<time>
  mtb llm -m qwen-3-0.6b-it,llama-3.2-1b-it -t bf16,q4_0 --plan-out plan.json    write the plan, run nothing
  mtb llm --plan plan.json --shard 2/4 --measurements /shared/measurements       shard 2 of 4, on this machine
  mtb llm -m tiny -t f32 -b llamacpp,server --spawn-llama-server      in-process vs behind HTTP
  mtb llm -m qwen-2.5-0.5b-it -t q4_0 -b server --server-model qwen2.5-0.5b-instruct   LM Studio
  mtb llm -m qwen-2.5-0.5b-it -t q4_0 -b server --spawn-llama-server --concurrency 1,4,16 -p 128 -n 128
                                                  llama-server under load, a slot per stream

Exit status: 0 all cases ran (or were skipped with a reason), 3 some case failed,
130 interrupted (resume with --resume), 1 bad input.)");
  cmd->add_option("-m,--model", o->models, "models: zoo names or GGUF paths")->capture_default_str();
  cmd->add_option("-b,--backend", o->backends,
                  fmt::format("backends: {} (default: every in-process one, {})", fmt::join(llm_backend_names(), ", "),
                              fmt::join(in_process_llm_backend_names(), ", ")));
  cmd->add_option("-d,--device", o->devices, "devices: cpu, cuda, metal")->capture_default_str();
  cmd->add_option("-t,--type", o->precisions, "precisions: f32, f16, bf16, q8_0, q4_0, q4_k_m; 'file' = a GGUF as stored")
      ->capture_default_str();
  cmd->add_option("-p,--n-prompt", o->n_prompt, "prompt lengths in tokens (0: generation only)")->capture_default_str();
  cmd->add_option("-n,--n-gen", o->n_gen, "generated tokens (0: prompt only)")->capture_default_str();
  cmd->add_option("--depth", o->n_depth, "tokens already in the KV cache before the prompt (llama-bench -d)")
      ->capture_default_str();
  cmd->add_option("--batch", o->batch, "parallel sequences")->capture_default_str();
  cmd->add_option("--threads", o->threads, "CPU threads (0: physical cores)")->capture_default_str();
  auto gpus = [&](CLI::Option* opt) { opt->group("Several GPUs of one host (GPU devices; llama-bench's -sm, -ts, -mg, -dev)"); };
  gpus(cmd->add_option("--split-mode", o->split_modes,
                       "how a model spreads over the case's GPUs: none (main GPU only), layer (consecutive layers per "
                       "GPU), row (matrices split by rows: llama.cpp), tensor (llama.cpp)")
           ->capture_default_str());
  gpus(cmd->add_option("--tensor-split", o->tensor_splits,
                       "each GPU's share of the model, in proportion, '/' between GPUs: 3/1 puts three quarters on the "
                       "first (default: by free memory)"));
  gpus(cmd->add_option("--main-gpu", o->main_gpus, "the GPU of --split-mode none (and of row split's small tensors), "
                                                   "by index in the case's set")
           ->capture_default_str());
  gpus(cmd->add_option("--gpus", o->gpu_sets,
                       "the GPUs a case may use, '/' between indexes, a comma between cases: 0,0/1,0/1/2/3 measures "
                       "1, 2 and 4 GPUs; all: every visible one")
           ->capture_default_str());
  cmd->add_option("-r,--repetitions", o->reps, "timed repetitions per case")->capture_default_str();
  cmd->add_option("--warmup", o->warmup, "untimed warm-up repetitions per case")->capture_default_str();
  cmd->add_option("--ci-stop", o->ci_stop_pct,
                  "stop repeating early (after 2): prompt and generation each stop once the 95% confidence "
                  "interval of their median (Student's t below 6 repetitions) is within this percentage of it; "
                  "once generation has stopped, further "
                  "repetitions time the prompt alone; -r is then the most (0: always -r)")
      ->capture_default_str();
  cmd->add_option("--seed", o->seed, "seed of the synthetic weights and the prompt tokens")->capture_default_str();
  cmd->add_option("--timeout", o->timeout,
                  "seconds a case may take before its worker is killed (0: no limit); auto: 600 s + the weights' "
                  "load at 100 MB/s + (warm-up + repetitions) x batch x (depth + prompt + generated tokens) x "
                  "the weights' bytes at 4 GB/s, at most a week")
      ->capture_default_str();
  add_run_options(*cmd, o->run);
  add_plan_options(*cmd, o->plans);
  cmd->add_flag("--quality", o->quality,
               "then measure what each precision costs in quality: `mtb quality` over the same zoo models, backends, "
               "devices and precisions against llama.cpp at f32 (an llm_quality run beside this one)");
  cmd->add_option("--quality-reference", o->quality_reference,
                  "--quality's reference: BACKEND:PRECISION[:DEVICE] (default llama.cpp f32, bf16 where that does not fit)")
      ->capture_default_str();
  cmd->add_option("--prompt-file", o->prompt_file,
                  "real text as the prompt: tokenized by each model's tokenizer, repeated or cut to -p tokens");
  auto server = [&](CLI::Option* opt) { opt->group("Server backend (-b server)"); };
  server(cmd->add_option("--server-url", o->server_url,
                         "base URL of the server: LM Studio http://localhost:1234/v1, Ollama http://localhost:11434, "
                         "llama-server http://localhost:8080")
             ->capture_default_str());
  server(cmd->add_option("--server-api", o->server_api,
                         "auto, llama (/completion, token ids), openai (/v1/completions), ollama (/api/generate); "
                         "auto: llama when spawned, ollama on port 11434, else openai")
             ->capture_default_str());
  server(cmd->add_option("--server-model", o->server_model, "the server's name for the model (LM Studio, Ollama)"));
  server(cmd->add_option("--server-prompt", o->server_prompt,
                         "send the prompt as tokens or text (decoded with the -m model's vocabulary); auto: tokens "
                         "for the llama API, text otherwise")
             ->capture_default_str());
  server(cmd->add_option("--api-key", o->api_key, "sent as a Bearer token; never written to the run folder"));
  server(cmd->add_flag("--spawn-llama-server", o->spawn_llama_server,
                       "start the pinned llama-server per case on a free 127.0.0.1 port with the case's GGUF"));
  server(cmd->add_option("--llama-server", o->llama_server, "llama-server binary for --spawn-llama-server "
                                                            "(default: build/bin/llama-server)"));
  server(cmd->add_option("--server-timeout", o->server_timeout_s,
                         "seconds of silence a request may have (first token included) before the case fails")
             ->capture_default_str());
  server(cmd->add_option("--server-connect-timeout", o->server_connect_timeout_s, "seconds to connect")
             ->capture_default_str());
  server(cmd->add_option("--server-startup-timeout", o->server_startup_timeout_s,
                         "seconds a spawned llama-server may take to load")
             ->capture_default_str());
  auto load = [&](CLI::Option* opt) { opt->group("Serving load (-b server)"); };
  load(cmd->add_option("--concurrency", o->concurrency,
                       "streams in flight: a closed loop (each sends its next request when the last ends), or with "
                       "--request-rate the cap on an open loop's"));
  load(cmd->add_option("--request-rate", o->request_rate,
                       "requests per second of an open loop (gamma-distributed gaps; inf: every request at once)"));
  load(cmd->add_option("--burstiness", o->burstiness, "the gaps' gamma shape: 1 Poisson, below 1 burstier (vllm bench serve's)")
           ->capture_default_str());
  load(cmd->add_option("--num-requests", o->num_requests,
                       "timed requests per load case (0: fill --duration, or 4 per stream and 16 at least)")
           ->capture_default_str());
  load(cmd->add_option("--duration", o->duration_s, "seconds to send requests for (0: until --num-requests are sent)")
           ->capture_default_str());
  load(cmd->add_option("--warmup-requests", o->warmup_requests, "untimed requests before a load case, as many streams at once as the case has (so each warms a stream's connection)")
           ->capture_default_str());
  load(cmd->add_option("--shared-prefix", o->shared_prefix,
                       "leading prompt tokens every request shares (0: each prompt distinct, no free prefix-cache hits)")
           ->capture_default_str());
  load(cmd->add_option("--slo", o->slo, "goodput counts the requests within ttft=MS,tpot=MS"));
  cmd->callback([o, cmd] {
    if (o->spawn_llama_server && cmd->count("--server-url"))
      throw std::runtime_error("--spawn-llama-server starts its own server on 127.0.0.1: leave out --server-url");
    check_plan_options(*cmd, o->plans, "llm", {"api-key"});  // the API key is never stored in a plan either
    if (!o->plans.out.empty() && o->quality)
      throw std::invalid_argument("--plan-out with --quality: the quality run is not sharded; write its plan with "
                                  "`mtb quality ... --plan-out`");
    if (!o->run.resume.empty()) {
      std::vector<std::string> allowed = kResumeRunOptions;
      allowed.push_back("api-key");  // never stored: a resumed run against a server needs it again
      refuse_with_resume(*cmd, allowed);
    } else if (!o->plans.file) {
      validate_options(*o);
    }
    exit_code() = run_llm(*o, recorded_argv(*cmd, "llm", {"api-key"}), cmd->count("--cooldown") > 0);
  });
}

}  // namespace mtb::cli
