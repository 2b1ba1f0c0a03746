#include "llm/record.h"

#include <fmt/format.h>


namespace mtb {

std::string CaseSpec::key() const {
  std::string k = fmt::format("{}|{}|{}|{}|p{}|n{}|d{}|b{}|t{}|s{}", model, backend, device, precision, n_prompt, n_gen,
                              n_depth, batch, threads, seed);
  if (load.active()) k += fmt::format("|c{}|r{}", load.concurrency, load.request_rate);
  return k + gpu.key_suffix();
}

std::string load_label(const LoadSettings& l) {
  std::string s;
  if (l.concurrency > 0) s += fmt::format(" c{}", l.concurrency);
  if (l.request_rate == kAllAtOnce) s += " rate inf";
  else if (l.request_rate > 0) s += fmt::format(" rate {:g}/s", l.request_rate);
  return s;
}

std::string CaseSpec::label() const {
  std::string s = fmt::format("{} {} {} {} p{} n{}", model, backend, device, precision, n_prompt, n_gen);
  if (n_depth) s += fmt::format(" d{}", n_depth);
  if (batch != 1) s += fmt::format(" b{}", batch);
  if (threads) s += fmt::format(" t{}", threads);
  return s + load_label(load) + gpu.label_suffix();
}

std::string Record::noise_flag() const {
  if (gen_tps.n < 2 || gen_tps.cv() <= kNoisyCv) return "";
  return fmt::format("tg cv {:.1f}% > {:.0f}%", 100 * gen_tps.cv(), 100 * kNoisyCv);
}

std::string Record::swap_flag() const {
  return swapped_bytes.value_or(0) > 0 ? "swapped " + format_bytes(*swapped_bytes) : "";
}

namespace {

using R = Record;
using F = Field<Record>;

// An axis of the plan: stored in the case and at the record's top level, as llama-bench's fields.
template <auto Member>
F axis(std::string key) {
  return field<&Record::spec, Member>(std::move(key)).of_case();
}

std::string num(double v) { return fmt::format("{}", v); }
// A figure that needs a calibration: an empty cell where there was none (an unknown, not a zero).
std::string optional_num(const std::optional<double>& v) { return v ? num(*v) : std::string(); }
// "1234.5 ± 12.3" from a throughput summary (mean ± stddev, as llama-bench prints).
std::string format_rate(const Summary& s) {
  if (s.n == 0) return "-";
  return s.n > 1 ? fmt::format("{:.2f} ± {:.2f}", s.mean, s.stddev) : fmt::format("{:.2f}", s.mean);
}
std::string gib(uint64_t b) { return num(double(b) / (1ull << 30)); }
// A console figure that is there only when measured.
std::string shown(double v, const char* f) { return v > 0 ? fmt::format(fmt::runtime(f), v) : std::string("-"); }
bool is_load(const R& r) { return r.spec.load.active(); }

// swapped_bytes: in the JSON and the CSV where known, absent (an empty cell) where not.
F swapped_field() {
  F f;
  f.key = "swapped_bytes";
  f.get = [](const R& r) { return nlohmann::json(r.swapped_bytes.value_or(0)); };
  f.set = [](R& r, const nlohmann::json& j) { r.swapped_bytes = j.get<uint64_t>(); };
  f.present = [](const R& r) { return r.swapped_bytes.has_value(); };
  return f.csv("swapped_bytes", [](const R& r) { return r.swapped_bytes ? std::to_string(*r.swapped_bytes) : ""; }).unit("B");
}

// A GPU placement axis: in the case and the record where the case is on a GPU.
template <auto Member>
F placement(const std::string& key, std::string (*text)(const GpuPlacement&)) {
  return field<&Record::spec, &CaseSpec::gpu, Member>(key)
      .of_case()
      .written_if([](const R& r) { return r.spec.device != "cpu"; })
      .csv(key, [text](const R& r) { return r.spec.device != "cpu" ? text(r.spec.gpu) : std::string(); });
}

template <class Pred>
auto any(Pred p) {
  return [p](const std::vector<R>& rs) { return std::any_of(rs.begin(), rs.end(), p); };
}

}  // namespace

const FieldTable<Record>& record_fields() {
  static const FieldTable<Record> t(
      {
          // mlx_transformers_benchmark's columns, in its order (its report reads them)
          axis<&CaseSpec::model>("model").must().csv("name").console("model", 0, false, [](const R& r) { return r.spec.model; }),
          axis<&CaseSpec::backend>("backend").must().csv("framework").console("backend", 1, false, [](const R& r) { return r.spec.backend; }),
          axis<&CaseSpec::device>("device").must().csv("backend").console("device", 2, false, [](const R& r) { return r.spec.device; }),
          axis<&CaseSpec::batch>("batch_size").csv("batch_size"),
          axis<&CaseSpec::precision>("precision").must().csv("dtype").console("type", 3, false, [](const R& r) { return r.spec.precision; }),
          axis<&CaseSpec::n_prompt>("n_prompt").csv("num_prompt_tokens").unit("tokens").console("n_prompt", 4, true, [](const R& r) {
            return std::to_string(r.spec.n_prompt) + (r.spec.n_depth ? fmt::format(" @d{}", r.spec.n_depth) : "");
          }),
          axis<&CaseSpec::n_gen>("n_gen").csv("num_generated_tokens").unit("tokens").console("n_gen", 5, true, [](const R& r) {
            return std::to_string(r.spec.n_gen) + (r.spec.batch != 1 ? fmt::format(" x{}", r.spec.batch) : "");
          }),
          field<&R::prompt_tps>("prompt_tps").unit("t/s").csv("prompt_tps", [](const R& r) { return num(r.prompt_tps.mean); })
              .console("pp t/s", 6, true, [](const R& r) { return format_rate(r.prompt_tps); }),
          field<&R::ttft_s>("ttft_s").unit("s").csv("prompt_time_sec", [](const R& r) { return num(r.ttft_s.mean); })
              .console("ttft ms", 8, true, [](const R& r) { return r.ttft_s.n ? fmt::format("{:.1f}", r.ttft_s.median * 1e3) : "-"; }),
          field<&R::gen_tps>("gen_tps").unit("t/s").csv("generation_tps", [](const R& r) { return num(r.gen_tps.mean); })
              .console("tg t/s", 7, true, [](const R& r) { return format_rate(r.gen_tps); }),
          view<R>("generation_time_sec", [](const R& r) { return num(r.gen_s.empty() ? 0 : summarize(r.gen_s).mean); }),
          view<R>("peak_memory_gib", [](const R& r) { return gib(r.peak_memory_bytes()); })
              .console("peak mem", 9, true, [](const R& r) { return r.status == Status::ok ? format_bytes(r.peak_memory_bytes()) : "-"; }),
          // mtb's
          field<&R::status>("status").csv("status").console("status", 20, false, [](const R& r) {
            std::string s = to_string(r.status);
            if (!r.error.empty()) s += ": " + r.error;
            if (const auto noisy = r.noise_flag(); !noisy.empty()) s += ", noisy: " + noisy;
            if (const auto swapped = r.swap_flag(); !swapped.empty()) s += ", " + swapped;
            return s;
          }),
          field<&R::error>("error").csv("error"),
          axis<&CaseSpec::n_depth>("n_depth").csv("n_depth").unit("tokens"),
          axis<&CaseSpec::threads>("n_threads").csv("n_threads"),
          axis<&CaseSpec::reps>("reps").csv("reps"),
          axis<&CaseSpec::seed>("seed").csv("seed"),
          // Where the model sits on a host of several GPUs: llama-bench's fields and names, for a
          // case on a GPU (a CPU case has no placement: absent, an empty cell).
          placement<&GpuPlacement::split_mode>("split_mode", [](const GpuPlacement& p) { return p.split_mode; }),
          placement<&GpuPlacement::tensor_split>("tensor_split", [](const GpuPlacement& p) { return p.tensor_split; }),
          placement<&GpuPlacement::main_gpu>("main_gpu", [](const GpuPlacement& p) { return std::to_string(p.main_gpu); }),
          placement<&GpuPlacement::gpus>("gpus", [](const GpuPlacement& p) { return p.gpus; }),
          view<R>("prompt_tps_median", [](const R& r) { return num(r.prompt_tps.median); }),
          view<R>("prompt_tps_stddev", [](const R& r) { return num(r.prompt_tps.stddev); }),
          view<R>("generation_tps_median", [](const R& r) { return num(r.gen_tps.median); }),
          view<R>("generation_tps_stddev", [](const R& r) { return num(r.gen_tps.stddev); }),
          view<R>("generation_tps_ci95_lo", [](const R& r) { return num(r.gen_tps.ci95_lo); }),
          view<R>("generation_tps_ci95_hi", [](const R& r) { return num(r.gen_tps.ci95_hi); }),
          view<R>("ttft_median_sec", [](const R& r) { return num(r.ttft_s.median); }),
          field<&R::load_s>("load_s").csv("load_sec").unit("s"),
          field<&R::model_bytes>("model_size").csv("model_size").unit("B"),
          field<&R::model_n_params>("model_n_params").csv("model_n_params"),
          field<&R::bits_per_weight>("bits_per_weight").csv("bits_per_weight"),
          field<&R::model_arch>("model_type").csv("model_type"),
          field<&R::device_name>("device_name").csv("device_name"),
          field<&R::peak_device_bytes>("peak_device_bytes").csv("peak_device_bytes").unit("B"),
          swapped_field(),
          field<&R::tokens_hash>("tokens_hash").csv("tokens_hash"),
          field<&R::started_at>("started_at").csv("started_at"),
          field<&R::roofline>("roofline"),
          view<R>("gen_bytes_per_token", [](const R& r) { return num(r.roofline.gen_bytes_per_token); }),
          view<R>("gen_gbs", [](const R& r) { return num(r.roofline.gen_gbs); })
              .console("tg GB/s", 10, true, [](const R& r) { return shown(r.roofline.gen_gbs, r.roofline.gen_gbs >= 10 ? "{:.0f}" : "{:.2f}"); },
                       any([](const R& r) { return r.roofline.gen_gbs > 0; })),
          view<R>("gen_bw_pct", [](const R& r) { return optional_num(r.roofline.gen_bw_pct); })
              .console("% bw", 11, true, [](const R& r) { return shown(r.roofline.gen_bw_pct.value_or(0), "{:.1f}"); },
                       any([](const R& r) { return r.roofline.gen_bw_pct.has_value(); })),
          view<R>("prompt_tflops", [](const R& r) { return num(r.roofline.prompt_tflops); }),
          view<R>("prompt_flops_pct", [](const R& r) { return optional_num(r.roofline.prompt_flops_pct); }),
          field<&R::gen_j_per_token>("gen_j_per_token").csv("gen_j_per_token").unit("J")
              .console("J/tok", 12, true, [](const R& r) { return shown(r.gen_j_per_token, "{:.3f}"); },
                       any([](const R& r) { return r.gen_j_per_token > 0; })),
          field<&R::gen_avg_power_w>("gen_avg_power_w").csv("gen_avg_power_w").unit("W"),
          // Serving load (empty for single-stream cases): what a spreadsheet of a load run needs.
          view<R>("concurrency", [](const R& r) { return is_load(r) ? std::to_string(r.spec.load.concurrency) : ""; }),
          view<R>("request_rate", [](const R& r) {
            return !is_load(r) ? "" : r.spec.load.request_rate == kAllAtOnce ? "inf" : num(r.spec.load.request_rate);
          }),
          view<R>("output_tps", [](const R& r) { return is_load(r) ? num(r.load.output_throughput) : ""; }),
          view<R>("request_throughput", [](const R& r) { return is_load(r) ? num(r.load.request_throughput) : ""; }),
          view<R>("goodput", [](const R& r) { return is_load(r) ? num(r.load.goodput) : ""; }),
          view<R>("ttft_p50_ms", [](const R& r) { return is_load(r) ? num(r.load.ttft_ms.median) : ""; }),
          view<R>("ttft_p99_ms", [](const R& r) { return is_load(r) ? num(r.load.ttft_ms.p99) : ""; }),
          view<R>("tpot_p50_ms", [](const R& r) { return is_load(r) ? num(r.load.tpot_ms.median) : ""; }),
          view<R>("tpot_p99_ms", [](const R& r) { return is_load(r) ? num(r.load.tpot_ms.p99) : ""; }),
          view<R>("itl_p50_ms", [](const R& r) { return is_load(r) ? num(r.load.itl_ms.median) : ""; }),
          view<R>("e2e_p50_ms", [](const R& r) { return is_load(r) ? num(r.load.e2e_ms.median) : ""; }),
          view<R>("failed_requests", [](const R& r) { return is_load(r) ? std::to_string(r.load.failed) : ""; }),
          // JSON only
          axis<&CaseSpec::load>("load").written_if([](const R& r) { return r.spec.load.active(); }),
          field<&R::load>("load_metrics").written_if(is_load)
              .console("load", 14, false, [](const R& r) { return is_load(r) ? load_label(r.spec.load).substr(1) : "-"; }, any(is_load)),
          console_only<R>("out t/s", 15, true, [](const R& r) { return is_load(r) ? fmt::format("{:.1f}", r.load.output_throughput) : "-"; }, any(is_load)),
          console_only<R>("TTFT p50/p99 ms", 16, true, [](const R& r) {
            return is_load(r) && r.load.ttft_ms.n ? fmt::format("{:.1f} / {:.1f}", r.load.ttft_ms.median, r.load.ttft_ms.p99) : "-";
          }, any(is_load)),
          console_only<R>("TPOT p50/p99 ms", 17, true, [](const R& r) {
            return is_load(r) && r.load.tpot_ms.n ? fmt::format("{:.2f} / {:.2f}", r.load.tpot_ms.median, r.load.tpot_ms.p99) : "-";
          }, any(is_load)),
          console_only<R>("failed", 18, true, [](const R& r) { return is_load(r) ? std::to_string(r.load.failed) : "-"; }, any(is_load)),
          field<&R::requests>("requests").written_if(is_load),
          axis<&CaseSpec::warmup>("warmup"),
          axis<&CaseSpec::timeout_s>("timeout_s").unit("s"),
          axis<&CaseSpec::ci_stop>("ci_stop").written_if([](const R& r) { return r.spec.ci_stop > 0; }),
          axis<&CaseSpec::prompt_file>("prompt_file").written_if([](const R& r) { return !r.spec.prompt_file.empty(); }),
          field<&R::model_path>("model_path"),
          field<&R::model_desc>("model_desc"),
          field<&R::generated>("generated"),
          field<&R::prompt_s>("samples_prompt_s").unit("s"),
          field<&R::gen_s>("samples_gen_s").unit("s"),
          // With several sequences the rates above are aggregates (all sequences' tokens over the wall
          // time, as llama-batched-bench's S_TG and S_PP); these are one sequence's share.
          json_view<R>("gen_tps_per_sequence", [](const R& r) { return r.gen_tps.mean / r.spec.batch; })
              .written_if([](const R& r) { return r.spec.batch > 1; })
              .console("tg t/s/seq", 7, true, [](const R& r) { return r.gen_tps.n ? fmt::format("{:.2f}", r.gen_tps.mean / r.spec.batch) : "-"; },
                       any([](const R& r) { return r.spec.batch > 1; })),
          json_view<R>("prompt_tps_per_sequence", [](const R& r) { return r.prompt_tps.mean / r.spec.batch; })
              .written_if([](const R& r) { return r.spec.batch > 1; }),
          // llama-bench's names for the headline figure: generation where there is one, else the prompt
          json_view<R>("avg_ts", [](const R& r) { return (r.spec.n_gen > 0 ? r.gen_tps : r.prompt_tps).mean; }),
          json_view<R>("stddev_ts", [](const R& r) { return (r.spec.n_gen > 0 ? r.gen_tps : r.prompt_tps).stddev; }),
          field<&R::peak_rss_bytes>("peak_rss_bytes").unit("B"),
          field<&R::gen_energy_j>("gen_energy_j").unit("J"),
          field<&R::device_context>("device_context"),
          field<&R::backend_version>("backend_version"),
          field<&R::wall_s>("wall_s").unit("s"),
          field<&R::extra>("extra"),
      },
      num);
  return t;
}

void to_json(nlohmann::json& j, const CaseSpec& c) { j = case_to_json(record_fields(), c, &Record::spec); }
void from_json(const nlohmann::json& j, CaseSpec& c) { c = case_from_json(record_fields(), j, &Record::spec); }
void to_json(nlohmann::json& j, const Record& r) { j = record_fields().to_json(r); }

void from_json(const nlohmann::json& j, Record& r) {
  r = Record{};
  r.status = Status::failed;  // a record that does not say how it ended did not end well
  record_fields().from_json(j, r);
}

}  // namespace mtb
