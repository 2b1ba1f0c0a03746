// The registration lines: one per compiled-in backend.
#include "llm/backend.h"
#include "backends/llamacpp/llamacpp_backend.h"
#include "backends/server/server_backend.h"
#ifdef MTB_HAVE_TORCH
#include "backends/torch/torch_backend.h"
#endif
#ifdef MTB_HAVE_MLX
#include "backends/mlx/mlx_backend.h"
#endif

namespace mtb {

const std::vector<std::unique_ptr<LlmBackend>>& llm_backends() {
  static const auto list = [] {
    std::vector<std::unique_ptr<LlmBackend>> v;
    v.push_back(make_llamacpp_backend());
    v.push_back(make_server_backend());
#ifdef MTB_HAVE_TORCH
    v.push_back(make_torch_backend());
#endif
#ifdef MTB_HAVE_MLX
    v.push_back(make_mlx_backend());
#endif
    return v;
  }();
  return list;
}

LlmBackend* find_llm_backend(const std::string& name) {
  for (const auto& b : llm_backends())
    if (b->name() == name) return b.get();
  return nullptr;
}

std::vector<std::string> llm_backend_names() {
  std::vector<std::string> names;
  for (const auto& b : llm_backends()) names.push_back(b->name());
  return names;
}

// The default -b of `mtb llm` and `mtb quality`: every framework linked into this build (llama.cpp,
// torch when built, MLX when found), so the first table compares frameworks on the same model,
// precisions and tokens. A server is not in-process: it is measured when asked for.
std::vector<std::string> in_process_llm_backend_names() {
  std::vector<std::string> names;
  for (const auto& b : llm_backends())
    if (!b->serves_requests()) names.push_back(b->name());
  return names;
}

}  // namespace mtb
