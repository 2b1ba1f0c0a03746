// libtorch (PyTorch's C++ API) as an mtb backend: the zoo's architectures in aten ops, weights read
// from the same GGUF files llama.cpp runs (or a Hugging Face checkpoint folder).
#pragma once
#include <memory>

#include "llm/backend.h"

namespace mtb {
std::unique_ptr<LlmBackend> make_torch_backend();
}
