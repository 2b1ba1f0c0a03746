// Quantized GGUF tensors to f32 with ggml's own to_float (the code llama.cpp uses), rows split
// across threads: one thread decodes ~1 GB/s, and a 7B model is 30 GB of f32.
#pragma once
#include <cstdint>

#include "ggml.h"

namespace mtb {

// Decodes `rows` rows of `row_len` values of `type` from `src` into `dst` (rows * row_len floats).
// threads = 0: std::thread::hardware_concurrency(). The result does not depend on the thread
// count: blocks decode independently and a split never cuts a row. Throws when ggml cannot
// dequantize `type`.
void dequantize_rows(ggml_type type, const void* src, float* dst, int64_t rows, int64_t row_len, unsigned threads = 0);

}  // namespace mtb
