#include "report/site.h"

#include <fmt/format.h>

#include <fstream>
#include <iterator>
#include <map>

#include "core/store.h"
#include "report/pages.h"

namespace mtb::report {
namespace fs = std::filesystem;

std::string page_file_name(const std::string& hardware) {
  std::string s;
  for (char ch : hardware) s += std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.' ? ch : '_';
  return s + ".html";
}

Site write_site(const RunSet& runs, const fs::path& out_dir, const fs::path& plotly_js, double max_kld) {
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) throw std::runtime_error(fmt::format("cannot create {}: {}", out_dir.string(), ec.message()));
  const fs::path plotly_dest = out_dir / "plotly.min.js";
  if (!fs::exists(plotly_dest) || fs::file_size(plotly_dest) != fs::file_size(plotly_js)) {
    // Through a temporary and a rename, as the pages: a full disk fails with its own message and
    // leaves no partial asset (a copy in place left one, and said only "Input/output error").
    std::ifstream in(plotly_js, std::ios::binary);
    const std::string js{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (!in.good() && !in.eof()) throw std::runtime_error(fmt::format("cannot read {}", plotly_js.string()));
    write_file_atomic(plotly_dest, js);
  }
  std::map<std::string, std::vector<const Run*>> by_hw;
  for (const Run& r : runs.runs) by_hw[r.hardware].push_back(&r);
  Site site;
  for (const auto& [hw, hw_runs] : by_hw) {
    const PageText page = hardware_page(hw, hw_runs, "plotly.min.js", max_kld);
    const fs::path path = out_dir / page_file_name(hw);
    write_file_atomic(path, page.html);
    site.pages.push_back({hw, path, page.figures});
  }
  site.index = out_dir / "index.html";
  write_file_atomic(site.index, index_page(runs).html);
  return site;
}

}  // namespace mtb::report
