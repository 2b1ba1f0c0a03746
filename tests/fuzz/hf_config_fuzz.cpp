// A Hugging Face folder's config.json: the architecture's numbers (counts bounded, RoPE scaling,
// Gemma 3's sliding-window layers). A bad config is an exception naming the file; nothing else may happen.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <vector>

#include "models/tensor_source.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<float> rope_factors;
  try {
    mtb::parse_hf_config(std::string(reinterpret_cast<const char*>(data), size), "config.json", rope_factors);
  } catch (const std::exception&) {  // std::runtime_error, or nlohmann's type_error for a field of the wrong type
  }
  return 0;
}
