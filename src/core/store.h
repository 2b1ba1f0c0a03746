// The run store: measurements/<kind>/<hardware>/<YYYY-MM-DD__HH:MM:SS>/ with settings.json,
// results.jsonl (one record a line, appended and fsync'd per finished case) and
// benchmark_results.csv (mlx_transformers_benchmark's layout: one row appended per case). The store
// knows no record kind: a suite gives it the CSV's header and how a line becomes a row.
#pragma once
#include <filesystem>
#include <functional>
#include <istream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace mtb {

struct CsvSchema {
  std::vector<std::string> header;
  std::function<std::vector<std::string>(const nlohmann::json& line)> row;  // a results.jsonl line's row
};

class RunStore {
 public:
  // Makes a new run folder under root/kind/hardware/ named by the local time.
  static RunStore create(const std::filesystem::path& root, const std::string& kind, const std::string& hardware,
                         const nlohmann::json& settings, CsvSchema csv);
  // Opens an existing run to resume it; throws with a clear message when `dir` is not a run, or when
  // another mtb holds it (two writers would record cases twice). The CSV is written anew from
  // results.jsonl once, here: a killed run may have left it a row short.
  static RunStore open(const std::filesystem::path& dir, CsvSchema csv);

  const std::filesystem::path& dir() const { return dir_; }
  const nlohmann::json& settings() const { return settings_; }
  void update_settings(const nlohmann::json& patch);  // merge and rewrite settings.json

  // Lines already in results.jsonl. A torn last line (the run was killed mid-write) is dropped
  // from the file so appends continue cleanly.
  std::vector<nlohmann::json> load_lines();

  // Appends one record: written, flushed and fsync'd before returning, then its CSV row; throws on
  // a full disk or any write error, leaving earlier lines intact. O(1) in the run's size.
  void append_line(const nlohmann::json& j);

 private:
  RunStore(std::filesystem::path dir, CsvSchema csv) : dir_(std::move(dir)), csv_(std::move(csv)) {}
  void rewrite_csv(const std::vector<nlohmann::json>& lines);
  // One writer per run folder: an advisory lock (flock) on its .mtb.lock, held while this store lives
  // (moves share it) and released by the kernel however the process ends, a SIGKILL included.
  struct Lock;
  static std::shared_ptr<Lock> take_lock(const std::filesystem::path& dir);
  std::shared_ptr<Lock> lock_;
  std::filesystem::path dir_;
  nlohmann::json settings_;
  CsvSchema csv_;
};

// results.jsonl's text as RunStore::load_lines reads it: the JSON of each line, those lines again as
// text, and how many lines are not JSON (torn by a killed write).
struct ResultsLines {
  std::vector<nlohmann::json> lines;
  std::string good;
  size_t torn = 0;
};
ResultsLines read_results_lines(std::istream& in);

// Writes `text` to `path` through a temporary file and a rename, so readers never see half a file.
void write_file_atomic(const std::filesystem::path& path, const std::string& text);

// The folder name for a run started now: YYYY-MM-DD__HH:MM:SS, local time (as
// mlx_transformers_benchmark names its runs).
std::string run_timestamp();

}  // namespace mtb
