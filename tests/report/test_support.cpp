#include "test_support.h"

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace mtb::test {
namespace fs = std::filesystem;

fs::path make_temp_dir(const std::string& tag) {
  std::random_device rd;
  const fs::path p = fs::temp_directory_path() / fmt::format("mtb-report-test-{}-{}-{:x}", tag, ::getpid(), rd());
  fs::create_directories(p);
  return p;
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_text(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + p.string());
}

CommandResult run_command(const std::string& command) {
  const fs::path dir = make_temp_dir("cmd");
  const std::string full = fmt::format("{} >'{}' 2>'{}'", command, (dir / "out").string(), (dir / "err").string());
  const int status = std::system(full.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_text(dir / "out");
  r.err = read_text(dir / "err");
  fs::remove_all(dir);
  return r;
}

CommandResult run_mtb(const std::string& args) { return run_command(fmt::format("'{}' {}", MTB_BINARY, args)); }

const TinyRuns& tiny_runs() {
  static const TinyRuns runs = [] {
    TinyRuns t;
    const fs::path root = MTB_TINY_RUNS;
    if (!fs::is_directory(root / "llm_benchmarks")) return t;
    std::vector<fs::path> dirs;
    for (const auto& hw : fs::directory_iterator(root / "llm_benchmarks"))
      for (const auto& run : fs::directory_iterator(hw.path())) dirs.push_back(run.path());
    std::sort(dirs.begin(), dirs.end());  // folder names are times
    if (dirs.size() != 2) throw std::runtime_error(fmt::format("{}: expected 2 run folders, found {}", root.string(), dirs.size()));
    t.root = root;
    t.a = dirs[0];
    t.b = dirs[1];
    return t;
  }();
  return runs;
}

fs::path seed_dir() {
  const fs::path p = MTB_SEED_DIR;
  return fs::is_directory(p) ? fs::weakly_canonical(p) : fs::path{};
}

}  // namespace mtb::test
