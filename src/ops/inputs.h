// Seeded inputs and weights of an op case, identical for every backend: the same seed, shape and
// dtype give the same values on every platform (core/rng.h), already rounded to the dtype so no
// backend's own conversion changes them.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "ops/op.h"

namespace mtb::ops {

struct HostTensor {
  TensorDesc desc;
  std::vector<float> data;  // row-major, desc.shape
};

// Activations ~ N(0, 1); weights ~ N(0, 1/fan_in) so every layer's output stays O(1); biases and
// norm parameters small perturbations around 0 and 1. Each tensor is its own stream of `seed`.
std::vector<HostTensor> make_inputs(Op op, const OpShape& s, const std::string& dtype, uint64_t seed);

// Rounds to the nearest value of `dtype` (bfloat16, float16: round to nearest even); float32 is kept.
void round_to_dtype(std::vector<float>& v, const std::string& dtype);

const HostTensor& find_input(const std::vector<HostTensor>& inputs, const std::string& name);  // throws naming it

}  // namespace mtb::ops
