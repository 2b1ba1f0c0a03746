// The dimensions of a model that the roofline needs: read from a GGUF's header (models/gguf_info.h).
#pragma once
#include <cstdint>

namespace mtb {

struct ModelShape {
  uint64_t matmul_params = 0;  // weights that take part in matrix products per token
  int n_layer = 0, n_head = 0, n_head_kv = 0, head_dim = 0;
  // KV cache bytes per token of context (K and V, every layer, 2-byte cache elements).
  uint64_t kv_bytes_per_token() const { return 2ull * n_layer * n_head_kv * head_dim * 2; }
};

}  // namespace mtb
