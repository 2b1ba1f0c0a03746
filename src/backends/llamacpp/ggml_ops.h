// ggml as an `mtb ops` backend: each op a ggml graph built once, computed on a ggml-backend device.
#pragma once
#include <memory>

#include "ops/op_backend.h"

namespace mtb {

std::unique_ptr<OpBackend> make_ggml_op_backend();

}  // namespace mtb
