// A record kind's fields, each declared once: its JSON key, its CSV column, its unit, and whether the
// console table shows it. JSON both ways, benchmark_results.csv and the console table all come from
// one FieldTable (llama-bench's get_fields()/get_values(), done once for every record kind).
//
//   field<&Record::load_s>("load_s").csv("load_sec").unit("s")
//   view("peak_memory_gib", [](const Record& r) { ... })          // a CSV column computed from others
//   field<&Record::spec, &CaseSpec::model>("model").of_case()      // an axis: also the case's own JSON
//
// The table's order is the CSV's (mlx_transformers_benchmark's columns first: its report reads them);
// JSON objects are key-sorted, so their order is free. Console columns name their own position.
#pragma once
#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/json_number.h"
#include "core/store.h"
#include "core/text_table.h"

namespace mtb {

template <class R>
struct Field {
  std::string key;   // JSON key; "" for a view that only the CSV or the console shows
  std::string column;  // CSV column; "" when the CSV leaves it out
  std::string units;   // what its number counts ("s", "t/s", "B"); "" for names and counts
  bool required = false;  // a JSON record without it is not a record of this kind
  bool case_axis = false;  // part of the case (the plan's point), not of its outcome
  std::function<nlohmann::json(const R&)> get;                   // the value, as JSON
  std::function<void(R&, const nlohmann::json&)> set;            // from JSON; empty for views
  std::function<bool(const R&)> present;                         // written to JSON only when true; empty: always
  std::function<std::string(const R&)> cell;                     // the CSV text; empty: from `get`
  // The console table: its header, position among the table's columns, alignment, text, and
  // whether the column is shown at all for these records (empty: always).
  std::string header;
  int position = 0;
  bool numeric = false;
  std::function<std::string(const R&)> shown_as;
  std::function<bool(const std::vector<R>&)> shown_if;

  Field& csv(std::string name) { column = std::move(name); return *this; }
  Field& csv(std::string name, std::function<std::string(const R&)> text) {
    column = std::move(name);
    cell = std::move(text);
    return *this;
  }
  Field& unit(std::string u) { units = std::move(u); return *this; }
  Field& must() { required = true; return *this; }
  Field& of_case() { case_axis = true; return *this; }
  Field& written_if(std::function<bool(const R&)> p) { present = std::move(p); return *this; }
  // A console column: `pos` orders the columns (llm's table is not in the CSV's order).
  Field& console(std::string h, int pos, bool is_numeric, std::function<std::string(const R&)> text,
                 std::function<bool(const std::vector<R>&)> when = {}) {
    header = std::move(h);
    position = pos;
    numeric = is_numeric;
    shown_as = std::move(text);
    shown_if = std::move(when);
    return *this;
  }
};

// A stored member, reached through a path of member pointers (`&Record::spec, &CaseSpec::model`).
// Reading keeps the member's default where the key is missing (older records), as json::value does.
template <class M>
struct member_class;
template <class C, class T>
struct member_class<T C::*> {
  using type = C;
};

template <auto First, auto... Rest>
Field<typename member_class<decltype(First)>::type> field(std::string key) {
  using R = typename member_class<decltype(First)>::type;
  Field<R> f;
  f.key = std::move(key);
  f.get = [](const R& r) { return nlohmann::json(((r.*First) .* ... .* Rest)); };
  f.set = [](R& r, const nlohmann::json& j) {
    auto& m = ((r.*First) .* ... .* Rest);
    m = json_get<std::remove_reference_t<decltype(m)>>(j);  // outside input: a number must fit
  };
  return f;
}

// A column computed from other fields: in the CSV (and the console, if asked), never stored.
template <class R>
Field<R> view(std::string column, std::function<std::string(const R&)> text) {
  Field<R> f;
  f.column = std::move(column);
  f.cell = std::move(text);
  return f;
}

// A value written into the JSON for readers that know it by this name (llama-bench's avg_ts), but
// derived from other fields and so never read back.
template <class R>
Field<R> json_view(std::string key, std::function<nlohmann::json(const R&)> value) {
  Field<R> f;
  f.key = std::move(key);
  f.get = std::move(value);
  return f;
}

// A console-only column (several fields in one cell: "64 @d512").
template <class R>
Field<R> console_only(std::string header, int pos, bool numeric, std::function<std::string(const R&)> text,
                      std::function<bool(const std::vector<R>&)> when = {}) {
  Field<R> f;
  f.console(std::move(header), pos, numeric, std::move(text), std::move(when));
  return f;
}

template <class R>
class FieldTable;

// A case's own JSON (a worker's request, settings.json's plan): the case fields of its record kind,
// read and written through a record that holds it at `member`.
template <class R, class C>
nlohmann::json case_to_json(const FieldTable<R>& t, const C& c, C R::*member) {
  R r;
  r.*member = c;
  return t.to_json(r, /*case_only=*/true);
}
template <class R, class C>
C case_from_json(const FieldTable<R>& t, const nlohmann::json& j, C R::*member) {
  R r;
  t.from_json(j, r, /*case_only=*/true);
  return r.*member;
}

template <class R>
class FieldTable {
 public:
  // `number`: how the CSV writes a floating-point value (each record kind keeps its own precision).
  FieldTable(std::vector<Field<R>> fields, std::function<std::string(double)> number)
      : fields_(std::move(fields)), number_(std::move(number)) {}

