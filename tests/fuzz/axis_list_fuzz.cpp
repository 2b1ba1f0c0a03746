// The CLI's axis lists (-p 64,256,1k, -m a,b, ...): split_list and parse_int_list on any text. A bad
// list is std::invalid_argument naming the item; nothing else may happen.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "core/axis_list.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    mtb::split_list(text);
  } catch (const std::invalid_argument&) {
  }
  try {
    mtb::parse_int_list(text, "-p/--n-prompt");
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
