// A safetensors file's first bytes: the 8-byte header length, the JSON header and its tensor entries,
// every offset checked against the file's size. A bad file is SafetensorsError; nothing else may happen.
#include <cstddef>
#include <cstdint>
#include <span>

#include "models/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    mtb::parse_safetensors_header(std::span<const uint8_t>(data, size), size, "fuzz.safetensors");
  } catch (const mtb::SafetensorsError&) {
  }
  return 0;
}
