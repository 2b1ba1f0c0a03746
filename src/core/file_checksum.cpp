#include "core/file_checksum.h"

#include <fmt/format.h>

#include <fstream>
#include <stdexcept>
#include <vector>

// Header-only: nothing to link, on a machine that has the header alone (a GPU machine's unpacked
// Debian package, Homebrew's xxhash).
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace mtb {

struct Checksum64::State {
  XXH64_state_t xxh;
};

Checksum64::Checksum64() : state_(std::make_unique<State>()) { XXH64_reset(&state_->xxh, 0); }
Checksum64::~Checksum64() = default;

void Checksum64::update(std::string_view bytes) { XXH64_update(&state_->xxh, bytes.data(), bytes.size()); }

uint64_t Checksum64::digest() const { return XXH64_digest(&state_->xxh); }

std::string file_checksum_hex(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("cannot read {}", file.string()));
  Checksum64 sum;
  std::vector<char> buf(4 << 20);
  while (in) {
    in.read(buf.data(), std::streamsize(buf.size()));
    sum.update({buf.data(), size_t(in.gcount())});
  }
  if (in.bad()) throw std::runtime_error(fmt::format("cannot read {}", file.string()));
  return fmt::format("{:016x}", sum.digest());
}

}  // namespace mtb
