#include "ops/op_record.h"

#include <fmt/format.h>

#include "core/printers.h"
#include "core/store.h"

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

void to_json(nlohmann::json& j, const OpCase& c) {
  j = {{"op", c.op},
       {"backend", c.backend},
       {"variant", c.variant},
       {"device", c.device},
       {"dtype", c.dtype},
       {"quant", c.quant},
       {"mask", c.mask},
       {"batch_size", c.batch},
       {"sequence_length", c.seq},
       {"feature", c.feature},
       {"heads", c.heads},
       {"n_threads", c.threads},
       {"seed", c.seed},
       {"warmup", c.warmup},
       {"min_reps", c.min_reps},
       {"target_rel_ci", c.target_rel_ci},
       {"time_cap_s", c.time_cap_s},
       {"timeout_s", c.timeout_s}};
}

void from_json(const nlohmann::json& j, OpCase& c) {
  j.at("op").get_to(c.op);
  j.at("backend").get_to(c.backend);
  c.variant = j.value("variant", c.variant);
  c.device = j.value("device", c.device);
  c.dtype = j.value("dtype", c.dtype);
  c.quant = j.value("quant", c.quant);
  c.mask = j.value("mask", c.mask);
  c.batch = j.value("batch_size", c.batch);
  c.seq = j.value("sequence_length", c.seq);
  c.feature = j.value("feature", c.feature);
  c.heads = j.value("heads", c.heads);
  c.threads = j.value("n_threads", c.threads);
  c.seed = j.value("seed", c.seed);
  c.warmup = j.value("warmup", c.warmup);
  c.min_reps = j.value("min_reps", c.min_reps);
  c.target_rel_ci = j.value("target_rel_ci", c.target_rel_ci);
  c.time_cap_s = j.value("time_cap_s", c.time_cap_s);
  c.timeout_s = j.value("timeout_s", c.timeout_s);
}

void to_json(nlohmann::json& j, const OpRecord& r) {
  j = r.spec;  // the axes at the top level, as `mtb llm`'s records
  j.update({{"name", r.title},
            {"status", to_string(r.status)},
            {"error", r.error},
            {"verification", r.verification},
            {"warmup_reps", r.warmup_reps},
            {"samples_ms", r.samples_ms},
            {"ms", r.ms},
            {"stop", r.stop},
            {"slots", r.slots},
            {"rotated_bytes", r.rotated_bytes},
            {"flops", r.flops},
            {"min_bytes", r.min_bytes},
            {"gflops", r.gflops},
            {"gbs", r.gbs},
            {"pct_flops", r.pct_flops},
            {"pct_bw", r.pct_bw},
            {"roofline_pct", r.roofline_pct},
            {"calibration", r.calibration},
            {"backend_version", r.backend_version},
            {"device_name", r.device_name},
            {"started_at", r.started_at},
            {"wall_s", r.wall_s},
            {"peak_rss_bytes", r.peak_rss_bytes},
            {"extra", r.extra}});
}

void from_json(const nlohmann::json& j, OpRecord& r) {
  r.spec = j.get<OpCase>();
  r.title = j.value("name", "");
  r.status = status_from_string(j.at("status").get<std::string>());
  r.error = j.value("error", "");
  if (j.contains("verification")) r.verification = j["verification"].get<Verification>();
  r.warmup_reps = j.value("warmup_reps", 0);
  r.samples_ms = j.value("samples_ms", std::vector<double>{});
  if (j.contains("ms")) r.ms = j["ms"].get<Summary>();
  r.stop = j.value("stop", "");
  r.slots = j.value("slots", 1);
  r.rotated_bytes = j.value("rotated_bytes", 0.0);
  r.flops = j.value("flops", 0.0);
  r.min_bytes = j.value("min_bytes", 0.0);
  r.gflops = j.value("gflops", 0.0);
  r.gbs = j.value("gbs", 0.0);
  r.pct_flops = j.value("pct_flops", 0.0);
  r.pct_bw = j.value("pct_bw", 0.0);
  r.roofline_pct = j.value("roofline_pct", 0.0);
  r.calibration = j.value("calibration", "");
  r.backend_version = j.value("backend_version", "");
  r.device_name = j.value("device_name", "");
  r.started_at = j.value("started_at", "");
  r.wall_s = j.value("wall_s", 0.0);
  r.peak_rss_bytes = j.value("peak_rss_bytes", uint64_t{0});
  r.extra = j.value("extra", nlohmann::json::object());
}

