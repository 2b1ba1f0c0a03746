// What the report tests share: a fresh temporary folder, running the built mtb binary, and real mtb
// runs of a tiny model made once per test process.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

namespace mtb::test {

std::filesystem::path make_temp_dir(const std::string& tag);

struct CommandResult {
  int exit_code = -1;
  std::string out, err;
};
// Runs `command` through the shell, capturing stdout and stderr separately.
CommandResult run_command(const std::string& command);
CommandResult run_mtb(const std::string& args);

std::string read_text(const std::filesystem::path& p);
void write_text(const std::filesystem::path& p, const std::string& text);

// Two real runs of one plan (tiny model, f32 and q4_0, prompts 64 and 256, 3 repetitions), made by
// the CTest fixture mtb_report_tiny_runs (make_tiny_runs.cmake) under one measurement root.
struct TinyRuns {
  std::filesystem::path root;
  std::filesystem::path a, b;  // run folders, older first
};
// Empty paths when the fixture has not run (the test binary started by hand): callers skip.
const TinyRuns& tiny_runs();
#define MTB_REQUIRE_TINY_RUNS()                                                                          \
  if (::mtb::test::tiny_runs().root.empty())                                                             \
  GTEST_SKIP() << "no runs at " << MTB_TINY_RUNS << ": run through ctest (fixture mtb_report_tiny_runs makes them)"

// The ancestor's measurements, or an empty path when ../shared is not beside the repository.
std::filesystem::path seed_dir();

}  // namespace mtb::test
