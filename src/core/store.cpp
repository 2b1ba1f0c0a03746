#include "core/store.h"

#include "core/clock.h"
#include "core/text_table.h"

#include <fcntl.h>
#include <sys/file.h>
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
constexpr const char* kLock = ".mtb.lock";

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

// Appends `text` whole or not at all: a partial line (disk full mid-write) would corrupt the file for
// readers, so it is cut off again.
void append_whole(const fs::path& p, const std::string& text) {
  const int fd = ::open(p.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) write_error(p, errno);
  struct stat st {};
  const off_t before = ::fstat(fd, &st) == 0 ? st.st_size : -1;
  try {
    write_all(fd, text, p);
    if (::fsync(fd) != 0) write_error(p, errno);
  } catch (...) {
    if (before >= 0) (void)!::ftruncate(fd, before);
    ::close(fd);
    throw;
  }
  ::close(fd);
}

}  // namespace

struct RunStore::Lock {
  int fd = -1;
  fs::path path;
  ~Lock() {
    if (fd < 0) return;
    (void)!::ftruncate(fd, 0);  // the holder's pid goes with the lock; the file itself may stay
    ::close(fd);
  }
};

std::shared_ptr<RunStore::Lock> RunStore::take_lock(const fs::path& dir) {
  auto lock = std::make_shared<Lock>();
  lock->path = dir / kLock;
  lock->fd = ::open(lock->path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock->fd < 0) write_error(lock->path, errno);
  if (::flock(lock->fd, LOCK_EX | LOCK_NB) != 0) {
    char pid[32] = {};
    (void)!::pread(lock->fd, pid, sizeof(pid) - 1, 0);
    const std::string holder = std::string(pid).empty() ? "another mtb" : fmt::format("another mtb (pid {})", pid);
    throw std::runtime_error(fmt::format("{} is being written by {}: one run folder takes one writer (two would "
                                         "record cases twice); wait for it to end, or stop it and --resume",
                                         dir.string(), holder));
  }
  const std::string me = std::to_string(::getpid());
  (void)!::ftruncate(lock->fd, 0);
  (void)!::pwrite(lock->fd, me.data(), me.size(), 0);
  return lock;
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

std::string run_timestamp() { return now_as("%Y-%m-%d__%H:%M:%S", /*utc=*/false); }

RunStore RunStore::create(const fs::path& root, const std::string& kind, const std::string& hardware,
                          const nlohmann::json& settings, CsvSchema csv) {
  const fs::path parent = root / kind / hardware;
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) throw std::runtime_error(fmt::format("cannot create {}: {}", parent.string(), ec.message()));
  const std::string stamp = run_timestamp();
  fs::path dir = parent / stamp;
  // Two runs in one second (the shards of a job array start together): whoever creates a name owns it,
  // so the test is the creation itself, not a look before it.
  for (int i = 2; !fs::create_directory(dir, ec); ++i) {
    if (ec) throw std::runtime_error(fmt::format("cannot create {}: {}", dir.string(), ec.message()));
    dir = parent / fmt::format("{}_{}", stamp, i);
  }
  RunStore s(dir, std::move(csv));
  s.lock_ = take_lock(dir);
  s.settings_ = settings;
  s.settings_["datetime"] = dir.filename().string();
  write_file_atomic(dir / kSettings, s.settings_.dump(2) + "\n");
  append_whole(dir / kResults, "");
  s.rewrite_csv({});
  return s;
}

RunStore RunStore::open(const fs::path& dir, CsvSchema csv) {
  if (!fs::is_directory(dir)) throw std::runtime_error(fmt::format("--resume {}: no such folder", dir.string()));
  if (!fs::exists(dir / kSettings) || !fs::exists(dir / kResults))
    throw std::runtime_error(fmt::format("--resume {}: not an mtb run folder (it needs {} and {})", dir.string(),
                                         kSettings, kResults));
  RunStore s(dir, std::move(csv));
  s.lock_ = take_lock(dir);
  std::ifstream in(dir / kSettings);
  try {
    s.settings_ = nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format("--resume {}: settings.json is not valid JSON: {}", dir.string(), e.what()));
  }
  if (!s.settings_.contains("plan"))
    throw std::runtime_error(fmt::format("--resume {}: settings.json holds no plan (a run of another tool?)", dir.string()));
  s.rewrite_csv(s.load_lines());
  return s;
}

void RunStore::update_settings(const nlohmann::json& patch) {
  settings_.merge_patch(patch);
  write_file_atomic(dir_ / kSettings, settings_.dump(2) + "\n");
}

ResultsLines read_results_lines(std::istream& in) {
  ResultsLines r;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    try {
      r.lines.push_back(nlohmann::json::parse(line));
      r.good += line + "\n";
    } catch (const std::exception&) {
      ++r.torn;  // a killed write leaves a bad line (it held no finished case); anything else is damage
    }
  }
  return r;
}

std::vector<nlohmann::json> RunStore::load_lines() {
  std::ifstream in(dir_ / kResults, std::ios::binary);
  ResultsLines r = read_results_lines(in);
  if (r.torn) {
    // Said, not silent: the file is rewritten without them and their cases run again.
    fmt::print(stderr, "warning: {}: dropped {} unreadable line{} (not JSON); their cases count as not done\n",
               (dir_ / kResults).string(), r.torn, r.torn == 1 ? "" : "s");
    write_file_atomic(dir_ / kResults, r.good);
  }
  return std::move(r.lines);
}

void RunStore::append_line(const nlohmann::json& j) {
  append_whole(dir_ / kResults, j.dump() + "\n");
  append_whole(dir_ / kCsv, csv_line(csv_.row(j)));
}

void RunStore::rewrite_csv(const std::vector<nlohmann::json>& lines) {
  std::string text = csv_line(csv_.header);
  for (const auto& j : lines) text += csv_line(csv_.row(j));
  write_file_atomic(dir_ / kCsv, text);
}

}  // namespace mtb
