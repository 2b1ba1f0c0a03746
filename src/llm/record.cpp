#include "core/record.h"

#include <fmt/format.h>

#include <stdexcept>

namespace mtb {

std::string CaseSpec::key() const {
  return fmt::format("{}|{}|{}|{}|p{}|n{}|d{}|b{}|t{}|s{}", model, backend, device, precision, n_prompt, n_gen,
                     n_depth, batch, threads, seed);
}

std::string Record::noise_flag() const {
  if (gen_tps.n < 2 || gen_tps.cv() <= kNoisyCv) return "";
  return fmt::format("tg cv {:.1f}% > {:.0f}%", 100 * gen_tps.cv(), 100 * kNoisyCv);
}

std::string CaseSpec::label() const {
  std::string s = fmt::format("{} {} {} {} p{} n{}", model, backend, device, precision, n_prompt, n_gen);
  if (n_depth) s += fmt::format(" d{}", n_depth);
  if (batch != 1) s += fmt::format(" b{}", batch);
  if (threads) s += fmt::format(" t{}", threads);
  return s;
}

std::string to_string(Status s) {
  switch (s) {
    case Status::ok: return "ok";
    case Status::failed: return "failed";
    case Status::skipped: return "skipped";
  }
  return "failed";
}

Status status_from_string(const std::string& s) {
  if (s == "ok") return Status::ok;
  if (s == "skipped") return Status::skipped;
  if (s == "failed") return Status::failed;
  throw std::runtime_error("unknown record status '" + s + "'");
}

void Record::summarize_samples() {
  std::vector<double> pp, tg;
  const double prompt_tokens = double(spec.n_prompt) * spec.batch;
  const double gen_tokens = double(spec.n_gen) * spec.batch;
  for (double s : prompt_s)
    if (s > 0 && prompt_tokens > 0) pp.push_back(prompt_tokens / s);
  for (double s : gen_s)
    if (s > 0 && gen_tokens > 0) tg.push_back(gen_tokens / s);
  prompt_tps = summarize(pp);
  gen_tps = summarize(tg);
  ttft_s = summarize(prompt_s);
}

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Roofline, gen_bytes_per_token, gen_gbs, gen_bw_pct,
                                                prompt_flops_per_token, prompt_tflops, prompt_flops_pct)

void to_json(nlohmann::json& j, const CaseSpec& c) {
  j = {{"model", c.model},       {"backend", c.backend}, {"device", c.device},   {"precision", c.precision},
       {"n_prompt", c.n_prompt}, {"n_gen", c.n_gen},     {"n_depth", c.n_depth}, {"batch_size", c.batch},
       {"n_threads", c.threads}, {"reps", c.reps},       {"warmup", c.warmup},   {"seed", c.seed},
       {"timeout_s", c.timeout_s}};
  if (c.ci_stop > 0) j["ci_stop"] = c.ci_stop;
  if (!c.prompt_file.empty()) j["prompt_file"] = c.prompt_file;
}

void from_json(const nlohmann::json& j, CaseSpec& c) {
  j.at("model").get_to(c.model);
  j.at("backend").get_to(c.backend);
  j.at("device").get_to(c.device);
  j.at("precision").get_to(c.precision);
  c.n_prompt = j.value("n_prompt", c.n_prompt);
  c.n_gen = j.value("n_gen", c.n_gen);
  c.n_depth = j.value("n_depth", c.n_depth);
  c.batch = j.value("batch_size", c.batch);
  c.threads = j.value("n_threads", c.threads);
  c.reps = j.value("reps", c.reps);
  c.warmup = j.value("warmup", c.warmup);
  c.seed = j.value("seed", c.seed);
  c.timeout_s = j.value("timeout_s", c.timeout_s);
  c.ci_stop = j.value("ci_stop", 0.0);
  c.prompt_file = j.value("prompt_file", "");
}

