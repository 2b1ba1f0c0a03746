// MLX as an `mtb ops` backend: each op composed of MLX ops and mx::fast kernels as mlx.nn's modules
// compute it, eager (lazy graph evaluated per call) or compiled once with mx::compile (the
// ancestor's `compile` column: MLX fuses the elementwise parts into generated kernels).
#pragma once
#include <memory>

#include "ops/op_backend.h"

namespace mtb {

std::unique_ptr<OpBackend> make_mlx_op_backend();

}  // namespace mtb
