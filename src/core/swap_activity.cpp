#include "core/swap_activity.h"

#include <unistd.h>

#include <fstream>
#include <string>

namespace mtb {

std::optional<uint64_t> swapped_bytes_in(std::istream& vmstat, uint64_t page_bytes) {
  std::optional<uint64_t> in, out;
  std::string key;
  uint64_t value = 0;
  while (vmstat >> key >> value) {
    if (key == "pswpin") in = value;
    else if (key == "pswpout") out = value;
  }
  if (!in || !out) return std::nullopt;
  return (*in + *out) * page_bytes;
}

std::optional<uint64_t> swapped_bytes_so_far() {
#ifdef __linux__
  std::ifstream f("/proc/vmstat");
  if (f) return swapped_bytes_in(f, static_cast<uint64_t>(sysconf(_SC_PAGESIZE)));
#endif
  return std::nullopt;
}

}  // namespace mtb
