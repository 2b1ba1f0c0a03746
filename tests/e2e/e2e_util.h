// Running the built mtb binary from tests and reading the run folders it writes.
#pragma once
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/record.h"

namespace e2e {

struct Result {
  int exit_code = -1;
  std::string out;  // stdout + stderr
};

// Runs `mtb <args>` through the shell (args are shell words), capturing stdout and, unless args
// redirect it, stderr.
Result run_mtb(const std::string& args, const std::string& env = "");
std::string sh_quote(const std::string& s);

// A fresh folder for this test's measurements.
std::filesystem::path fresh_dir();

// The single run folder under root/llm_benchmarks/<hw>/.
std::filesystem::path only_run(const std::filesystem::path& root);
std::vector<mtb::Record> records(const std::filesystem::path& run);
std::vector<std::vector<std::string>> read_csv(const std::filesystem::path& file);
nlohmann::json read_json(const std::filesystem::path& file);

}  // namespace e2e
