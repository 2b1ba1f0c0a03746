// llama.cpp (ggml) as an mtb backend: GGUF files run as llama.cpp's own tools run them.
#pragma once
#include <memory>

#include "llm/backend.h"

namespace mtb {
std::unique_ptr<LlmBackend> make_llamacpp_backend();
}
