// Any OpenAI-compatible, Ollama or llama.cpp server as an mtb backend, measured from the client side
// with streaming: prefill returns at the first streamed token, each step at the next one.
#pragma once
#include <memory>

#include "llm/backend.h"

namespace mtb {
std::unique_ptr<LlmBackend> make_server_backend();
}
