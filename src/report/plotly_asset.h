// Where plotly.min.js is: scripts/setup.sh installs the pinned plotly.js-dist-min into third_party/npm.
#pragma once
#include <filesystem>
#include <string>

namespace mtb::report {

// First of: `explicit_path` (--plotly-js), $MTB_PLOTLY_JS, third_party/npm beside the executable's
// source tree, the same under the current directory. Throws a message saying how to install it.
std::filesystem::path find_plotly_js(const std::string& explicit_path);

}  // namespace mtb::report
