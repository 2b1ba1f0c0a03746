// The run store: measurements/<kind>/<hardware>/<YYYY-MM-DD__HH:MM:SS>/ with settings.json,
// results.jsonl (one line appended and flushed per finished case) and benchmark_results.csv
// (the ancestor's layout, rewritten from the records after each case).
#pragma once
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/record.h"

namespace mtb {

// Writes benchmark_results.csv from every line of results.jsonl; the default reads LLM records.
using CsvFormatter = std::function<std::string(const std::vector<nlohmann::json>& lines)>;

class RunStore {
 public:
  // Makes a new run folder under root/kind/hardware/ named by the local time.
  static RunStore create(const std::filesystem::path& root, const std::string& kind, const std::string& hardware,
                         const nlohmann::json& settings, CsvFormatter csv = {});
  // Opens an existing run to resume it; throws with a clear message when `dir` is not a run.
  static RunStore open(const std::filesystem::path& dir, CsvFormatter csv = {});

  const std::filesystem::path& dir() const { return dir_; }
  const nlohmann::json& settings() const { return settings_; }
  void update_settings(const nlohmann::json& patch);  // merge and rewrite settings.json

  // Records already in results.jsonl. A torn last line (the run was killed mid-write) is dropped
  // from the file so appends continue cleanly.
  std::vector<Record> load_records();

  // Appends one record: written, flushed and fsync'd before returning; throws on a full disk or any
  // write error, leaving earlier lines intact.
  void append(const Record& r);

  // The same for any record type (`mtb ops`'s): lines as JSON, appended whole or not at all.
  std::vector<nlohmann::json> load_lines();
  void append_line(const nlohmann::json& j);

 private:
  explicit RunStore(std::filesystem::path dir) : dir_(std::move(dir)) {}
  void write_csv();
  std::filesystem::path dir_;
  nlohmann::json settings_;
  std::vector<nlohmann::json> lines_;
  CsvFormatter csv_;
};

// Writes `text` to `path` through a temporary file and a rename, so readers never see half a file.
void write_file_atomic(const std::filesystem::path& path, const std::string& text);

// The ancestor's folder name for a run started now: YYYY-MM-DD__HH:MM:SS, local time.
std::string run_timestamp();

std::string csv_escape(const std::string& s);

}  // namespace mtb
