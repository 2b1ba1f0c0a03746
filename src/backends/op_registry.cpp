// The registration lines of `mtb ops`: one per compiled-in op backend.
#include "backends/llamacpp/ggml_ops.h"
#include "ops/op_backend.h"
#ifdef MTB_HAVE_TORCH
#include "backends/torch/torch_ops.h"
#endif
#ifdef MTB_HAVE_MLX
#include "backends/mlx/mlx_ops.h"
#endif

namespace mtb {

const std::vector<std::unique_ptr<OpBackend>>& op_backends() {
  static const auto list = [] {
    std::vector<std::unique_ptr<OpBackend>> v;
#ifdef MTB_HAVE_TORCH
    v.push_back(make_torch_op_backend());
#endif
    v.push_back(make_ggml_op_backend());
#ifdef MTB_HAVE_MLX
    v.push_back(make_mlx_op_backend());
#endif
    return v;
  }();
  return list;
}

OpBackend* find_op_backend(const std::string& name) {
  for (const auto& b : op_backends())
    if (b->name() == name) return b.get();
  return nullptr;
}

std::vector<std::string> op_backend_names() {
  std::vector<std::string> names;
  for (const auto& b : op_backends()) names.push_back(b->name());
  return names;
}

}  // namespace mtb
