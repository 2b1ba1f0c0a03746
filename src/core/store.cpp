#include "core/store.h"

#include "core/printers.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <stdexcept>

namespace mtb {
namespace fs = std::filesystem;
namespace {

constexpr const char* kResults = "results.jsonl";
constexpr const char* kSettings = "settings.json";
constexpr const char* kCsv = "benchmark_results.csv";

[[noreturn]] void write_error(const fs::path& p, int err) {
  throw std::runtime_error(fmt::format("cannot write {}: {}{}", p.string(), strerror(err),
                                       err == ENOSPC || err == EDQUOT ? " (the disk is full; results so far are kept)" : ""));
}

void write_all(int fd, const std::string& s, const fs::path& p) {
  size_t off = 0;
  while (off < s.size()) {
    const ssize_t n = ::write(fd, s.data() + off, s.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      write_error(p, errno);
    }
    off += static_cast<size_t>(n);
  }
}

}  // namespace

std::string csv_escape(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"') out += '"';
    out += ch;
  }
  return out + "\"";
}

void write_file_atomic(const fs::path& path, const std::string& text) {
  const fs::path tmp = path.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) write_error(tmp, errno);
  try {
    write_all(fd, text, tmp);
    if (::fsync(fd) != 0) write_error(tmp, errno);
  } catch (...) {
    ::close(fd);
    fs::remove(tmp);
    throw;
  }
  ::close(fd);
  fs::rename(tmp, path);
}

std::string run_timestamp() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d__%H:%M:%S", &tm);
  return buf;
}

RunStore RunStore::create(const fs::path& root, const std::string& kind, const std::string& hardware,
                          const nlohmann::json& settings, CsvFormatter csv) {
  const fs::path parent = root / kind / hardware;
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) throw std::runtime_error(fmt::format("cannot create {}: {}", parent.string(), ec.message()));
  const std::string stamp = run_timestamp();
  fs::path dir = parent / stamp;
  for (int i = 2; fs::exists(dir); ++i) dir = parent / fmt::format("{}_{}", stamp, i);  // two runs in one second
  fs::create_directory(dir, ec);
  if (ec) throw std::runtime_error(fmt::format("cannot create {}: {}", dir.string(), ec.message()));
  RunStore s(dir);
  s.csv_ = std::move(csv);
  s.settings_ = settings;
  s.settings_["datetime"] = dir.filename().string();
  write_file_atomic(dir / kSettings, s.settings_.dump(2) + "\n");
  const int fd = ::open((dir / kResults).c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) write_error(dir / kResults, errno);
  ::close(fd);
  s.write_csv();
  return s;
}

RunStore RunStore::open(const fs::path& dir, CsvFormatter csv) {
  if (!fs::is_directory(dir)) throw std::runtime_error(fmt::format("--resume {}: no such folder", dir.string()));
  if (!fs::exists(dir / kSettings) || !fs::exists(dir / kResults))
    throw std::runtime_error(fmt::format("--resume {}: not an mtb run folder (it needs {} and {})", dir.string(),
                                         kSettings, kResults));
  RunStore s(dir);
  s.csv_ = std::move(csv);
  std::ifstream in(dir / kSettings);
  try {
    s.settings_ = nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format("--resume {}: settings.json is not valid JSON: {}", dir.string(), e.what()));
  }
  if (!s.settings_.contains("plan"))
    throw std::runtime_error(fmt::format("--resume {}: settings.json holds no plan (a run of another tool?)", dir.string()));
  return s;
}

void RunStore::update_settings(const nlohmann::json& patch) {
  settings_.merge_patch(patch);
  write_file_atomic(dir_ / kSettings, settings_.dump(2) + "\n");
}

std::vector<nlohmann::json> RunStore::load_lines() {
  std::ifstream in(dir_ / kResults, std::ios::binary);
  std::string line, good;
  lines_.clear();
  bool torn = false;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    try {
      lines_.push_back(nlohmann::json::parse(line));
      good += line + "\n";
    } catch (const std::exception&) {
      torn = true;  // only a killed write leaves a bad line; it held no finished case
    }
  }
  if (torn) write_file_atomic(dir_ / kResults, good);
  return lines_;
}

std::vector<Record> RunStore::load_records() {
  std::vector<Record> out;
  for (const auto& j : load_lines()) out.push_back(j.get<Record>());
  return out;
}

void RunStore::append_line(const nlohmann::json& j) {
  const fs::path p = dir_ / kResults;
  const int fd = ::open(p.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) write_error(p, errno);
  struct stat st {};
  const off_t before = ::fstat(fd, &st) == 0 ? st.st_size : -1;
  try {
    write_all(fd, j.dump() + "\n", p);
    if (::fsync(fd) != 0) write_error(p, errno);
  } catch (...) {
    // A partial line (disk full mid-write) would corrupt the file for readers: cut it off again.
    if (before >= 0) (void)!::ftruncate(fd, before);
    ::close(fd);
    throw;
  }
  ::close(fd);
  lines_.push_back(j);
  write_csv();
}

void RunStore::append(const Record& r) { append_line(nlohmann::json(r)); }

void RunStore::write_csv() {
  if (csv_) return write_file_atomic(dir_ / kCsv, csv_(lines_));
  std::vector<Record> records;
  for (const auto& j : lines_) records.push_back(j.get<Record>());
  write_file_atomic(dir_ / kCsv, format_records(records, OutputFormat::csv));
}

}  // namespace mtb
