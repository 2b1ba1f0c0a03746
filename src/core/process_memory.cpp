#include "core/process_memory.h"

#include <sys/resource.h>

#include <cstdio>

namespace mtb {

void reset_peak_rss() {
#ifdef __linux__
  // "5" resets the resident-set high-water mark (VmHWM, Linux >= 4.0): each case of a worker that
  // runs several gets its own peak. Where the write fails the peak covers the worker's earlier cases.
  if (FILE* f = std::fopen("/proc/self/clear_refs", "w")) {
    std::fputs("5", f);
    std::fclose(f);
  }
#endif
}

uint64_t peak_rss_bytes() {
#ifdef __linux__
  // VmHWM, which reset_peak_rss() can reset (getrusage's maximum cannot be).
  if (FILE* f = std::fopen("/proc/self/status", "r")) {
    char line[256];
    unsigned long long kib = 0;
    bool found = false;
    while (!found && std::fgets(line, sizeof line, f)) found = std::sscanf(line, "VmHWM: %llu kB", &kib) == 1;
    std::fclose(f);
    if (found) return kib * 1024;
  }
#endif
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
#ifdef __APPLE__
  return static_cast<uint64_t>(ru.ru_maxrss);  // bytes on macOS
#else
  return static_cast<uint64_t>(ru.ru_maxrss) * 1024;  // KiB on Linux
#endif
}

}  // namespace mtb
