#include "ops/op_record.h"

#include <fmt/format.h>


namespace mtb::ops {

OpShape OpCase::shape() const {
  const Op o = op_from_name(op);
  OpShape s;
  s.batch = batch;
  s.seq = seq;
  s.feature = feature;
  s.heads = uses_heads(o) ? heads : 1;
  s.causal = uses_mask(o) && mask == "causal";
  s.quant = uses_quant(o) ? quant : "";
  return s;
}

std::string OpCase::key() const {
  return fmt::format("{}|{}|{}|{}|{}|{}|{}|b{}|t{}|d{}|h{}|th{}|s{}", op, backend, variant, device, dtype, quant, mask,
                     batch, seq, feature, heads, threads, seed);
}

std::string OpCase::label() const {
  std::string s = fmt::format("{} {}{} {} {} b{} t{}", op, backend, variant == "eager" ? "" : "[" + variant + "]",
                              device, dtype, batch, seq);
  if (feature != 768) s += fmt::format(" d{}", feature);
  if (uses_heads(op_from_name(op))) s += fmt::format(" h{}", heads);
  if (uses_mask(op_from_name(op))) s += " " + mask;
  if (!quant.empty()) s += " " + quant;
  return s;
}

namespace {

using R = OpRecord;

template <auto Member>
Field<R> axis(std::string key) {
  return field<&OpRecord::spec, Member>(std::move(key)).of_case();
}

std::string num(double v) { return fmt::format("{:.6g}", v); }
bool timed(const R& r) { return r.ms.n > 0; }
bool checked(const R& r) { return r.verification.compared > 0; }
// A figure that exists only once the op was timed (or verified): empty otherwise.
std::function<std::string(const R&)> if_timed(double (*v)(const R&)) {
  return [v](const R& r) { return timed(r) ? num(v(r)) : std::string(); };
}
std::function<std::string(const R&)> if_checked(double (*v)(const R&)) {
  return [v](const R& r) { return checked(r) ? num(v(r)) : std::string(); };
}
std::function<std::string(const R&)> if_calibrated(double (*v)(const R&)) {
  return [v](const R& r) { return timed(r) && v(r) > 0 ? num(v(r)) : std::string(); };
}
std::function<std::string(const R&)> console_timed(const char* f, double (*v)(const R&)) {
  return [f, v](const R& r) { return timed(r) ? fmt::format(fmt::runtime(f), v(r)) : std::string("-"); };
}

}  // namespace

const FieldTable<OpRecord>& op_record_fields() {
  static const FieldTable<OpRecord> t(
      {
          // mlx_transformers_benchmark's layer columns, in its order
          field<&R::title>("name").csv("name").console("op", 0, false, [](const R& r) { return r.title.empty() ? r.spec.op : r.title; }),
          axis<&OpCase::backend>("backend").must().csv("framework").console("backend", 1, false, [](const R& r) {
            return r.spec.backend + (r.spec.variant == "eager" ? "" : "[" + r.spec.variant + "]");
          }),
          axis<&OpCase::device>("device").csv("backend").console("device", 2, false, [](const R& r) { return r.spec.device; }),
          view<R>("compile", [](const R& r) { return r.spec.variant == "eager" ? "False" : "True"; }),
          axis<&OpCase::batch>("batch_size").csv("batch_size").console("batch", 4, true, [](const R& r) { return std::to_string(r.spec.batch); }),
          axis<&OpCase::seq>("sequence_length").csv("sequence_length").console("seq", 5, true, [](const R& r) { return std::to_string(r.spec.seq); }),
          field<&R::warmup_reps>("warmup_reps").csv("num_warmup_iterations"),
          view<R>("num_iterations", [](const R& r) { return std::to_string(r.samples_ms.size()); }),
          view<R>("num_repeats", [](const R&) { return std::string("1"); }),
          field<&R::ms>("ms").unit("ms").csv("median_ms", if_timed([](const R& r) { return r.ms.median; }))
              .console("median ms", 6, true, console_timed("{:.4f}", [](const R& r) { return r.ms.median; })),
          view<R>("duration_ms", if_timed([](const R& r) { return r.ms.mean; })),
          view<R>("std_ms", if_timed([](const R& r) { return r.ms.stddev; })),
          axis<&OpCase::dtype>("dtype").csv("dtype").console("dtype", 3, false, [](const R& r) { return r.spec.dtype; }),
          // mtb's
          axis<&OpCase::op>("op").must().csv("op"),
          axis<&OpCase::variant>("variant").csv("variant"),
          axis<&OpCase::feature>("feature").csv("feature"),
          axis<&OpCase::heads>("heads").csv("heads"),
          axis<&OpCase::mask>("mask").csv("mask"),
          axis<&OpCase::quant>("quant").csv("quant"),
          axis<&OpCase::threads>("n_threads").csv("n_threads"),
          field<&R::status>("status").must().csv("status").console("status", 13, false, [](const R& r) {
            std::string s = to_string(r.status);
            if (!r.error.empty()) s += ": " + r.error;
            else if (timed(r) && r.stop != "converged") s += " (" + r.stop + ")";
            return s;
          }),
          field<&R::error>("error").csv("error"),
          field<&R::median_ci>("median_ci95_ms").unit("ms").csv("median_ci95_lo_ms", if_timed([](const R& r) { return r.median_ci.lo; }))
              .console("± ci95", 7, true, console_timed("{:.1f}%", [](const R& r) { return 100 * r.rel_ci(); })),
          view<R>("median_ci95_hi_ms", if_timed([](const R& r) { return r.median_ci.hi; })),
          view<R>("mean_ci95_lo_ms", if_timed([](const R& r) { return r.ms.ci95_lo; })),
          view<R>("mean_ci95_hi_ms", if_timed([](const R& r) { return r.ms.ci95_hi; })),
          view<R>("min_ms", if_timed([](const R& r) { return r.ms.min; })),
          field<&R::stop>("stop").csv("stop"),
          field<&R::verification>("verification")
              .csv("verified", [](const R& r) { return checked(r) ? (r.verification.ok ? "True" : "False") : ""; })
              .console("max err (tol)", 12, true, [](const R& r) {
                const auto& v = r.verification;
                return v.compared ? fmt::format("{:.1e} ({:.0e})", v.rel_err, v.tolerance) : std::string("-");
              }),
          view<R>("rel_err", if_checked([](const R& r) { return r.verification.rel_err; })),
          view<R>("tolerance", if_checked([](const R& r) { return r.verification.tolerance; })),
          view<R>("rms_rel_err", if_checked([](const R& r) { return r.verification.rms_rel_err; })),
          view<R>("rms_tolerance", if_checked([](const R& r) { return r.verification.rms_tolerance; })),
          field<&R::flops>("flops").csv("flops"),
          field<&R::min_bytes>("min_bytes").csv("min_bytes").unit("B"),
          field<&R::gflops>("gflops").unit("GFLOP/s").csv("gflops", if_timed([](const R& r) { return r.gflops; }))
              .console("GFLOP/s", 9, true, console_timed("{:.1f}", [](const R& r) { return r.gflops; })),
          field<&R::gbs>("gbs").unit("GB/s").csv("gbs", if_timed([](const R& r) { return r.gbs; }))
              .console("GB/s", 10, true, console_timed("{:.1f}", [](const R& r) { return r.gbs; })),
          field<&R::pct_flops>("pct_flops").unit("%").csv("pct_flops", if_calibrated([](const R& r) { return r.pct_flops; })),
          field<&R::pct_bw>("pct_bw").unit("%").csv("pct_bw", if_calibrated([](const R& r) { return r.pct_bw; })),
          field<&R::roofline_pct>("roofline_pct").unit("%").csv("roofline_pct", if_calibrated([](const R& r) { return r.roofline_pct; }))
              .console("roofline", 11, true, [](const R& r) {
                return timed(r) && r.roofline_pct > 0 ? fmt::format("{:.1f}%", r.roofline_pct) : std::string("-");
              }),
          field<&R::slots>("slots").csv("slots"),
          field<&R::backend_version>("backend_version").csv("backend_version"),
          field<&R::device_name>("device_name").csv("device_name"),
          field<&R::started_at>("started_at").csv("started_at"),
          // JSON only
          console_only<R>("reps", 8, true, [](const R& r) { return timed(r) ? std::to_string(r.ms.n) : std::string("-"); }),
          axis<&OpCase::seed>("seed"),
          axis<&OpCase::warmup>("warmup"),
          axis<&OpCase::min_reps>("min_reps"),
          axis<&OpCase::target_rel_ci>("target_rel_ci"),
          axis<&OpCase::time_cap_s>("time_cap_s").unit("s"),
          axis<&OpCase::rotate_mb>("rotate_mb").unit("MB"),
          axis<&OpCase::timeout_s>("timeout_s").unit("s"),
          field<&R::samples_ms>("samples_ms").unit("ms"),
          field<&R::rotated_bytes>("rotated_bytes").unit("B"),
          field<&R::calibration>("calibration"),
          field<&R::wall_s>("wall_s").unit("s"),
          field<&R::peak_rss_bytes>("peak_rss_bytes").unit("B"),
          field<&R::extra>("extra"),
      },
      num);
  return t;
}

void to_json(nlohmann::json& j, const OpCase& c) { j = case_to_json(op_record_fields(), c, &OpRecord::spec); }
void from_json(const nlohmann::json& j, OpCase& c) { c = case_from_json(op_record_fields(), j, &OpRecord::spec); }
void to_json(nlohmann::json& j, const OpRecord& r) { j = op_record_fields().to_json(r); }

void from_json(const nlohmann::json& j, OpRecord& r) {
  r = OpRecord{};
  op_record_fields().from_json(j, r);
}

}  // namespace mtb::ops
