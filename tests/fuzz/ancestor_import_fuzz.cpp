// The Python tool's run folder as the report imports it: settings.json and benchmark_results.csv,
// the two files' texts split at the input's first NUL byte (settings first; no NUL: no settings).
// A bad file is a problem or a std::runtime_error naming it; nothing else may happen.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "report/ancestor_import.h"
#include "report/csv_table.h"
#include "report/run.h"

using namespace mtb::report;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  std::vector<Problem> problems;
  nlohmann::json settings = nlohmann::json::object();
  if (nul != std::string::npos) {
    std::istringstream in(input.substr(0, nul));
    settings = parse_settings(in, "settings.json", problems);
  }
  try {
    const CsvTable t = parse_csv(nul == std::string::npos ? input : input.substr(nul + 1), "benchmark_results.csv");
    if (ancestor_kind(t) == RunKind::llm)
      import_llm_rows(t, settings, problems);
    else
      import_layer_rows(t, problems);
  } catch (const std::runtime_error&) {
  }
  return 0;
}
