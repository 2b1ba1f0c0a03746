#include "core/axis_list.h"

#include <fmt/format.h>

#include <stdexcept>

namespace mtb {

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t comma = s.find(',', start);
    std::string item = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (item.empty()) throw std::invalid_argument(fmt::format("empty item in list '{}'", s));
    out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::vector<int> parse_int_list(const std::string& s, const std::string& what) {
  std::vector<int> out;
  for (const auto& item : split_list(s)) {
    std::string digits = item;
    long mult = 1;
    if (!digits.empty() && (digits.back() == 'k' || digits.back() == 'K')) {
      mult = 1024;
      digits.pop_back();
    }
    size_t used = 0;
    long v = 0;
    try {
      v = std::stol(digits, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != digits.size() || digits.empty() || v < 0 || v > 1'000'000'000 / mult)  // v * mult could overflow
      throw std::invalid_argument(fmt::format("{}: '{}' is not a non-negative whole number", what, item));
    out.push_back(static_cast<int>(v * mult));
  }
  return out;
}

}  // namespace mtb
