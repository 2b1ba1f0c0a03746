#include "ops/op_harness.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>

#include "core/process_memory.h"
#include "core/store.h"  // write_file_atomic
#include "ops/op_derived.h"
#include "ops/reference.h"

namespace mtb::ops {
namespace fs = std::filesystem;
namespace {

// Enough untimed calls to reach steady state (caches, allocator, thread pool): `warmup` calls or a
// quarter of the time cap, whichever ends first, and at least one.
int warm_up(const Clock& clock, OpInstance& inst, const OpCase& c, int slots) {
  const double t0 = clock.now_s();
  int n = 0;
  do {
    inst.run(n % slots);
    ++n;
  } while (n < c.warmup && seconds_since(clock, t0) < c.time_cap_s / 4);
  return n;
}

// Timed calls, one sample each, rotating input copies, until the stopping rule says why they end.
std::string timed_reps(const Clock& clock, StoppingRule& rule, OpInstance& inst, int slots, std::vector<double>& ms) {
  const double start = clock.now_s();
  for (size_t i = 0;; ++i) {
    const double t0 = clock.now_s();
    inst.run(static_cast<int>(i % static_cast<size_t>(slots)));
    ms.push_back(seconds_since(clock, t0) * 1e3);
    if (std::string why = rule.stop(ms, seconds_since(clock, start)); !why.empty()) return why;
  }
}

std::string reference_file_name(const OpCase& c) {
  // Batch element 0's inputs do not depend on the batch size (ops/reference.h): no batch in the key.
  const OpShape s = c.shape();
  return fmt::format("{}-t{}-d{}-h{}-{}-{}-s{}.f64", c.op, s.seq, s.feature, s.heads, s.causal ? "causal" : "none",
                     c.dtype, c.seed);
}

}  // namespace

std::vector<double> case_reference(const OpCase& c, const std::vector<HostTensor>& inputs, const OpContext& ctx,
                                   bool cacheable) {
  const Op op = op_from_name(c.op);
  const OpShape s = c.shape();
  fs::path file;
  if (cacheable && !ctx.reference_cache.empty()) {
    file = ctx.reference_cache / reference_file_name(c);
    std::ifstream in(file, std::ios::binary);
    if (in) {
      std::vector<double> ref(static_cast<size_t>(fs::file_size(file) / sizeof(double)));
      if (in.read(reinterpret_cast<char*>(ref.data()), static_cast<std::streamsize>(ref.size() * sizeof(double))))
        return ref;
    }
  }
  std::vector<double> ref = reference(op, s, inputs);
  if (!file.empty()) {
    std::error_code ec;
    fs::create_directories(ctx.reference_cache, ec);
    write_file_atomic(file, std::string(reinterpret_cast<const char*>(ref.data()), ref.size() * sizeof(double)));
  }
  return ref;
}

OpRecord run_op_case(OpBackend& backend, const OpCase& c, const OpContext& ctx,
                     const std::function<void(const std::string&)>& progress) {
  auto say = [&](const std::string& s) {
    if (progress) progress(s);
  };
  const Clock& clock = *ctx.clock;
  ConvergedOrCapped own_rule(c.target_rel_ci, c.min_reps, c.time_cap_s);
  StoppingRule& rule = ctx.stopping ? *ctx.stopping : own_rule;
  const double wall0 = clock.now_s();
  OpRecord r;
  r.spec = c;
  r.started_at = utc_now_iso8601();
  r.backend_version = backend.version();
  auto finish = [&](Status st, std::string why) {
    // Every record carries the op's arithmetic, timed or not; an op that is not one has none.
    if (is_op_name(c.op)) derive_op_numbers(r, ctx.calibration);
    r.status = st;
    r.error = std::move(why);
    r.peak_rss_bytes = peak_rss_bytes();
    r.wall_s = seconds_since(clock, wall0);
    return r;
  };
  try {
    const Op op = op_from_name(c.op);
    const OpShape s = c.shape();
    r.title = op_title(op, s);
    for (const auto& d : backend.devices())
      if (d.name == c.device) r.device_name = d.description;

    OpRequest req{op, s, c.device, c.dtype, c.variant, c.threads};
    if (const Support sup = backend.supports(req); !sup.ok) return finish(Status::skipped, sup.reason);

    say("inputs");
    const std::vector<HostTensor> inputs = make_inputs(op, s, c.dtype, c.seed);
    double input_bytes = 0;
    for (const auto& t : inputs) input_bytes += double(t.desc.numel()) * dtype_bytes(c.dtype);
    r.slots = std::clamp(static_cast<int>(std::ceil(c.rotate_mb * 1e6 / std::max(input_bytes, 1.0))), 1, ctx.max_slots);
    r.rotated_bytes = input_bytes * r.slots;

    say("prepare");
    std::unique_ptr<OpInstance> inst = backend.prepare(req, inputs, r.slots);
    r.extra = inst->facts();
    // Other work on the machine skews multi-threaded CPU timings most: say how busy it was.
    if (double load[1]; getloadavg(load, 1) == 1) r.extra["load_average_1m"] = load[0];

    // Verification first: a wrong result is reported, never timed.
    say("verify");
    inst->run(0);
    const std::vector<float> out = inst->output();
    std::vector<HostTensor> used = inputs;
    const std::vector<HostTensor> effective = inst->effective_inputs();
    for (const auto& e : effective)
      for (auto& u : used)
        if (u.desc.name == e.desc.name) u = e;
    const std::vector<double> ref = case_reference(c, used, ctx, effective.empty());
    r.verification = verify(out, ref, tolerance_for(op, c.dtype, c.device, s.quant));
    if (!r.verification.ok) return finish(Status::failed, "verification failed: " + r.verification.message());

    say("warm-up");
    r.warmup_reps = warm_up(clock, *inst, c, r.slots);
    say("timing");
    r.stop = timed_reps(clock, rule, *inst, r.slots, r.samples_ms);
  } catch (const Unsupported& e) {
    return finish(Status::skipped, e.what());
  } catch (const std::exception& e) {
    return finish(Status::failed, e.what());
  }
  return finish(Status::ok, "");
}

}  // namespace mtb::ops
