// `mtb report`'s output: index.html (every hardware, its runs, frameworks, models and dates) and one
// page per hardware, all self-contained files beside a copy of plotly.min.js.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "report/fastest.h"
#include "report/run.h"

namespace mtb::report {

struct SitePage {
  std::string hardware;
  std::filesystem::path path;
  int figures = 0;  // plotly charts on the page
};

struct Site {
  std::filesystem::path index;
  std::vector<SitePage> pages;
};

// Writes the site into `out_dir` (created if needed) and copies `plotly_js` beside the pages.
// Problems in `runs` are listed on the index page. `max_kld`: the bound of "fastest generation within
// KLD" on pages with quality runs (`mtb report --max-kld`).
Site write_site(const RunSet& runs, const std::filesystem::path& out_dir, const std::filesystem::path& plotly_js,
                double max_kld = kDefaultMaxKld);

// The page of a hardware string: safe as a file name and a relative link.
std::string page_file_name(const std::string& hardware);

}  // namespace mtb::report