  const std::vector<Field<R>>& fields() const { return fields_; }

  nlohmann::json to_json(const R& r, bool case_only = false) const {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& f : fields_)
      if (!f.key.empty() && f.get && (!case_only || f.case_axis) && (!f.present || f.present(r))) j[f.key] = f.get(r);
    return j;
  }

  void from_json(const nlohmann::json& j, R& r, bool case_only = false) const {
    for (const auto& f : fields_) {
      if (f.key.empty() || !f.set || (case_only && !f.case_axis)) continue;
      const auto it = j.find(f.key);
      if (it == j.end()) {
        if (f.required) throw nlohmann::json::out_of_range::create(403, "key '" + f.key + "' not found", &j);
        continue;
      }
      f.set(r, *it);
    }
  }

  std::vector<std::string> csv_header() const {
    std::vector<std::string> h;
    for (const auto& f : fields_)
      if (!f.column.empty()) h.push_back(f.column);
    return h;
  }

  std::vector<std::string> csv_row(const R& r) const {
    std::vector<std::string> row;
    for (const auto& f : fields_)
      if (!f.column.empty()) row.push_back(f.cell ? f.cell(r) : cell_of(f.get(r)));
    return row;
  }

  // benchmark_results.csv for the run store: a results.jsonl line's row is its record's.
  CsvSchema csv_schema() const {
    return {csv_header(), [this](const nlohmann::json& j) { return csv_row(j.get<R>()); }};
  }

  // The output formats of records stored as JSON lines.
  std::string format_lines(const std::vector<nlohmann::json>& lines, OutputFormat f) const {
    std::vector<R> rs;
    for (const auto& j : lines) rs.push_back(j.get<R>());
    return format(rs, f);
  }

  std::string csv(const std::vector<R>& rs) const {
    std::string out = csv_line(csv_header());
    for (const auto& r : rs) out += csv_line(csv_row(r));
    return out;
  }

  // Every output format of a run's records (-o): the console table, CSV, JSON, JSON lines.
  std::string format(const std::vector<R>& rs, OutputFormat f) const {
    switch (f) {
      case OutputFormat::table:
      case OutputFormat::md: return console(rs);
      case OutputFormat::csv: return csv(rs);
      case OutputFormat::json: {
        nlohmann::json all = nlohmann::json::array();
        for (const auto& r : rs) all.push_back(to_json(r));
        return all.dump(2) + "\n";
      }
      case OutputFormat::jsonl: {
        std::string out;
        for (const auto& r : rs) out += to_json(r).dump() + "\n";
        return out;
      }
    }
    return "";
  }

  // The console table (markdown): the columns whose condition some record meets, by position.
  std::string console(const std::vector<R>& rs) const {
    std::vector<const Field<R>*> cols;
    for (const auto& f : fields_)
      if (f.shown_as && (!f.shown_if || f.shown_if(rs))) cols.push_back(&f);
    std::stable_sort(cols.begin(), cols.end(), [](auto* a, auto* b) { return a->position < b->position; });
    std::vector<std::vector<std::string>> rows(1);
    std::vector<bool> numeric;
    for (auto* c : cols) {
      rows[0].push_back(c->header);
      numeric.push_back(c->numeric);
    }
    for (const auto& r : rs) {
      rows.emplace_back();
      for (auto* c : cols) rows.back().push_back(c->shown_as(r));
    }
    return markdown_table(rows, numeric);
  }

 private:
  std::string cell_of(const nlohmann::json& v) const {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_number_float()) return number_(v.get<double>());
    if (v.is_number_integer() || v.is_number_unsigned() || v.is_boolean()) return v.dump();
    return v.is_null() ? "" : v.dump();
  }
  std::vector<Field<R>> fields_;
  std::function<std::string(double)> number_;
};

}  // namespace mtb
