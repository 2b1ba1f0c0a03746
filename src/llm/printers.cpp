#include "core/printers.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "core/store.h"

namespace mtb {

OutputFormat parse_output_format(const std::string& s) {
  if (s == "table") return OutputFormat::table;
  if (s == "csv") return OutputFormat::csv;
  if (s == "json") return OutputFormat::json;
  if (s == "jsonl") return OutputFormat::jsonl;
  if (s == "md") return OutputFormat::md;
  throw std::invalid_argument("unknown output format '" + s + "' (table, csv, json, jsonl, md)");
}

std::string format_rate(const Summary& s) {
  if (s.n == 0) return "-";
  return s.n > 1 ? fmt::format("{:.2f} ± {:.2f}", s.mean, s.stddev) : fmt::format("{:.2f}", s.mean);
}

std::string format_bytes(uint64_t b) {
  if (b >= (1ull << 30)) return fmt::format("{:.2f} GiB", double(b) / (1ull << 30));
  if (b >= (1ull << 20)) return fmt::format("{:.1f} MiB", double(b) / (1ull << 20));
  return fmt::format("{:.0f} KiB", double(b) / 1024);
}

namespace {

// Columns shown only when some record has them: the roofline (GB/s read while generating, and the
// share of the calibrated bandwidth) and the GPU's energy per generated token.
struct Extras {
  bool bandwidth = false, bw_pct = false, energy = false;
  explicit Extras(const std::vector<Record>& rs) {
    for (const auto& r : rs) {
      bandwidth |= r.roofline.gen_gbs > 0;
      bw_pct |= r.roofline.gen_bw_pct > 0;
      energy |= r.gen_j_per_token > 0;
    }
  }
};

std::vector<std::string> table_header(const Extras& x) {
  std::vector<std::string> h{"model", "backend", "device", "type", "n_prompt", "n_gen", "pp t/s", "tg t/s", "ttft ms", "peak mem"};
  if (x.bandwidth) h.push_back("tg GB/s");
  if (x.bw_pct) h.push_back("% bw");
  if (x.energy) h.push_back("J/tok");
  h.push_back("status");
  return h;
}

std::vector<std::string> table_row(const Record& r, const Extras& x) {
  const auto& c = r.spec;
  std::string np = std::to_string(c.n_prompt), ng = std::to_string(c.n_gen);
  if (c.n_depth) np += fmt::format(" @d{}", c.n_depth);
  if (c.batch != 1) ng += fmt::format(" x{}", c.batch);
  std::string status = to_string(r.status);
  if (!r.error.empty()) status += ": " + r.error;
  if (const auto noisy = r.noise_flag(); !noisy.empty()) status += ", noisy: " + noisy;
  const std::string ttft = r.ttft_s.n ? fmt::format("{:.1f}", r.ttft_s.median * 1e3) : "-";
  const std::string mem = r.status == Status::ok ? format_bytes(r.peak_memory_bytes()) : "-";
  std::vector<std::string> row{c.model, c.backend, c.device, c.precision, np, ng, format_rate(r.prompt_tps), format_rate(r.gen_tps), ttft, mem};
  auto num = [](double v, const char* f) { return v > 0 ? fmt::format(fmt::runtime(f), v) : std::string("-"); };
  if (x.bandwidth) row.push_back(num(r.roofline.gen_gbs, r.roofline.gen_gbs >= 10 ? "{:.0f}" : "{:.2f}"));
  if (x.bw_pct) row.push_back(num(r.roofline.gen_bw_pct, "{:.1f}"));
  if (x.energy) row.push_back(num(r.gen_j_per_token, "{:.3f}"));
  row.push_back(status);
  return row;
}

// Display width: counts UTF-8 code points, so "±" aligns.
size_t width(const std::string& s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char ch) { return (ch & 0xC0) != 0x80; }));
}

}  // namespace

std::string markdown_table(const std::vector<std::vector<std::string>>& rows, const std::vector<bool>& numeric) {
  std::vector<size_t> w(rows[0].size(), 0);
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i) w[i] = std::max(w[i], width(r[i]));
  auto right = [&](size_t i) { return i < numeric.size() && numeric[i]; };
  std::string out;
  auto line = [&](const std::vector<std::string>& r) {
    out += "|";
    for (size_t i = 0; i < r.size(); ++i) {
      const std::string pad(w[i] - width(r[i]), ' ');
      out += " " + (right(i) ? pad + r[i] : r[i] + pad) + " |";
    }
    out += "\n";
  };
  line(rows[0]);
  out += "|";
  for (size_t i = 0; i < w.size(); ++i) out += (right(i) ? " " + std::string(w[i] - 1, '-') + ": |" : " " + std::string(w[i], '-') + " |");
  out += "\n";
  for (size_t i = 1; i < rows.size(); ++i) line(rows[i]);
  return out;
}

std::string format_records(const std::vector<Record>& records, OutputFormat f) {
  switch (f) {
    case OutputFormat::table:
    case OutputFormat::md: {
      const Extras x(records);
      std::vector<std::vector<std::string>> rows{table_header(x)};
      for (const auto& r : records) rows.push_back(table_row(r, x));
      std::vector<bool> numeric(rows[0].size(), true);  // all but the names and the status
      for (size_t i : {size_t(0), size_t(1), size_t(2), size_t(3), rows[0].size() - 1}) numeric[i] = false;
      return markdown_table(rows, numeric);
    }
    case OutputFormat::csv: {
      std::string out;
      const auto cols = csv_columns();
      for (size_t i = 0; i < cols.size(); ++i) out += (i ? "," : "") + cols[i];
      out += "\n";
      for (const auto& r : records) {
        const auto v = csv_values(r);
        for (size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + csv_escape(v[i]);
        out += "\n";
      }
      return out;
    }
    case OutputFormat::json: return nlohmann::json(records).dump(2) + "\n";
    case OutputFormat::jsonl: {
      std::string out;
      for (const auto& r : records) out += nlohmann::json(r).dump() + "\n";
      return out;
    }
  }
  return "";
}

}  // namespace mtb
