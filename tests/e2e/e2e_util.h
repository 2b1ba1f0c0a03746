// Running the built mtb binary from tests and reading the run folders it writes.
#pragma once
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "llm/record.h"

namespace e2e {

struct Result {
  int exit_code = -1;
  std::string out;  // stdout + stderr
};

// Runs `mtb <args>` through the shell (args are shell words), capturing stdout and, unless args
// redirect it, stderr.
Result run_mtb(const std::string& args, const std::string& env = "");
std::string sh_quote(const std::string& s);

// Starts `mtb <args>` in the background (output to `log`, or discarded), with `env` (NAME=value
// pairs) added to its environment, which its workers inherit. Returns its pid.
int start_mtb(const std::string& args, const std::string& log = "/dev/null",
              const std::vector<std::string>& env = {});
// Waits (up to 2 minutes: a CUDA build starts slowly) for the single run under `root` to hold a
// finished case; returns that run folder, or an empty path.
std::filesystem::path wait_for_first_record(const std::filesystem::path& root);

// A fresh folder for this test's measurements.
std::filesystem::path fresh_dir();

// The single run folder under root/llm_benchmarks/<hw>/.
std::filesystem::path only_run(const std::filesystem::path& root);
std::vector<mtb::Record> records(const std::filesystem::path& run);
std::vector<std::vector<std::string>> read_csv(const std::filesystem::path& file);
nlohmann::json read_json(const std::filesystem::path& file);

}  // namespace e2e
