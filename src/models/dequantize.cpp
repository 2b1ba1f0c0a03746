#include "models/dequantize.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>
#include <thread>
#include <vector>

namespace mtb {

void dequantize_rows(ggml_type type, const void* src, float* dst, int64_t rows, int64_t row_len, unsigned threads) {
  const auto* traits = ggml_get_type_traits(type);
  if (!traits->to_float) throw std::runtime_error(fmt::format("ggml cannot dequantize type {}", ggml_type_name(type)));
  if (rows <= 0 || row_len <= 0) return;
  const size_t row_bytes = ggml_row_size(type, row_len);
  // Below ~256k values per thread, starting a thread costs more than it saves.
  constexpr int64_t kMinValuesPerThread = 1 << 18;
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  const int64_t n = std::clamp<int64_t>(rows * row_len / kMinValuesPerThread, 1, std::min<int64_t>(threads, rows));
  auto decode = [&](int64_t r0, int64_t r1) {
    traits->to_float(static_cast<const uint8_t*>(src) + r0 * row_bytes, dst + r0 * row_len, (r1 - r0) * row_len);
  };
  std::vector<std::thread> pool;
  for (int64_t i = 1; i < n; ++i) pool.emplace_back(decode, rows * i / n, rows * (i + 1) / n);
  decode(0, rows / n);
  for (auto& t : pool) t.join();
}

}  // namespace mtb
