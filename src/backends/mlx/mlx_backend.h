// MLX (Apple's array framework, C++ API) as an mtb backend: the zoo's architectures in MLX ops and
// mx::fast kernels, weights read from the same GGUF files llama.cpp runs (or a Hugging Face
// checkpoint folder), on MLX's CPU or its GPU (Metal on a Mac, CUDA where MLX was built with it).
#pragma once
#include <memory>

#include "llm/backend.h"

namespace mtb {
std::unique_ptr<LlmBackend> make_mlx_backend();
}