namespace {

std::string num(double v) { return fmt::format("{:.6g}", v); }

// The ancestor's columns (its report reads these), then mtb's. The ancestor's `framework` is the
// library and its `backend` the device; duration_ms is the mean time per call.
const std::vector<std::string>& csv_header() {
  static const std::vector<std::string> h{
      "name", "framework", "backend", "compile", "batch_size", "sequence_length", "num_warmup_iterations",
      "num_iterations", "num_repeats", "median_ms", "duration_ms", "std_ms", "dtype",
      // mtb's
      "op", "variant", "feature", "heads", "mask", "quant", "n_threads", "status", "error", "ci95_lo_ms", "ci95_hi_ms",
      "min_ms", "stop", "verified", "rel_err", "tolerance", "flops", "min_bytes", "gflops", "gbs", "pct_flops",
      "pct_bw", "roofline_pct", "slots", "backend_version", "device_name", "started_at"};
  return h;
}

std::vector<std::string> csv_row(const OpRecord& r) {
  const OpCase& c = r.spec;
  const bool timed = r.ms.n > 0;
  auto t = [&](double v) { return timed ? num(v) : std::string(); };
  const bool checked = r.verification.compared > 0;
  return {r.title, c.backend, c.device, c.variant == "eager" ? "False" : "True", std::to_string(c.batch),
          std::to_string(c.seq), std::to_string(r.warmup_reps), std::to_string(r.samples_ms.size()), "1",
          t(r.ms.median), t(r.ms.mean), t(r.ms.stddev), c.dtype,
          c.op, c.variant, std::to_string(c.feature), std::to_string(c.heads), c.mask, c.quant,
          std::to_string(c.threads), to_string(r.status), r.error, t(r.ms.ci95_lo), t(r.ms.ci95_hi), t(r.ms.min), r.stop,
          checked ? (r.verification.ok ? "True" : "False") : "", checked ? num(r.verification.rel_err) : "",
          checked ? num(r.verification.tolerance) : "", num(r.flops), num(r.min_bytes), t(r.gflops), t(r.gbs),
          timed && r.pct_flops > 0 ? num(r.pct_flops) : "", timed && r.pct_bw > 0 ? num(r.pct_bw) : "",
          timed && r.roofline_pct > 0 ? num(r.roofline_pct) : "", std::to_string(r.slots), r.backend_version,
          r.device_name, r.started_at};
}

}  // namespace

std::string format_op_csv(const std::vector<OpRecord>& records) {
  std::string out;
  const auto& h = csv_header();
  for (size_t i = 0; i < h.size(); ++i) out += (i ? "," : "") + h[i];
  out += "\n";
  for (const auto& r : records) {
    const auto v = csv_row(r);
    for (size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + csv_escape(v[i]);
    out += "\n";
  }
  return out;
}

std::string format_op_table(const std::vector<OpRecord>& records) {
  std::vector<std::vector<std::string>> rows{{"op", "backend", "device", "dtype", "batch", "seq", "median ms",
                                              "± ci95", "reps", "GFLOP/s", "GB/s", "roofline", "max err (tol)",
                                              "status"}};
  for (const auto& r : records) {
    const OpCase& c = r.spec;
    const bool timed = r.ms.n > 0;
    std::string name = r.title.empty() ? c.op : r.title;
    std::string backend = c.backend + (c.variant == "eager" ? "" : "[" + c.variant + "]");
    std::string status = to_string(r.status);
    if (!r.error.empty()) status += ": " + r.error;
    else if (timed && r.stop != "converged") status += " (" + r.stop + ")";
    const auto& v = r.verification;
    rows.push_back({name, backend, c.device, c.dtype, std::to_string(c.batch), std::to_string(c.seq),
                    timed ? fmt::format("{:.4f}", r.ms.median) : "-",
                    timed ? fmt::format("{:.1f}%", 100 * r.ms.rel_ci95()) : "-",
                    timed ? std::to_string(r.ms.n) : "-", timed ? fmt::format("{:.1f}", r.gflops) : "-",
                    timed ? fmt::format("{:.1f}", r.gbs) : "-",
                    timed && r.roofline_pct > 0 ? fmt::format("{:.1f}%", r.roofline_pct) : "-",
                    v.compared ? fmt::format("{:.1e} ({:.0e})", v.rel_err, v.tolerance) : "-", status});
  }
  std::vector<bool> numeric(rows[0].size(), false);
  for (size_t i = 4; i <= 12; ++i) numeric[i] = true;
  return markdown_table(rows, numeric);
}

}  // namespace mtb::ops
