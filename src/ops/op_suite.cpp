#include "ops/op_suite.h"

#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <memory>

#include "core/clock.h"
#include "core/remove_tree.h"

namespace mtb::ops {
namespace fs = std::filesystem;
namespace {

OpRecord parse(const nlohmann::json& j) { return j.get<OpRecord>(); }

std::string short_result(const OpRecord& r) {
  if (r.status != Status::ok) return fmt::format("{}: {}", to_string(r.status), r.error);
  std::string s = fmt::format("{:.4f} ms ± {:.1f}% ({} reps, {}), {:.1f} GFLOP/s, {:.1f} GB/s", r.ms.median,
                              100 * r.rel_ci(), r.ms.n, r.stop, r.gflops, r.gbs);
  if (r.roofline_pct > 0) s += fmt::format(", {:.1f}% of roofline", r.roofline_pct);
  return s + fmt::format(", err {:.1e}  ({:.1f} s)", r.verification.rel_err, r.wall_s);
}

}  // namespace

CsvSchema op_csv_schema() { return op_record_fields().csv_schema(); }

Suite op_suite(const OpAxes& axes, const std::vector<OpCase>& cases) {
  Suite s;
  s.name = "ops";
  s.kind = "layer_benchmarks";
  s.description = describe_plan(axes, cases.size());
  set_cases(s, cases);
  // One shape's inputs and float64 reference, which serve every backend and batch size: one shard computes them.
  for (const auto& c : cases)
    s.units.push_back(fmt::format("{}|{}|{}|{}|s{}|f{}|h{}|{}", c.op, c.dtype, c.quant, c.mask, c.seq, c.feature, c.heads, c.seed));
  s.csv = op_csv_schema();
  // References of one shape serve every backend and batch size: cached for this run only.
  const fs::path refs = fs::temp_directory_path() / fmt::format("mtb-op-references-{}", getpid());
  s.worker_options = {{"reference_cache", refs.string()}};
  s.key_of = [](const nlohmann::json& r) { return r.get<OpCase>().key(); };
  const auto plan = std::make_shared<const std::vector<OpCase>>(cases);  // one copy, shared
  s.item = [plan](size_t i) { return nlohmann::json{{"case", (*plan)[i]}}; };
  s.unrun = [plan](size_t i, Status st, const std::string& why) {
    OpRecord r = unrun_record<OpRecord>((*plan)[i], st, why);
    if (is_op_name(r.spec.op)) r.title = op_title(op_from_name(r.spec.op), r.spec.shape());
    return nlohmann::json(r);
  };
  s.summary = [](const nlohmann::json& j) { return short_result(parse(j)); };
  s.format = [](const std::vector<nlohmann::json>& lines, OutputFormat f) { return op_record_fields().format_lines(lines, f); };
  s.finish = [refs](const std::vector<nlohmann::json>& lines, const fs::path&) {
    remove_tree(refs);
    for (const auto& j : lines)
      if (const OpRecord r = parse(j); r.status == Status::ok && r.calibration.empty()) {
        fmt::print(stderr, "No measured ceilings for '{}': run `mtb info --calibrate` once for % of roofline.\n", r.spec.device);
        break;
      }
  };
  return s;
}

}  // namespace mtb::ops
