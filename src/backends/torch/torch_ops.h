// libtorch as an `mtb ops` backend: each op composed of aten ops; on CUDA also a CUDA-graph variant.
#pragma once
#include <memory>

#include "ops/op_backend.h"

namespace mtb {

std::unique_ptr<OpBackend> make_torch_op_backend();

}  // namespace mtb
