#include "llm/derived.h"

#include <algorithm>

namespace mtb {
namespace {

Roofline roofline_of(const Record& r, const ModelShape& m, const std::optional<Calibration>& cal) {
  Roofline f;
  const auto& c = r.spec;
  // Without the weights' size (a server's model is not ours to read) there is nothing to divide.
  if (r.gen_tps.n > 0 && r.model_bytes > 0) {
    // One decode step serves the whole batch: weights once, each sequence's cache once.
    const double mean_ctx = c.n_depth + c.n_prompt + c.n_gen / 2.0;
    const double step_bytes = double(r.model_bytes) + double(c.batch) * double(m.kv_bytes_per_token()) * mean_ctx;
    const double steps_per_s = r.gen_tps.mean / c.batch;
    f.gen_bytes_per_token = step_bytes;
    f.gen_gbs = step_bytes * steps_per_s / 1e9;
    if (cal && cal->bandwidth_gbs > 0) f.gen_bw_pct = 100 * f.gen_gbs / cal->bandwidth_gbs;
  }
  if (r.prompt_tps.n > 0) {
    // Attention: QK^T and PV, 2 FLOPs per multiply-add each, over the mean number of keys seen.
    const double mean_keys = c.n_depth + c.n_prompt / 2.0;
    const double attn = 4.0 * m.n_layer * double(m.n_head) * m.head_dim * mean_keys;
    f.prompt_flops_per_token = 2.0 * double(m.matmul_params) + attn;
    f.prompt_tflops = f.prompt_flops_per_token * r.prompt_tps.mean / 1e12;
    if (cal && cal->matmul_tflops > 0) f.prompt_flops_pct = 100 * f.prompt_tflops / cal->matmul_tflops;
  }
  return f;
}

// A backend that reports its own counts and times per timed request (a server: extra.server_reported,
// -1 where not reported) gets its own rates too, by the same statistics as the client-side samples.
void derive_reported_rates(nlohmann::json& reported) {
  std::vector<double> pp, tg;
  const auto& n = reported["prompt_n"];
  for (size_t i = 0; i < n.size(); ++i) {
    const double prompt_n = n[i].get<double>(), cached = reported["prompt_cached"][i].get<double>();
    const double prompt_ms = reported["prompt_ms"][i].get<double>();
    const double gen_n = reported["gen_n"][i].get<double>(), gen_ms = reported["gen_ms"][i].get<double>();
    // tokens the server evaluated (not those it had cached) over its prompt time
    if (prompt_n > 0 && prompt_ms > 0) pp.push_back(1e3 * (prompt_n - std::max(0.0, cached)) / prompt_ms);
    if (gen_n > 0 && gen_ms > 0) tg.push_back(1e3 * gen_n / gen_ms);  // llama-server: predicted_per_second
  }
  reported["prompt_tps"] = summarize(pp);
  reported["gen_tps"] = summarize(tg);
}

}  // namespace

void to_json(nlohmann::json& j, const Roofline& r) {
  j = {{"gen_bytes_per_token", r.gen_bytes_per_token},
       {"gen_gbs", r.gen_gbs},
       {"prompt_flops_per_token", r.prompt_flops_per_token},
       {"prompt_tflops", r.prompt_tflops}};
  if (r.gen_bw_pct) j["gen_bw_pct"] = *r.gen_bw_pct;
  if (r.prompt_flops_pct) j["prompt_flops_pct"] = *r.prompt_flops_pct;
}

void from_json(const nlohmann::json& j, Roofline& r) {
  r = Roofline{};
  r.gen_bytes_per_token = j.value("gen_bytes_per_token", 0.0);
  r.gen_gbs = j.value("gen_gbs", 0.0);
  r.prompt_flops_per_token = j.value("prompt_flops_per_token", 0.0);
  r.prompt_tflops = j.value("prompt_tflops", 0.0);
  auto pct = [&](const char* key) -> std::optional<double> {
    const auto it = j.find(key);
    if (it == j.end() || !it->is_number() || it->get<double>() <= 0) return std::nullopt;
    return it->get<double>();
  };
  r.gen_bw_pct = pct("gen_bw_pct");
  r.prompt_flops_pct = pct("prompt_flops_pct");
}

namespace {

std::vector<double> rates(const std::vector<double>& seconds, double tokens) {
  std::vector<double> out;
  for (double s : seconds)
    if (s > 0 && tokens > 0) out.push_back(tokens / s);
  return out;
}

}  // namespace

std::vector<double> prompt_rates(const Record& r) { return rates(r.prompt_s, double(r.spec.n_prompt) * r.spec.batch); }
std::vector<double> gen_rates(const Record& r) { return rates(r.gen_s, double(r.spec.n_gen) * r.spec.batch); }

std::vector<double> request_rates(const Record& r) {
  std::vector<double> out;
  for (const auto& q : r.requests)
    if (q.error.empty() && q.end_s > q.send_s) out.push_back(q.output_tokens / (q.end_s - q.send_s));
  return out;
}

void derive_numbers(Record& r, const DerivationInputs& in) {
  const CaseSpec& c = r.spec;
  const double gen_tokens = double(c.n_gen) * c.batch;
  r.prompt_tps = summarize(prompt_rates(r));
  r.gen_tps = summarize(gen_rates(r));
  r.ttft_s = summarize(r.prompt_s);
  r.roofline = roofline_of(r, in.shape, in.calibration);
  if (r.spec.load.active()) r.load = load_metrics(r.requests, r.spec.load);
  if (auto it = r.extra.find("server_reported"); it != r.extra.end() && it->contains("prompt_n")) derive_reported_rates(*it);
  if (in.gen_energy_mj > 0 && !r.gen_s.empty()) {
    const double total_gen_s = summarize(r.gen_s).mean * r.gen_s.size();
    r.gen_energy_j = in.gen_energy_mj / 1000.0;
    r.gen_j_per_token = r.gen_energy_j / (gen_tokens * r.gen_s.size());
    r.gen_avg_power_w = total_gen_s > 0 ? r.gen_energy_j / total_gen_s : 0;
  }
}

}  // namespace mtb
