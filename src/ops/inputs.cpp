#include "ops/inputs.h"

#include <fmt/format.h>

#include <bit>
#include <cmath>
#include <stdexcept>

#include "core/rng.h"

namespace mtb::ops {
namespace {

uint64_t name_hash(const std::string& s) {  // FNV-1a: a stable stream id per tensor name
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// Round-to-nearest-even to a float with `mantissa` explicit bits and the same exponent range as
// float32 (bfloat16: 7). float16's narrower exponent needs its own path.
float round_mantissa(float x, int mantissa) {
  uint32_t u = std::bit_cast<uint32_t>(x);
  const int drop = 23 - mantissa;
  const uint32_t half = 1u << (drop - 1), lsb = (u >> drop) & 1u;
  u = (u + half - 1 + lsb) & ~((1u << drop) - 1);
  return std::bit_cast<float>(u);
}

float round_half(float x) {
  // Values here stay within float16's normal range (|x| < 6e4, > 6e-5 or zero); round the mantissa
  // to 10 bits, then flush what float16 cannot hold.
  const float a = std::fabs(x);
  if (a < 6.104e-5f) return 0.0f * x;
  return round_mantissa(x, 10);
}

}  // namespace

void round_to_dtype(std::vector<float>& v, const std::string& dtype) {
  if (dtype == "float32") return;
  if (dtype == "bfloat16") {
    for (auto& x : v) x = round_mantissa(x, 7);
  } else if (dtype == "float16") {
    for (auto& x : v) x = round_half(x);
  } else {
    throw std::runtime_error(fmt::format("unknown dtype '{}' (float32, bfloat16, float16)", dtype));
  }
}

std::vector<HostTensor> make_inputs(Op op, const OpShape& s, const std::string& dtype, uint64_t seed) {
  std::vector<HostTensor> out;
  for (const TensorDesc& d : op_inputs(op, s)) {
    HostTensor t{d, std::vector<float>(static_cast<size_t>(d.numel()))};
    SplitMix64 rng(mix_seed(seed, name_hash(d.name)));
    // Scale and offset by role: activations N(0,1); matrices N(0, 1/fan_in); biases N(0, 0.02^2);
    // norm weights 1 + N(0, 0.1^2), norm biases N(0, 0.1^2).
    float scale = 1, offset = 0;
    const bool norm = d.name.starts_with("norm") || ((op == Op::layer_norm || op == Op::rms_norm) && d.weight);
    if (d.weight && d.shape.size() == 2) {
      scale = float(1.0 / std::sqrt(double(d.shape[1])));
    } else if (norm) {
      scale = 0.1f;
      offset = ends_with(d.name, "weight") ? 1.0f : 0.0f;
    } else if (d.weight) {
      scale = 0.02f;
    }
    for (auto& x : t.data) x = offset + scale * irwin_hall_normal(rng.next());
    round_to_dtype(t.data, dtype);
    out.push_back(std::move(t));
  }
  return out;
}

const HostTensor& find_input(const std::vector<HostTensor>& inputs, const std::string& name) {
  for (const auto& t : inputs)
    if (t.desc.name == name) return t;
  throw std::runtime_error(fmt::format("op input '{}' missing", name));
}

}  // namespace mtb::ops
