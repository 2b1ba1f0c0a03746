// ggml's q8_0 and q4_0 blocks (models/tensor_source.h: HostDType) decoded with torch ops on the
// tensor's device, so a quantized file's weights cross to a GPU at their stored size (a 7B q8_0
// model: 8 GB, against 30 GB of f32 decoded on the host first).
#pragma once
#include <ATen/ATen.h>

#include "models/tensor_source.h"

namespace mtb::torch_backend {

// bytes: uint8 [rows, row bytes] holding `type` blocks, on any device; returns float32 [rows, cols]
// there. Each value is ggml's dequantize_row_q8_0 / _q4_0 arithmetic, one float multiply of the
// integer code by the f16 scale widened to float, so the result is bit-identical to the host decode.
at::Tensor decode_blocks(const at::Tensor& bytes, HostDType type, int64_t cols);

}  // namespace mtb::torch_backend
