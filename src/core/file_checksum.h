// A fast 64-bit checksum of a file's bytes (xxHash64, seed 0, from libxxhash): what the model
// cache records at synthesis to tell a whole file from a truncated or damaged one before loading it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace mtb {

// Fed in pieces of any size; the digest is the same however the bytes were split.
class Checksum64 {
 public:
  Checksum64();
  ~Checksum64();
  Checksum64(const Checksum64&) = delete;
  Checksum64& operator=(const Checksum64&) = delete;
  void update(std::string_view bytes);
  uint64_t digest() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The file's checksum as 16 lowercase hex digits; throws with the path when it cannot be read.
std::string file_checksum_hex(const std::filesystem::path& file);

}  // namespace mtb
