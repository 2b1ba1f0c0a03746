#include "llm/harness.h"

#include <fmt/format.h>

#include <filesystem>
#include <new>
#include <numeric>

#include "core/nvml.h"
#include "core/process_memory.h"
#include "core/rng.h"
#include "core/swap_activity.h"
#include "core/system_info.h"
#include "core/text_table.h"
#include "llm/derived.h"

namespace mtb {
namespace {

// Token streams drawn from one seed: the depth fill, the prompt, and the first input of a
// generation-only case are independent draws.
enum Stream : uint64_t { kDepth = 1, kPrompt = 2, kFirstToken = 3 };

// The energy counter (NVML) of each of the case's GPUs (NVML indexes), read outside the timed
// regions; 0 where a GPU has none.
std::vector<uint64_t> gpu_energy_mj(const std::vector<unsigned>& gpus) {
  std::vector<uint64_t> mj;
  for (unsigned g : gpus) {
    const auto s = Nvml::get().snapshot(g);
    mj.push_back(s ? s->energy_mj : 0);
  }
  return mj;
}

// Each of the case's GPUs: its name, memory it gained over the case
// (NVML's count of used memory at the end minus before the load: ggml and NVML keep no peak), energy
// and mean power over the timed generation, and how each pair is linked.
void record_each_gpu(Record& r, const std::vector<unsigned>& gpus, const std::vector<GpuSnapshot>& start_all,
                     const std::vector<uint64_t>& energy_mj) {
  double gen_s = 0;
  for (double s : r.gen_s) gen_s += s;
  nlohmann::json each = nlohmann::json::array();
  for (size_t k = 0; k < gpus.size(); ++k) {
    const unsigned g = gpus[k];
    const GpuSnapshot end = Nvml::get().snapshot(g).value_or(GpuSnapshot{});
    const uint64_t before = g < start_all.size() ? start_all[g].memory_used : 0;
    const double j = k < energy_mj.size() ? energy_mj[k] / 1000.0 : 0;
    each.push_back({{"nvml_index", g},
                    {"name", end.name},
                    {"memory_added_bytes", end.memory_used > before ? end.memory_used - before : 0},
                    {"gen_energy_j", j},
                    {"gen_avg_power_w", gen_s > 0 ? j / gen_s : 0.0},
                    {"end", to_json(end)}});
  }
  r.device_context["gpus"] = each;
  nlohmann::json links = nlohmann::json::array();
  for (size_t a = 0; a < gpus.size(); ++a)
    for (size_t b = a + 1; b < gpus.size(); ++b)
      links.push_back({{"a", gpus[a]}, {"b", gpus[b]}, {"link", Nvml::get().link(gpus[a], gpus[b])}});
  if (!links.empty()) r.device_context["links"] = links;
}

// The NVML indexes of a session's GPUs; its first GPU alone where the backend names none.
std::vector<unsigned> nvml_indexes(const LlmSession& s) {
  std::vector<unsigned> out;
  for (const auto& id : s.gpu_bus_ids())
    if (auto i = Nvml::get().index_of(id)) out.push_back(*i);
  if (out.empty()) out.push_back(0);
  return out;
}

struct Timed {
  double prompt_s = 0, gen_s = 0;
  std::vector<uint64_t> gen_energy_mj;  // per GPU of the case
  std::vector<Token> generated;  // row 0
};

// One repetition. Clocks sit around prefill and the decode loop only; the depth fill is untimed,
// as llama-bench's -d.
Timed one_rep(const Clock& clock, LlmSession& s, const CaseSpec& c, const TokenRows& depth, const TokenRows& prompt,
              const TokenRows& first, int n_gen, const std::vector<unsigned>& gpus) {
  s.reset();
  if (c.n_depth > 0) s.prefill(depth);
  Timed t;
  std::vector<Token> last;
  if (c.n_prompt > 0) {
    const double t0 = clock.now_s();
    last = s.prefill(prompt);
    t.prompt_s = seconds_since(clock, t0);
  } else {
    for (const auto& row : first) last.push_back(row[0]);
  }
  t.generated.push_back(last[0]);
  if (n_gen > 0) {
    const std::vector<uint64_t> e0 = gpu_energy_mj(gpus);
    const double t0 = clock.now_s();
    for (int i = 0; i < n_gen; ++i) {
      last = s.step(last);
      t.generated.push_back(last[0]);
    }
    t.gen_s = seconds_since(clock, t0);
    const std::vector<uint64_t> e1 = gpu_energy_mj(gpus);
    for (size_t g = 0; g < gpus.size(); ++g) t.gen_energy_mj.push_back(e1[g] > e0[g] ? e1[g] - e0[g] : 0);
  }
  return t;
}

// Whether `a` and `b` load the same weights the same way: only the lengths (n_ctx, n_gen) may differ.
bool same_weights(const LoadRequest& a, const LoadRequest& b) {
  return a.model_path == b.model_path && a.device == b.device && a.precision == b.precision && a.threads == b.threads &&
         a.batch == b.batch && a.backend_options == b.backend_options && a.all_logits == b.all_logits &&
         a.kv_at_precision == b.kv_at_precision && a.parallel == b.parallel && a.gpu.key_suffix() == b.gpu.key_suffix();
}

// The session for this case: the kept one (which release_other_weights left only where it holds
// this case's weights), readied for the case's lengths if the backend can reshape it; else a fresh
// load, which replaces it.
LlmSession& session_for(LlmBackend& backend, const LoadRequest& req, LoadedModel& keep, bool& reused) {
  reused = keep.session && keep.session->reshape(req);
  if (!reused) {
    keep.session.reset();  // the old weights leave the device before the new ones arrive
    keep.session = backend.load(req);
  }
  keep.loaded_with = req;
  return *keep.session;
}

// A kept model of other weights (another precision's file, other settings) is released before the
// case's device state is read, so the state at its start is the state before its load.
void release_other_weights(LoadedModel& keep, const LoadRequest& req) {
  if (keep.session && !same_weights(keep.loaded_with, req)) keep.session.reset();
}

// The timed repetitions of a single-stream case: warm-up, then repetitions until `settled` says the
// prompt and generation need no more (or -r of them).
template <class Settled, class Say>
void time_repetitions(const Clock& clock, LlmSession& session, const CaseSpec& c, const TokenRows& depth,
                      const TokenRows& prompt, const TokenRows& first, const std::vector<unsigned>& gpus, Settled&& settled,
                      Say&& say, Record& r, std::vector<uint64_t>& energy_mj) {
  for (int w = 0; w < c.warmup; ++w) {
    say(fmt::format("warm-up {}/{}", w + 1, c.warmup));
    // A short generation suffices to warm the decode path; the full prompt warms prefill.
    one_rep(clock, session, c, depth, prompt, first, std::min(c.n_gen, 4), gpus);
  }
  session.take_observations();  // the warm-up's own figures are not the timed reps'
  bool gen_settled = c.n_gen == 0;
  for (int i = 0; i < c.reps; ++i) {
    say(fmt::format("rep {}/{}", i + 1, c.reps));
    const bool time_gen = !gen_settled || c.n_prompt == 0;
    Timed t = one_rep(clock, session, c, depth, prompt, first, time_gen ? c.n_gen : 0, gpus);
    energy_mj.resize(gpus.size());
    for (size_t g = 0; g < t.gen_energy_mj.size(); ++g) energy_mj[g] += t.gen_energy_mj[g];
    if (c.n_prompt > 0) r.prompt_s.push_back(t.prompt_s);
    if (c.n_gen > 0 && time_gen) r.gen_s.push_back(t.gen_s);
    if (i == 0) r.generated = std::move(t.generated);
    gen_settled = gen_settled || settled(r.gen_s);
    if (gen_settled && (c.n_prompt == 0 || settled(r.prompt_s))) break;
  }
  r.extra["repetitions"] = {{"done", std::max(r.prompt_s.size(), r.gen_s.size())}, {"prompt", r.prompt_s.size()},
                            {"gen", r.gen_s.size()}, {"most", c.reps}, {"ci_stop", c.ci_stop}};
}

// A load case: untimed warm-up requests, then the timed requests at the case's
// concurrency or rate; every request's row is kept, the metrics are derived with the rest.
template <class Say>
void serve_load(const Clock& clock, LlmSession& session, const CaseSpec& c, const std::vector<Token>& vocab, Record& r,
                Say&& say) {
  const LoadSettings& load = c.load;
  if (load.warmup_requests > 0) {
    // At the case's concurrency (as many streams as there are warm-up requests): each warms a
    // stream's connection, which the timed requests then use.
    say(fmt::format("{} warm-up request{}", load.warmup_requests, load.warmup_requests == 1 ? "" : "s"));
    LoadSettings warm;
    warm.concurrency = std::min(load.warmup_requests, std::max(1, load.concurrency));
    session.serve(plan_requests(warm, load.warmup_requests, c.n_prompt, mix_seed(c.seed, 1), vocab), warm, c.n_gen, clock);
  }
  session.take_observations();  // the warm-up's own figures are not the timed requests'
  const int n = requests_to_plan(load);
  const std::vector<PlannedRequest> plan = plan_requests(load, n, c.n_prompt, c.seed, vocab);
  say(fmt::format("{} requests{}", n, load_label(load)));
  r.requests = session.serve(plan, load, c.n_gen, clock);
  if (!plan.empty()) r.tokens_hash = tokens_hash({plan.front().prompt});
}

// Memory free on the case's device now: the backend's own figure for a GPU, MemAvailable for the CPU.
uint64_t device_free_memory(LlmBackend& backend, const std::string& device) {
  if (device == "cpu") return available_host_memory();
  for (const auto& d : backend.devices())
    if (d.name == device) return d.memory_free;
  return 0;
}

MemoryNeed memory_need(const CaseInput& in, int64_t n_ctx, bool weights_kept) {
  MemoryNeed n;
  std::error_code ec;
  if (!weights_kept) n.weights = std::filesystem::file_size(in.model_path, ec);
  if (ec) n.weights = 0;
  n.kv_cache = in.shape.kv_bytes_per_token() * uint64_t(n_ctx) * uint64_t(std::max(1, in.spec.batch));
  return n;
}

}  // namespace

std::string beyond_memory(const MemoryNeed& need, uint64_t free, const std::string& device) {
  if (free == 0 || need.total() <= free) return "";
  return fmt::format("needs {} (weights {} + KV cache {}), more than the {} free on the {} now: skipped before loading",
                     format_bytes(need.total()), format_bytes(need.weights), format_bytes(need.kv_cache),
                     format_bytes(free), device);
}

int64_t case_context(const CaseSpec& c) { return int64_t(c.n_depth) + c.n_prompt + c.n_gen + 1; }

std::string beyond_context(const CaseSpec& c, int n_ctx_train) {
  const int64_t n_ctx = case_context(c);
  if (n_ctx_train > 0 && n_ctx > n_ctx_train)
    return fmt::format("depth + prompt + generated tokens = {} exceed the model's context of {}", n_ctx, n_ctx_train);
  const int64_t all = n_ctx * std::max(1, c.batch);
  if (all > kMaxCaseTokens)
    return fmt::format("batch {} x (depth + prompt + generated tokens) = {} tokens: more than the {} a case may hold",
                       c.batch, all, kMaxCaseTokens);
  return "";
}

Record run_case(LlmBackend& backend, const CaseInput& in, const std::function<void(const std::string&)>& progress,
                LoadedModel* keep, const HarnessEnv& env) {
  const Clock& clock = *env.clock;
  MedianWithin ci_stop(in.spec.ci_stop, kMinRepsForStop);
  StoppingRule& rule = env.stopping ? *env.stopping : ci_stop;
  auto settled = [&](const std::vector<double>& samples) {
    return !rule.stop(samples, std::accumulate(samples.begin(), samples.end(), 0.0)).empty();
  };
  auto say = [&](const std::string& s) {
    if (progress) progress(s);
  };
  const CaseSpec& c = in.spec;
  const double wall0 = clock.now_s();
  reset_peak_rss();
  auto swapped_so_far = [&env] { return env.swapped_so_far ? env.swapped_so_far() : swapped_bytes_so_far(); };
  const std::optional<uint64_t> swapped0 = swapped_so_far();
  LoadedModel own;  // without a caller's slot the session lives for this case only
  LoadedModel& slot = keep ? *keep : own;
  Record r;
  r.spec = c;
  r.model_path = in.model_path;
  r.started_at = utc_now_iso8601();
  r.backend_version = backend.version();

  LoadRequest req;
  req.model_path = in.model_path;
  req.device = c.device;
  req.precision = c.precision;
  req.threads = c.threads;
  req.batch = c.batch;
  const int64_t n_ctx = case_context(c);
  req.n_gen = c.n_gen;
  req.backend_options = in.backend_options;
  req.parallel = std::max(1, c.load.concurrency);
  req.gpu = c.gpu;

  auto finish = [&](Status st, std::string why) {
    r.status = st;
    r.error = std::move(why);
    r.peak_rss_bytes = peak_rss_bytes();
    r.wall_s = seconds_since(clock, wall0);
    if (const auto swapped1 = swapped_so_far(); swapped0 && swapped1) r.swapped_bytes = *swapped1 - std::min(*swapped0, *swapped1);
    return r;
  };

  if (const std::string why = beyond_context(c, in.n_ctx_train); !why.empty()) return finish(Status::skipped, why);
  req.n_ctx = static_cast<int>(n_ctx);
  if (const Support sup = backend.supports(req); !sup.ok) return finish(Status::skipped, sup.reason);

  const TokenRows depth = seeded_tokens(c.seed, kDepth, c.batch, c.n_depth, in.vocab);
  const TokenRows prompt = in.text_prompt.empty() ? seeded_tokens(c.seed, kPrompt, c.batch, c.n_prompt, in.vocab) : in.text_prompt;
  const TokenRows first = seeded_tokens(c.seed, kFirstToken, c.batch, 1, in.vocab);
  r.tokens_hash = tokens_hash(c.n_prompt > 0 ? prompt : first);

  release_other_weights(slot, req);
  // The pre-flight: a case that cannot fit is skipped with both figures, not left to fail mid-load
  // (or to swap). A server holds its model in its own process, maybe on another machine.
  if (c.backend != "server") {
    const uint64_t free = env.free_memory ? env.free_memory(c.device) : device_free_memory(backend, c.device);
    if (const std::string why = beyond_memory(memory_need(in, n_ctx, slot.session != nullptr), free, c.device); !why.empty())
      return finish(Status::skipped, why);
  }
  // GPU telemetry where NVML is present: the state at start and end, and the energy counter.
  const bool gpu = c.device == "cuda" && Nvml::get().available();
  if (auto snap = gpu ? Nvml::get().snapshot() : std::nullopt) r.device_context["start"] = to_json(*snap);
  std::vector<GpuSnapshot> start_all;  // every GPU's state before the load: the case's are known after it
  for (unsigned i = 0; gpu && i < Nvml::get().count(); ++i) start_all.push_back(Nvml::get().snapshot(i).value_or(GpuSnapshot{}));
  std::vector<unsigned> gpus;          // NVML indexes of the case's GPUs
  std::vector<uint64_t> energy_mj;     // each one's energy over all timed generation

  try {
    say("loading");
    const double t0 = clock.now_s();
    bool reused = false;
    LlmSession& session = session_for(backend, req, slot, reused);
    r.load_s = seconds_since(clock, t0);
    if (gpu) gpus = nvml_indexes(session);
    const ModelFacts f = session.facts();
    r.model_arch = f.arch;
    r.model_desc = f.desc;
    r.model_bytes = f.bytes;
    r.model_n_params = f.n_params;
    r.bits_per_weight = f.n_params ? 8.0 * double(f.bytes) / double(f.n_params) : 0;
    r.device_name = f.device_name;
    r.extra = f.extra;
    // load_s is then the time to ready the loaded weights for this case (a new KV cache), not a load.
    if (reused) r.extra["weights_kept_from_previous_case"] = true;
    // The case's peak memory is that of inference: a load's own peak is kept beside it, and both
    // peaks restart here (the resident set where Linux allows; elsewhere it still covers the load).
    else r.extra["load_peak"] = {{"rss_bytes", peak_rss_bytes()}, {"device_bytes", session.device_peak_bytes()}};
    reset_peak_rss();
    session.restart_memory_peak();

    if (c.load.active()) {
      serve_load(clock, session, c, in.vocab, r, say);
    } else {
      time_repetitions(clock, session, c, depth, prompt, first, gpus, settled, say, r, energy_mj);
    }
    r.peak_device_bytes = session.device_peak_bytes();
    if (auto snap = gpu ? Nvml::get().snapshot() : std::nullopt) {
      r.device_context["end"] = to_json(*snap);
      // Where the backend keeps no allocator statistics, the device's own count: the worker is the
      // only process of this run on the GPU, so what it holds now is what the case added.
      const uint64_t before = r.device_context["start"].value("memory_used", uint64_t{0});
      if (r.peak_device_bytes == 0 && snap->memory_used > before) {
        r.peak_device_bytes = snap->memory_used - before;
        r.device_context["peak_device_bytes_from"] = "nvml memory used, end minus start";
      }
    }
    if (!gpus.empty()) record_each_gpu(r, gpus, start_all, energy_mj);
    r.extra.update(session.take_observations());
  } catch (const Unsupported& e) {
    slot.session.reset();  // a session that threw mid-case is not trusted with the next one
    return finish(Status::skipped, e.what());
  } catch (const std::bad_alloc&) {
    slot.session.reset();
    return finish(Status::failed, "out of memory: an allocation failed (std::bad_alloc)");
  } catch (const std::exception& e) {
    slot.session.reset();
    return finish(Status::failed, e.what());
  }
  uint64_t total_mj = 0;
  for (uint64_t e : energy_mj) total_mj += e;
  derive_numbers(r, {in.shape, in.calibration, total_mj});
  return finish(Status::ok, "");
}

}  // namespace mtb
