#include "cli/option_checks.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>

namespace mtb::cli {
namespace fs = std::filesystem;

void check_range(double v, double lo, double hi, const std::string& option, const std::string& what) {
  if (!std::isfinite(v) || v < lo || v > hi)
    throw std::invalid_argument(fmt::format("{} {}: takes {} ({:g} to {:g})", option, v, what, lo, hi));
}

void check_each(const std::vector<int>& v, int lo, int hi, const std::string& option) {
  for (int x : v)
    if (x < lo || x > hi) throw std::invalid_argument(fmt::format("{} {}: values from {} to {}", option, x, lo, hi));
}

template <class T>
void check_distinct(const std::vector<T>& v, const std::string& option) {
  std::set<T> seen;
  for (const T& x : v)
    if (!seen.insert(x).second)
      throw std::invalid_argument(fmt::format("{}: {} is given twice (each value is a case of its own; leave out the repeat)",
                                              option, x));
}
template void check_distinct(const std::vector<int>&, const std::string&);
template void check_distinct(const std::vector<double>&, const std::string&);
template void check_distinct(const std::vector<std::string>&, const std::string&);

namespace {
// Whether `s` is well-formed UTF-8 up to its last, possibly cut, sequence.
bool utf8_text(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == 0) return false;
    const size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (n == 0) return false;
    for (size_t k = 1; k < n; ++k) {
      if (i + k >= s.size()) return true;  // cut at the end of the sample
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
    }
    i += n;
  }
  return true;
}
}  // namespace

void check_prompt_file(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw std::invalid_argument(fmt::format("--prompt-file {}: no such file", path));
  if (fs::file_size(path, ec) == 0) throw std::invalid_argument(fmt::format("--prompt-file {}: the file is empty", path));
  std::ifstream in(path, std::ios::binary);
  std::string head(1 << 20, '\0');
  in.read(head.data(), std::streamsize(head.size()));
  head.resize(size_t(in.gcount()));
  if (!in && !in.eof()) throw std::invalid_argument(fmt::format("--prompt-file {}: cannot be read", path));
  if (!utf8_text(head))
    throw std::invalid_argument(fmt::format("--prompt-file {}: not UTF-8 text (a binary file?): the prompt is text for the "
                                            "model's tokenizer", path));
}

void refuse_with_resume(const CLI::App& cmd, const std::vector<std::string>& allowed) {
  std::vector<std::string> given;
  for (const auto* opt : cmd.get_options()) {
    if (opt->count() == 0) continue;
    const bool ok = std::any_of(allowed.begin(), allowed.end(), [&](const std::string& a) { return opt->check_lname(a); });
    if (!ok) given.push_back(opt->get_name());
  }
  if (!given.empty())
    throw std::invalid_argument(fmt::format("--resume takes the run's own plan and settings; leave out {}", fmt::join(given, ", ")));
}

}  // namespace mtb::cli
