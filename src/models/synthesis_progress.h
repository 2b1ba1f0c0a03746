// Terminal lines for model synthesis (a file takes seconds to minutes), shared by every command
// that makes model files.
#pragma once
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/text_table.h"
#include "models/gguf_synth.h"

namespace mtb {

// Prints "  synthesizing <what>:  45% (450 MiB of 988 MiB)" to stderr, redrawn only when the
// percentage changes.
inline ProgressFn progress_line(const std::string& what) {
  auto last = std::make_shared<int>(-1);
  return [what, last](uint64_t done, uint64_t total) {
    const int pct = total ? static_cast<int>(100 * done / total) : 100;
    if (pct == *last) return;
    *last = pct;
    fmt::print(stderr, "\r  synthesizing {}: {:3d}% ({} of {})", what, pct, format_bytes(done), format_bytes(total));
    if (done >= total) fmt::print(stderr, "\n");
  };
}

// What synthesize_ahead calls as it starts quantizations side by side: one line naming them.
inline std::function<void(const std::vector<std::string>&)> side_by_side_line(const std::string& model) {
  return [model](const std::vector<std::string>& made) {
    fmt::print(stderr, "  making {} at {} side by side ...\n", model, fmt::join(made, ", "));
  };
}

}  // namespace mtb
