#include "report/ancestor_import.h"

#include <fmt/format.h>

#include <climits>
#include <cmath>
#include <stdexcept>

#include "core/json_number.h"

namespace mtb::report {
namespace {

// A row with its header, for reading by column name.
struct Row {
  const CsvTable& t;
  size_t i;

  const std::string* find(const char* col) const {
    const auto c = t.column(col);
    return c ? &t.rows[i][*c] : nullptr;
  }
  std::string text(const char* col) const {
    const std::string* s = find(col);
    if (!s || s->empty()) throw std::runtime_error(fmt::format("column '{}' is empty", col));
    return *s;
  }
  double number(const char* col) const {
    const std::string s = text(col);
    size_t used = 0;
    double v = 0;
    try {
      v = std::stod(s, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != s.size() || !std::isfinite(v))
      throw std::runtime_error(fmt::format("column '{}' is '{}', not a number", col, s));
    return v;
  }
  std::optional<double> optional_number(const char* col) const {
    const std::string* s = find(col);
    if (!s || s->empty()) return std::nullopt;
    return number(col);
  }
  int integer(const char* col) const {  // "100.0" occurs
    const double v = number(col);
    if (std::fabs(v) > INT_MAX) throw std::runtime_error(fmt::format("column '{}' is '{}', beyond a count", col, text(col)));
    return static_cast<int>(std::lround(v));
  }

  nlohmann::json fields() const {
    nlohmann::json j = nlohmann::json::object();
    for (size_t c = 0; c < t.header.size(); ++c) j[t.header[c]] = t.rows[i][c];
    return j;
  }
};

bool has_columns(const CsvTable& t, std::initializer_list<const char*> cols) {
  for (const char* c : cols)
    if (!t.column(c)) return false;
  return true;
}

// The ancestor kept the mean of its iterations only: one value and no spread.
Summary single_value(double v) {
  Summary s;
  s.n = 1;
  s.median = s.mean = s.min = s.max = s.ci95_lo = s.ci95_hi = v;
  return s;
}

}  // namespace

RunKind ancestor_kind(const CsvTable& t) {
  if (has_columns(t, {"name", "framework", "backend", "dtype", "num_prompt_tokens", "prompt_tps", "generation_tps"}))
    return RunKind::llm;
  if (has_columns(t, {"name", "framework", "backend", "batch_size", "sequence_length", "median_ms"}))
    return RunKind::layer;
  throw std::runtime_error(fmt::format(
      "{}: unknown columns (expected the LLM layout with num_prompt_tokens, prompt_tps, generation_tps "
      "or the layer layout with sequence_length, median_ms)",
      t.path.string()));
}

std::vector<Record> import_llm_rows(const CsvTable& t, const nlohmann::json& settings, std::vector<Problem>& problems) {
  const nlohmann::json bench = settings.value("benchmark_settings", nlohmann::json::object());
  const nlohmann::json hw = settings.value("hardware_info", nlohmann::json::object());
  std::vector<Record> out;
  for (size_t i = 0; i < t.rows.size(); ++i) {
    const Row row{t, i};
    try {
      Record r;
      r.spec.model = row.text("name");
      r.spec.backend = row.text("framework");
      r.spec.device = row.text("backend");
      r.spec.precision = row.text("dtype");
      r.spec.batch = row.find("batch_size") ? row.integer("batch_size") : 1;
      r.spec.n_prompt = row.integer("num_prompt_tokens");
      r.spec.n_gen = row.integer("num_generated_tokens");
      // settings.json is outside input too: a count no int holds is the row's error (found by fuzzing).
      r.spec.reps = bench.contains("num_iterations") ? json_get<int>(bench["num_iterations"]) : 0;
      r.spec.warmup = bench.contains("num_warmup_iterations") ? json_get<int>(bench["num_warmup_iterations"]) : 0;
      r.prompt_tps = single_value(row.number("prompt_tps"));
      r.gen_tps = single_value(row.number("generation_tps"));
      if (const auto ttft = row.optional_number("prompt_time_sec")) r.ttft_s = single_value(*ttft);
      if (const auto gib = row.optional_number("peak_memory_gib"))
        r.peak_rss_bytes = static_cast<uint64_t>(*gib * double(1ull << 30));
      r.device_name = hw.contains("chip") && hw["chip"].is_string() ? hw["chip"].get<std::string>() : "";
      r.started_at = settings.value("datetime", "");
      r.extra = {{"origin", "ancestor"}, {"csv_line", t.row_lines[i]}, {"ancestor_fields", row.fields()}};
      out.push_back(std::move(r));
    } catch (const std::exception& e) {
      problems.push_back({t.path, fmt::format("line {}: {}; row skipped", t.row_lines[i], e.what())});
    }
  }
  return out;
}

std::vector<LayerRecord> import_layer_rows(const CsvTable& t, std::vector<Problem>& problems) {
  std::vector<LayerRecord> out;
  for (size_t i = 0; i < t.rows.size(); ++i) {
    const Row row{t, i};
    if (const auto* st = row.find("status"); st && *st != "ok") continue;  // mtb's failed/skipped cases: no timing
    try {
      LayerRecord r;
      r.name = row.text("name");
      r.framework = row.text("framework");
      r.backend = row.text("backend");
      r.dtype = row.find("dtype") && !row.find("dtype")->empty() ? row.text("dtype") : "float32";
      r.compiled = row.find("compile") && *row.find("compile") == "True";
      r.batch = row.integer("batch_size");
      r.sequence = row.integer("sequence_length");
      r.median_ms = row.number("median_ms");
      r.std_ms = row.optional_number("std_ms").value_or(0);
      r.roofline_pct = row.optional_number("roofline_pct");
      r.fields = row.fields();
      out.push_back(std::move(r));
    } catch (const std::exception& e) {
      problems.push_back({t.path, fmt::format("line {}: {}; row skipped", t.row_lines[i], e.what())});
    }
  }
  return out;
}

}  // namespace mtb::report
