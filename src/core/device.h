// What every backend seam (llm/backend.h, ops/op_backend.h) shares: a device a backend can run on,
// and how it says it cannot do what was asked.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>

namespace mtb {

// A backend cannot do what was asked (precision, device, model feature): the case is skipped with
// this reason recorded, and the run goes on.
struct Unsupported : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Support {
  bool ok = true;
  std::string reason;
  static Support yes() { return {}; }
  static Support no(std::string why) { return {false, std::move(why)}; }
};

struct DeviceInfo {
  std::string backend;      // who reported it
  std::string name;         // "cpu", "cuda", "metal" (the -d value)
  std::string description;  // "NVIDIA H100 80GB HBM3"
  uint64_t memory_total = 0;
  uint64_t memory_free = 0;
};

}  // namespace mtb
