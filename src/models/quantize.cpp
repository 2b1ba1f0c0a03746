// Quantized synthetic models go through llama.cpp's own quantizer, so a q4_k_m file has exactly the
// per-tensor type mix a user's llama-quantize would give it.
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <stdexcept>

#include "llama.h"
#include "models/gguf_synth.h"

namespace mtb {
namespace {
// llama_model_quantize reports every tensor; only its errors matter to an mtb user.
void errors_only(ggml_log_level level, const char* text, void*) {
  if (level == GGML_LOG_LEVEL_ERROR || std::getenv("MTB_VERBOSE")) fputs(text, stderr);
}
}  // namespace

void quantize_gguf(const std::filesystem::path& in, const std::filesystem::path& out, const std::string& precision,
                   int threads) {
  llama_model_quantize_params p = llama_model_quantize_default_params();
  if (precision == "q8_0") p.ftype = LLAMA_FTYPE_MOSTLY_Q8_0;
  else if (precision == "q4_0") p.ftype = LLAMA_FTYPE_MOSTLY_Q4_0;
  else if (precision == "q4_k_m") p.ftype = LLAMA_FTYPE_MOSTLY_Q4_K_M;
  else throw std::invalid_argument("quantize_gguf: unknown quantized precision " + precision);
  p.nthread = threads;
  static std::once_flag quiet;  // quantizations may run side by side: the logger is set once
  std::call_once(quiet, [] { llama_log_set(errors_only, nullptr); });
  if (llama_model_quantize(in.c_str(), out.c_str(), &p) != 0)
    throw std::runtime_error(fmt::format("llama.cpp could not quantize {} to {}", in.string(), precision));
}

}  // namespace mtb
