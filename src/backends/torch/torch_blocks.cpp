#include "backends/torch/torch_blocks.h"

#include <fmt/format.h>

#include <stdexcept>

namespace mtb::torch_backend {

at::Tensor decode_blocks(const at::Tensor& bytes, HostDType type, int64_t cols) {
  constexpr int64_t kValues = 32;  // per block, both types
  const int64_t block_bytes = type == HostDType::q8_0 ? 34 : 18;
  const int64_t rows = bytes.size(0);
  if (!is_blocks(type) || cols % kValues != 0 || bytes.size(1) != cols / kValues * block_bytes)
    throw std::invalid_argument(fmt::format("decode_blocks: {} bytes per row do not hold {} values of {}", bytes.size(1), cols,
                                            dtype_name(type)));
  const at::Tensor b = bytes.view({rows, cols / kValues, block_bytes});
  const at::Tensor scale = b.narrow(2, 0, 2).contiguous().view(at::kHalf).to(at::kFloat);  // [rows, blocks, 1]
  const at::Tensor codes = b.narrow(2, 2, block_bytes - 2);
  at::Tensor values;
  if (type == HostDType::q8_0) {
    values = codes.contiguous().view(at::kChar).to(at::kFloat);
  } else {  // low nibbles are the block's first 16 values, high nibbles the last 16
    values = at::cat({codes.bitwise_and(0x0F), codes.__rshift__(4)}, 2).to(at::kFloat).sub_(8);
  }
  return values.mul_(scale).view({rows, cols});
}

}  // namespace mtb::torch_backend
