// Whether the machine swapped: Linux counts the pages it swapped in and out since boot
// (/proc/vmstat pswpin, pswpout). A case during which the count moved is flagged in its record:
// its timings include waits on the disk.
#pragma once
#include <cstdint>
#include <istream>
#include <optional>

namespace mtb {

// Bytes swapped in and out since boot, machine-wide; nullopt where unknown (not Linux).
std::optional<uint64_t> swapped_bytes_so_far();

// The same from a /proc/vmstat text: (pswpin + pswpout) pages x `page_bytes`; nullopt without both.
std::optional<uint64_t> swapped_bytes_in(std::istream& vmstat, uint64_t page_bytes);

}  // namespace mtb
