// The tensors of a synthetic model: names, shapes and how their values are drawn, as
// convert_hf_to_gguf names and shapes them for the spec's architecture.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "models/zoo.h"

namespace mtb {

// How a tensor's values are drawn.
enum class Fill { normal, ones, rope_factors };

struct TensorPlan {
  std::string name;
  std::vector<int64_t> ne;  // ggml order: ne[0] is the contiguous dimension
  Fill fill = Fill::normal;
  bool keep_f32 = false;  // norms, biases and RoPE factors stay f32, as convert_hf_to_gguf writes them

  int64_t numel() const;
  int64_t rows() const { return numel() / ne[0]; }
};

// In the order a float file stores them (the order convert_hf_to_gguf writes).
std::vector<TensorPlan> tensor_plan(const ModelSpec& s);

}  // namespace mtb
