#include "quality/quality_record.h"

#include <fmt/format.h>

namespace mtb {

std::string QualityCase::key() const {
  return fmt::format("{}|{}|{}|{}|{}|ref {} {}|c{}|w{}|t{}|s{}|{}", model, backend, device, precision,
                     reference ? "reference" : "candidate", ref_model, reference_label(), n_ctx, n_chunks, threads, seed,
                     prompt_file);
}

std::string QualityCase::reference_label() const { return fmt::format("{} {} {}", ref_backend, ref_device, ref_precision); }

std::string QualityCase::label() const {
  if (reference) return fmt::format("{} reference {} {} {}", model, backend, device, precision);
  return fmt::format("{} {} {} {} vs {}", model, backend, device, precision, ref_precision);
}

namespace {

using R = QualityRecord;

template <auto Member>
Field<R> axis(std::string key) {
  return field<&R::spec, Member>(std::move(key)).of_case();
}

std::string num(double v) { return fmt::format("{}", v); }
bool measured(const R& r) { return r.status == Status::ok && !r.spec.reference; }
// A figure of a measured candidate; "" (CSV) or "-" (console) otherwise: an unknown is not a zero.
std::function<std::string(const R&)> csv_of(double (*get)(const R&)) {
  return [get](const R& r) { return measured(r) ? num(get(r)) : std::string(); };
}
std::string pm(const Estimate& e, const char* f) {
  return fmt::format(fmt::runtime(f), e.value) + " ± " + fmt::format(fmt::runtime(f), e.uncertainty);
}

}  // namespace

const FieldTable<QualityRecord>& quality_record_fields() {
  static const FieldTable<R> t(
      {
          axis<&QualityCase::model>("model").must().csv("name").console("model", 0, false, [](const R& r) { return r.spec.model; }),
          axis<&QualityCase::backend>("backend").must().csv("framework").console("backend", 1, false, [](const R& r) { return r.spec.backend; }),
          axis<&QualityCase::device>("device").must().csv("backend").console("device", 2, false, [](const R& r) { return r.spec.device; }),
          axis<&QualityCase::precision>("precision").must().csv("dtype").console("type", 3, false, [](const R& r) { return r.spec.precision; }),
          axis<&QualityCase::reference>("reference").must().csv("is_reference"),
          axis<&QualityCase::ref_model>("ref_model").csv("ref_name"),
          axis<&QualityCase::ref_backend>("ref_backend").csv("ref_framework"),
          axis<&QualityCase::ref_device>("ref_device").csv("ref_backend"),
          axis<&QualityCase::ref_precision>("ref_precision").csv("ref_dtype").console("vs", 4, false, [](const R& r) {
            return r.spec.reference ? std::string("(reference)") : r.spec.reference_label();
          }),
          axis<&QualityCase::n_ctx>("n_ctx").csv("n_ctx").unit("tokens"),
          axis<&QualityCase::n_chunks>("n_chunks").csv("n_chunks"),
          axis<&QualityCase::threads>("n_threads").csv("n_threads"),
          axis<&QualityCase::seed>("seed").csv("seed"),
          axis<&QualityCase::prompt_file>("prompt_file").csv("prompt_file").written_if([](const R& r) { return !r.spec.prompt_file.empty(); }),
          axis<&QualityCase::timeout_s>("timeout_s").unit("s"),
          field<&R::status>("status").csv("status").console("status", 20, false, [](const R& r) {
            std::string s = to_string(r.status);
            if (!r.error.empty()) s += ": " + r.error;
            return s;
          }),
          field<&R::error>("error").csv("error"),
          field<&R::synthetic>("synthetic").csv("synthetic_weights").console("weights", 5, false, [](const R& r) {
            return std::string(r.synthetic ? "synthetic" : "real");
          }),
          field<&R::metrics>("metrics").written_if([](const R& r) { return r.status == Status::ok; }),
          view<R>("n_scored", [](const R& r) { return r.status == Status::ok ? std::to_string(r.metrics.n_scored) : ""; })
              .console("tokens", 6, true, [](const R& r) { return r.status == Status::ok ? std::to_string(r.metrics.n_scored) : "-"; }),
          view<R>("kld_mean", csv_of([](const R& r) { return r.metrics.kld.value; }))
              .console("mean KLD", 7, true, [](const R& r) { return measured(r) ? pm(r.metrics.kld, "{:.6f}") : "-"; }),
          view<R>("kld_mean_unc", csv_of([](const R& r) { return r.metrics.kld.uncertainty; })),
          view<R>("kld_median", csv_of([](const R& r) { return r.metrics.kld_median; }))
              .console("median", 8, true, [](const R& r) { return measured(r) ? fmt::format("{:.6f}", r.metrics.kld_median) : "-"; }),
          view<R>("kld_p90", csv_of([](const R& r) { return r.metrics.kld_p90; })),
          view<R>("kld_p99", csv_of([](const R& r) { return r.metrics.kld_p99; }))
              .console("p99", 9, true, [](const R& r) { return measured(r) ? fmt::format("{:.5f}", r.metrics.kld_p99) : "-"; }),
          view<R>("kld_max", csv_of([](const R& r) { return r.metrics.kld_max; }))
              .console("max", 10, true, [](const R& r) { return measured(r) ? fmt::format("{:.4f}", r.metrics.kld_max) : "-"; }),
          view<R>("same_top1_pct", csv_of([](const R& r) { return r.metrics.same_top1_pct.value; }))
              .console("same top-1 %", 11, true, [](const R& r) { return measured(r) ? pm(r.metrics.same_top1_pct, "{:.2f}") : "-"; }),
          view<R>("dp_rms_pct", csv_of([](const R& r) { return r.metrics.dp_rms_pct.value; }))
              .console("RMS Δp %", 12, true, [](const R& r) { return measured(r) ? pm(r.metrics.dp_rms_pct, "{:.3f}") : "-"; }),
          view<R>("dp_mean_pct", csv_of([](const R& r) { return r.metrics.dp_mean_pct.value; })),
          view<R>("ppl", csv_of([](const R& r) { return r.metrics.ppl.value; })),
          view<R>("ppl_ref", [](const R& r) { return r.status == Status::ok ? num(r.metrics.ppl_ref.value) : ""; })
              .console("PPL ref", 13, true, [](const R& r) { return r.status == Status::ok ? fmt::format("{:.4g}", r.metrics.ppl_ref.value) : "-"; }),
          view<R>("ppl_ratio", csv_of([](const R& r) { return r.metrics.ppl_ratio.value; }))
              .console("PPL ratio", 14, true, [](const R& r) { return measured(r) ? pm(r.metrics.ppl_ratio, "{:.4f}") : "-"; }),
          field<&R::n_vocab>("n_vocab").csv("n_vocab"),
          field<&R::tokens_hash>("tokens_hash").csv("tokens_hash"),
          field<&R::model_bytes>("model_size").csv("model_size").unit("B"),
          field<&R::bits_per_weight>("bits_per_weight").csv("bits_per_weight"),
          field<&R::device_name>("device_name").csv("device_name"),
          field<&R::backend_version>("backend_version").csv("backend_version"),
          field<&R::started_at>("started_at").csv("started_at"),
          field<&R::eval_s>("eval_s").csv("eval_sec").unit("s"),
          field<&R::wall_s>("wall_s").csv("wall_sec").unit("s"),
          field<&R::model_path>("model_path"),
          field<&R::extra>("extra"),
      },
      num);
  return t;
}

void to_json(nlohmann::json& j, const QualityCase& c) { j = case_to_json(quality_record_fields(), c, &QualityRecord::spec); }
void from_json(const nlohmann::json& j, QualityCase& c) { c = case_from_json(quality_record_fields(), j, &QualityRecord::spec); }
void to_json(nlohmann::json& j, const QualityRecord& r) { j = quality_record_fields().to_json(r); }

void from_json(const nlohmann::json& j, QualityRecord& r) {
  r = QualityRecord{};
  r.status = Status::failed;  // a record that does not say how it ended did not end well
  quality_record_fields().from_json(j, r);
}

}  // namespace mtb
