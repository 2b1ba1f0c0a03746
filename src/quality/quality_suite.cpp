// Every case runs in a worker of its own: the reference writes its log-probabilities into the run
// folder, each candidate reads them. Resume reuses a reference file that was completed (it is renamed
// into place only when whole); once every case of a reference has its record, the file is removed:
// it is large (a 152k vocabulary costs 594 KiB per scored token) and nothing reads it afterwards.
#include "quality/quality_suite.h"

#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <memory>

#include "core/clock.h"
#include "core/tokens.h"
#include "models/model_store.h"
#include "models/synthesis_progress.h"

namespace mtb {
namespace fs = std::filesystem;
namespace {

QualityRecord parse(const nlohmann::json& j) { return j.get<QualityRecord>(); }

std::string short_result(const QualityRecord& r) {
  if (r.status != Status::ok) return fmt::format("{}: {}", to_string(r.status), r.error);
  const QualityMetrics& m = r.metrics;
  if (r.spec.reference)
    return fmt::format("{} tokens scored, PPL {:.4g}  ({:.1f} s)", m.n_scored, m.ppl_ref.value, r.wall_s);
  return fmt::format("mean KLD {:.6f} ± {:.6f}, same top-1 {:.2f}%, RMS Δp {:.3f}%, PPL ratio {:.4f}  ({:.1f} s)",
                     m.kld.value, m.kld.uncertainty, m.same_top1_pct.value, m.dp_rms_pct.value, m.ppl_ratio.value,
                     r.wall_s);
}

// The model files of the cases: a zoo model synthesized at the case's precision (once per run), a
// user's GGUF as it is.
class ModelFiles {
 public:
  ResolvedModel resolve(const std::string& model, const std::string& precision, uint64_t seed) {
    const std::string key = model + "|" + precision;
    if (!files_.count(key))
      files_.emplace(key, resolve_model(model, precision == "file" ? "bf16" : precision, seed,
                                        progress_line(model + " " + precision)));
    return files_.at(key);
  }

 private:
  std::map<std::string, ResolvedModel> files_;
};

}  // namespace

std::string reference_file_name(const QualityCase& c) {
  const std::string id = fmt::format("{}|{}", c.ref_model, c.reference_label());
  return fmt::format("reference-{}.logprobs", tokens_hash({std::vector<Token>(id.begin(), id.end())}));
}

CsvSchema quality_csv_schema() { return quality_record_fields().csv_schema(); }

std::vector<std::string> above_max_kld(const std::vector<nlohmann::json>& records, double max_kld) {
  std::vector<std::string> out;
  if (!(max_kld > 0)) return out;
  for (const auto& j : records) {
    const QualityRecord r = parse(j);
    if (r.status == Status::ok && !r.spec.reference && r.metrics.kld.value > max_kld)
      out.push_back(fmt::format("{}: mean KLD {:.6f}", r.spec.label(), r.metrics.kld.value));
  }
  return out;
}

Suite quality_suite(const QualityAxes& axes, const std::vector<QualityCase>& cases,
                    std::shared_ptr<std::vector<std::string>> above_max_kld_out) {
  Suite s;
  s.name = "quality";
  s.kind = "llm_quality";
  s.description = describe_plan(axes, cases.size());
  set_cases(s, cases);
  // A reference and its candidates share its log-probabilities, a file of the run folder: one shard.
  for (const auto& c : cases) s.units.push_back(reference_file_name(c));
  s.csv = quality_csv_schema();
  s.key_of = [](const nlohmann::json& r) { return r.get<QualityCase>().key(); };
  const auto plan = std::make_shared<const std::vector<QualityCase>>(cases);
  auto files = std::make_shared<ModelFiles>();
  s.item = [plan, files](size_t i) {
    const QualityCase& c = (*plan)[i];
    const ResolvedModel m = files->resolve(c.model, c.precision, c.seed);  // a reference case's model is its ref_model
    return nlohmann::json{{"case", c}, {"model_path", m.path.string()}, {"synthetic", m.synthetic},
                          {"reference_file", reference_file_name(c)}};
  };
  // A zoo model's files side by side before its reference runs (bf16 first only where q4_k_m is made from it).
  s.prepare = [plan](const std::vector<size_t>& group) {
    const QualityCase& first = (*plan)[group.front()];
    if (!first.reference || looks_like_path(first.model)) return;
    std::vector<std::string> precisions;
    for (const auto& c : *plan)
      if (c.model == first.model && c.precision != "file") precisions.push_back(c.precision);
    synthesize_ahead(first.model, precisions, first.seed, progress_line(first.model + " bf16"), side_by_side_line(first.model));
  };
  s.unrun = [plan](size_t i, Status st, const std::string& why) {
    return nlohmann::json(unrun_record<QualityRecord>((*plan)[i], st, why));
  };
  s.summary = [](const nlohmann::json& j) { return short_result(parse(j)); };
  s.format = [](const std::vector<nlohmann::json>& lines, OutputFormat f) { return quality_record_fields().format_lines(lines, f); };
  s.finish = [plan, above_max_kld_out, max_kld = axes.max_kld](const std::vector<nlohmann::json>& lines, const fs::path& run_dir) {
    if (above_max_kld_out) *above_max_kld_out = above_max_kld(lines, max_kld);
    std::map<std::string, size_t> pending;  // reference file -> cases without a record
    for (const auto& c : *plan) ++pending[reference_file_name(c)];
    for (const auto& j : lines) --pending[reference_file_name(j.get<QualityCase>())];
    for (const auto& [file, n] : pending)
      if (n == 0) fs::remove(run_dir / file);
    for (const auto& j : lines)
      if (j.value("synthetic", false)) {
        fmt::print(stderr, "Synthetic weights: the KLD measures each format's rounding on Gaussian weights, not what a "
                           "trained model loses; only real weights show that (mtb quality -m your-q4.gguf --reference llamacpp:your-f16.gguf).\n");
        break;
      }
  };
  return s;
}

}  // namespace mtb
