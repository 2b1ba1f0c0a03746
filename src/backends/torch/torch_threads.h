// How libtorch's CPU threads are split between aten's pool and the BLAS's: one place, for the LLM
// backend and the op backend alike.
#pragma once
#include <string>

namespace mtb::torch_backend {

// Gives `n` threads to whichever pool does the matrix products; returns what it did, for the record.
std::string set_cpu_threads(int n);

}  // namespace mtb::torch_backend
