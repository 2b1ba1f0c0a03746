// Consecutive cases of one model on the same backend, device and settings (a sweep over precisions
// and prompt lengths, say) go to one worker: it starts once (a process and, on a GPU, a device
// context), keeps the weights loaded across cases of other lengths and loads the next precision's
// file in place of the last. A worker that dies costs the case it was running; the driver gives the
// group's remaining cases to a fresh one.
#include "llm/llm_suite.h"

#include <fmt/format.h>

#include <map>
#include <memory>

#include "core/device.h"
#include "core/clock.h"
#include "models/gguf_info.h"
#include "models/model_store.h"
#include "models/synthesis_progress.h"

namespace mtb {
namespace fs = std::filesystem;
namespace {

// Cases with equal keys can share a worker: they differ in precision and lengths only.
std::string worker_key(const CaseSpec& c) {
  return fmt::format("{}|{}|{}|{}|{}", c.model, c.backend, c.device, c.batch, c.threads);
}

std::string short_result(const Record& r) {
  if (r.status != Status::ok) return fmt::format("{}: {}", to_string(r.status), r.error);
  if (r.spec.load.active())
    return fmt::format("{} requests, {} failed, out {:.1f} t/s  TTFT p50 {:.1f} ms  TPOT p50 {:.2f} ms  ({:.1f} s)",
                       r.requests.size(), r.load.failed, r.load.output_throughput, r.load.ttft_ms.median,
                       r.load.tpot_ms.median, r.wall_s);
  std::string s;
  if (r.prompt_tps.n) s += fmt::format("pp {:.1f} t/s  ttft {:.1f} ms", r.prompt_tps.mean, r.ttft_s.median * 1e3);
  if (r.gen_tps.n) s += fmt::format("{}tg {:.2f} t/s", s.empty() ? "" : "  ", r.gen_tps.mean);
  return s + fmt::format("  ({:.1f} s)", r.wall_s);
}

// The model file of a case: synthesized once per (model, precision, seed), in this process so its
// progress shows and its cache is shared; a user's GGUF runs as stored.
class ModelFiles {
 public:
  fs::path path_for(const CaseSpec& c) {
    const std::string key = c.model + "|" + c.precision;
    if (!files_.count(key)) {
      const ResolvedModel rm = resolve_model(c.model, c.precision == "file" ? "bf16" : c.precision, c.seed,
                                             progress_line(c.model + " " + c.precision));
      files_[key] = {rm.path, rm.synthetic ? "" : read_gguf_info(rm.path).precision};
    }
    const File& f = files_[key];
    if (looks_like_path(c.model) && c.precision != "file" && f.stored != c.precision)
      throw Unsupported(fmt::format("{} is stored as {}; llama.cpp runs a GGUF as stored (use -t file, or -t {})",
                                    f.path.string(), f.stored.empty() ? "another type" : f.stored,
                                    f.stored.empty() ? "file" : f.stored));
    return f.path;
  }

 private:
  struct File {
    fs::path path;
    std::string stored;  // a user's file: the precision it is stored in (its header read once)
  };
  std::map<std::string, File> files_;
};

Record parse(const nlohmann::json& j) { return j.get<Record>(); }

}  // namespace

CsvSchema llm_csv_schema() { return record_fields().csv_schema(); }

Suite llm_suite(const LlmAxes& axes, const std::vector<CaseSpec>& cases, const nlohmann::json& backend_options) {
  Suite s;
  s.name = "llm";
  s.kind = "llm_benchmarks";
  s.description = describe_plan(axes, cases.size());
  set_cases(s, cases);
  for (const auto& c : cases) s.units.push_back(c.model + "|" + c.precision);  // a model file: one shard loads it
  s.csv = llm_csv_schema();
  s.worker_options = backend_options;
  s.key_of = [](const nlohmann::json& r) { return r.get<CaseSpec>().key(); };
  // One copy of the plan, shared by the suite's functions.
  const auto plan = std::make_shared<const std::vector<CaseSpec>>(cases);
  auto files = std::make_shared<ModelFiles>();
  s.item = [plan, files](size_t i) {
    return nlohmann::json{{"case", (*plan)[i]}, {"model_path", files->path_for((*plan)[i]).string()}};
  };
  s.same_worker = [plan](size_t i, size_t j) { return worker_key((*plan)[i]) == worker_key((*plan)[j]); };
  // The group's files side by side (bf16 first only where q4_k_m is made from it).
  s.prepare = [plan](const std::vector<size_t>& group) {
    const CaseSpec& first = (*plan)[group.front()];
    std::vector<std::string> precisions;
    for (size_t i : group) precisions.push_back((*plan)[i].precision);
    synthesize_ahead(first.model, precisions, first.seed, progress_line(first.model + " bf16"), side_by_side_line(first.model));
  };
  s.unrun = [plan](size_t i, Status st, const std::string& why) {
    return nlohmann::json(unrun_record<Record>((*plan)[i], st, why));
  };
  s.summary = [](const nlohmann::json& j) { return short_result(parse(j)); };
  s.format = [](const std::vector<nlohmann::json>& lines, OutputFormat f) { return record_fields().format_lines(lines, f); };
  return s;
}

}  // namespace mtb
