#include "report/plotly_asset.h"

#include <fmt/format.h>

#include <cstdlib>
#include <stdexcept>
#include <vector>

namespace mtb::report {
namespace fs = std::filesystem;

fs::path find_plotly_js(const std::string& explicit_path) {
  if (!explicit_path.empty()) {
    if (!fs::is_regular_file(explicit_path))
      throw std::runtime_error(fmt::format("--plotly-js {}: no such file", explicit_path));
    return explicit_path;
  }
  const fs::path rel = "third_party/npm/node_modules/plotly.js-dist-min/plotly.min.js";
  std::vector<fs::path> tried;
  if (const char* env = std::getenv("MTB_PLOTLY_JS"); env && *env) tried.push_back(env);
  tried.push_back(fs::path(MTB_SOURCE_DIR) / rel);  // the tree this binary was built from
  tried.push_back(fs::current_path() / rel);
  for (const auto& p : tried)
    if (fs::is_regular_file(p)) return p;
  std::string list;
  for (const auto& p : tried) list += "\n  " + p.string();
  throw std::runtime_error(fmt::format(
      "plotly.min.js not found; run scripts/setup.sh (it installs the pinned plotly.js-dist-min into third_party/npm), "
      "or pass --plotly-js PATH / set MTB_PLOTLY_JS. Looked in:{}",
      list));
}

}  // namespace mtb::report