void to_json(nlohmann::json& j, const Record& r) {
  j = r.spec;  // the case's axes sit at the top level, as llama-bench's fields do
  j["status"] = to_string(r.status);
  j["error"] = r.error;
  j["model_path"] = r.model_path;
  j["model_type"] = r.model_arch;
  j["model_desc"] = r.model_desc;
  j["model_size"] = r.model_bytes;
  j["model_n_params"] = r.model_n_params;
  j["bits_per_weight"] = r.bits_per_weight;
  j["tokens_hash"] = r.tokens_hash;
  j["generated"] = r.generated;
  j["load_s"] = r.load_s;
  j["samples_prompt_s"] = r.prompt_s;
  j["samples_gen_s"] = r.gen_s;
  j["prompt_tps"] = r.prompt_tps;
  j["gen_tps"] = r.gen_tps;
  j["ttft_s"] = r.ttft_s;
  // llama-bench's names for the headline numbers (tg where there is generation, else pp).
  const Summary& head = r.spec.n_gen > 0 ? r.gen_tps : r.prompt_tps;
  j["avg_ts"] = head.mean;
  j["stddev_ts"] = head.stddev;
  j["peak_rss_bytes"] = r.peak_rss_bytes;
  j["peak_device_bytes"] = r.peak_device_bytes;
  j["roofline"] = r.roofline;
  j["gen_energy_j"] = r.gen_energy_j;
  j["gen_j_per_token"] = r.gen_j_per_token;
  j["gen_avg_power_w"] = r.gen_avg_power_w;
  j["device_context"] = r.device_context;
  j["backend_version"] = r.backend_version;
  j["device_name"] = r.device_name;
  j["started_at"] = r.started_at;
  j["wall_s"] = r.wall_s;
  j["extra"] = r.extra;
}

void from_json(const nlohmann::json& j, Record& r) {
  from_json(j, r.spec);
  r.status = status_from_string(j.value("status", "failed"));
  r.error = j.value("error", "");
  r.model_path = j.value("model_path", "");
  r.model_arch = j.value("model_type", "");
  r.model_desc = j.value("model_desc", "");
  r.model_bytes = j.value("model_size", uint64_t{0});
  r.model_n_params = j.value("model_n_params", uint64_t{0});
  r.bits_per_weight = j.value("bits_per_weight", 0.0);
  r.tokens_hash = j.value("tokens_hash", "");
  r.generated = j.value("generated", std::vector<int32_t>{});
  r.load_s = j.value("load_s", 0.0);
  r.prompt_s = j.value("samples_prompt_s", std::vector<double>{});
  r.gen_s = j.value("samples_gen_s", std::vector<double>{});
  if (j.contains("prompt_tps")) j.at("prompt_tps").get_to(r.prompt_tps);
  if (j.contains("gen_tps")) j.at("gen_tps").get_to(r.gen_tps);
  if (j.contains("ttft_s")) j.at("ttft_s").get_to(r.ttft_s);
  r.peak_rss_bytes = j.value("peak_rss_bytes", uint64_t{0});
  r.peak_device_bytes = j.value("peak_device_bytes", uint64_t{0});
  r.roofline = j.value("roofline", Roofline{});
  r.gen_energy_j = j.value("gen_energy_j", 0.0);
  r.gen_j_per_token = j.value("gen_j_per_token", 0.0);
  r.gen_avg_power_w = j.value("gen_avg_power_w", 0.0);
  r.device_context = j.value("device_context", nlohmann::json::object());
  r.backend_version = j.value("backend_version", "");
  r.device_name = j.value("device_name", "");
  r.started_at = j.value("started_at", "");
  r.wall_s = j.value("wall_s", 0.0);
  r.extra = j.value("extra", nlohmann::json::object());
}

