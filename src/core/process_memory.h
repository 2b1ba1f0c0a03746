// This process's peak resident set: each worker case's own peak memory on the CPU.
#pragma once
#include <cstdint>

namespace mtb {

// Peak resident set of this process since the last reset_peak_rss() (Linux; elsewhere since the
// process started), in bytes.
uint64_t peak_rss_bytes();
void reset_peak_rss();

}  // namespace mtb
