#include "models/cache_integrity.h"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/file_checksum.h"
#include "core/text_table.h"

namespace mtb {
namespace fs = std::filesystem;
namespace {

// The file's modification time as a number: recorded with its checksum, so that a file nobody
// wrote to since is not read in full again (a 7B model's three files are 27 GB, and every mtb
// process that resolves them would read them all).
int64_t mtime_ns(const fs::path& file) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(fs::last_write_time(file).time_since_epoch()).count();
}

void write_record(const fs::path& file, uintmax_t size, const std::string& checksum, int64_t mtime) {
  // The record's own temporary carries the pid too: two mtb processes may make the same file.
  const fs::path tmp = check_file_of(file).string() + fmt::format(".tmp{}", getpid());
  {
    std::ofstream out(tmp);
    out << nlohmann::json{{"size", size}, {"xxh64", checksum}, {"mtime_ns", mtime}}.dump() << "\n";
    if (!out.flush()) throw std::runtime_error(fmt::format("cannot write {}", tmp.string()));
  }
  fs::rename(tmp, check_file_of(file));
}

}  // namespace

fs::path check_file_of(const fs::path& file) { return file.string() + ".check"; }

void record_integrity(const fs::path& written, const fs::path& file) {
  // A rename keeps the modification time: the temporary's is the file's.
  write_record(file, fs::file_size(written), file_checksum_hex(written), mtime_ns(written));
}

std::string integrity_problem(const fs::path& file) {
  const uintmax_t size = fs::file_size(file);
  nlohmann::json rec;
  try {
    std::ifstream in(check_file_of(file));
    if (!in) {
      write_record(file, size, file_checksum_hex(file), mtime_ns(file));
      return "";
    }
    rec = nlohmann::json::parse(in);
    (void)rec.at("size").get<uintmax_t>();
    (void)rec.at("xxh64").get<std::string>();
  } catch (const nlohmann::json::exception&) {
    return fmt::format("its record {} is unreadable", check_file_of(file).string());
  }
  if (const auto want = rec["size"].get<uintmax_t>(); size != want)
    return fmt::format("it is {} bytes, {} when it was synthesized (truncated or overwritten)", size, want);
  // Unwritten since its record (same size, same modification time): whole, without reading it.
  // A file written to since (damaged in place, copied back) is read in full.
  const int64_t mtime = mtime_ns(file);
  if (rec.value("mtime_ns", int64_t{0}) == mtime) return "";
  const std::string sum = file_checksum_hex(file);
  if (sum != rec["xxh64"].get<std::string>())
    return fmt::format("its checksum is {}, {} when it was synthesized (the file is damaged)", sum,
                       rec["xxh64"].get<std::string>());
  write_record(file, size, sum, mtime);  // whole as it is now: the next process need not read it again
  return "";
}

void remove_dead_temporaries(const fs::path& dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    const size_t at = name.rfind(".tmp");
    if (at == std::string::npos || at + 4 == name.size()) continue;
    const std::string digits = name.substr(at + 4);
    if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 9) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(digits));
    if (pid <= 0 || ::kill(pid, 0) == 0 || errno != ESRCH) continue;  // its writer may still be at work
    std::error_code size_ec, rm_ec;
    const uintmax_t bytes = fs::file_size(entry.path(), size_ec);
    if (fs::remove(entry.path(), rm_ec))
      fmt::print(stderr, "note: removed {} ({}), left by a synthesis that was stopped (process {} is gone)\n",
                 entry.path().string(), size_ec ? "?" : format_bytes(bytes), pid);
  }
}

}  // namespace mtb
