// model.safetensors.index.json of a sharded Hugging Face folder: its weight_map, the shard files it
// names. A bad index is std::runtime_error naming the file; nothing else may happen.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "models/tensor_source.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    mtb::parse_safetensors_index(std::string(reinterpret_cast<const char*>(data), size), "model.safetensors.index.json");
  } catch (const std::runtime_error&) {
  }
  return 0;
}
