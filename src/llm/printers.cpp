#include "llm/printers.h"

#include <fmt/format.h>

namespace mtb {

std::string format_rate(const Summary& s) {
  if (s.n == 0) return "-";
  return s.n > 1 ? fmt::format("{:.2f} ± {:.2f}", s.mean, s.stddev) : fmt::format("{:.2f}", s.mean);
}

std::string format_records(const std::vector<Record>& records, OutputFormat f) {
  return record_fields().format(records, f);
}

}  // namespace mtb