namespace {

// benchmark_results.csv, one column per entry: its name and how a record fills it. The ancestor's
// columns come first, in its order (its report reads them), then mtb's.
struct CsvColumn {
  const char* name;
  std::string (*value)(const Record& r);
};

std::string num(double v) { return fmt::format("{}", v); }

const std::vector<CsvColumn>& csv_table() {
  static const std::vector<CsvColumn> t = {
      // the ancestor's
      {"name", [](const Record& r) { return r.spec.model; }},
      {"framework", [](const Record& r) { return r.spec.backend; }},
      {"backend", [](const Record& r) { return r.spec.device; }},
      {"batch_size", [](const Record& r) { return std::to_string(r.spec.batch); }},
      {"dtype", [](const Record& r) { return r.spec.precision; }},
      {"num_prompt_tokens", [](const Record& r) { return std::to_string(r.spec.n_prompt); }},
      {"num_generated_tokens", [](const Record& r) { return std::to_string(r.spec.n_gen); }},
      {"prompt_tps", [](const Record& r) { return num(r.prompt_tps.mean); }},
      {"prompt_time_sec", [](const Record& r) { return num(r.ttft_s.mean); }},
      {"generation_tps", [](const Record& r) { return num(r.gen_tps.mean); }},
      {"generation_time_sec", [](const Record& r) { return num(r.gen_s.empty() ? 0 : summarize(r.gen_s).mean); }},
      {"peak_memory_gib", [](const Record& r) { return num(double(r.peak_memory_bytes()) / (1ull << 30)); }},
      // mtb's
      {"status", [](const Record& r) { return to_string(r.status); }},
      {"error", [](const Record& r) { return r.error; }},
      {"n_depth", [](const Record& r) { return std::to_string(r.spec.n_depth); }},
      {"n_threads", [](const Record& r) { return std::to_string(r.spec.threads); }},
      {"reps", [](const Record& r) { return std::to_string(r.spec.reps); }},
      {"seed", [](const Record& r) { return std::to_string(r.spec.seed); }},
      {"prompt_tps_median", [](const Record& r) { return num(r.prompt_tps.median); }},
      {"prompt_tps_stddev", [](const Record& r) { return num(r.prompt_tps.stddev); }},
      {"generation_tps_median", [](const Record& r) { return num(r.gen_tps.median); }},
      {"generation_tps_stddev", [](const Record& r) { return num(r.gen_tps.stddev); }},
      {"generation_tps_ci95_lo", [](const Record& r) { return num(r.gen_tps.ci95_lo); }},
      {"generation_tps_ci95_hi", [](const Record& r) { return num(r.gen_tps.ci95_hi); }},
      {"ttft_median_sec", [](const Record& r) { return num(r.ttft_s.median); }},
      {"load_sec", [](const Record& r) { return num(r.load_s); }},
      {"model_size", [](const Record& r) { return std::to_string(r.model_bytes); }},
      {"model_n_params", [](const Record& r) { return std::to_string(r.model_n_params); }},
      {"bits_per_weight", [](const Record& r) { return num(r.bits_per_weight); }},
      {"model_type", [](const Record& r) { return r.model_arch; }},
      {"device_name", [](const Record& r) { return r.device_name; }},
      {"peak_device_bytes", [](const Record& r) { return std::to_string(r.peak_device_bytes); }},
      {"tokens_hash", [](const Record& r) { return r.tokens_hash; }},
      {"started_at", [](const Record& r) { return r.started_at; }},
      {"gen_bytes_per_token", [](const Record& r) { return num(r.roofline.gen_bytes_per_token); }},
      {"gen_gbs", [](const Record& r) { return num(r.roofline.gen_gbs); }},
      {"gen_bw_pct", [](const Record& r) { return num(r.roofline.gen_bw_pct); }},
      {"prompt_tflops", [](const Record& r) { return num(r.roofline.prompt_tflops); }},
      {"prompt_flops_pct", [](const Record& r) { return num(r.roofline.prompt_flops_pct); }},
      {"gen_j_per_token", [](const Record& r) { return num(r.gen_j_per_token); }},
      {"gen_avg_power_w", [](const Record& r) { return num(r.gen_avg_power_w); }},
  };
  return t;
}

}  // namespace

std::vector<std::string> csv_columns() {
  std::vector<std::string> out;
  for (const auto& c : csv_table()) out.push_back(c.name);
  return out;
}

std::vector<std::string> csv_values(const Record& r) {
  std::vector<std::string> out;
  for (const auto& c : csv_table()) out.push_back(c.value(r));
  return out;
}

}  // namespace mtb
