// Quantized synthetic models go through llama.cpp's own quantizer, so a q4_k_m file has exactly the
// per-tensor type mix a user's llama-quantize would give it.
#include <fmt/format.h>

#include <stdexcept>

#include "llama.h"
#include "models/gguf_synth.h"
#include "models/synth_layout.h"

namespace mtb {

void quantize_gguf(const std::filesystem::path& in, const std::filesystem::path& out, const std::string& precision,
                   int threads) {
  llama_model_quantize_params p = llama_model_quantize_default_params();
  p.ftype = quantized_ftype(precision);
  p.nthread = threads;
  quiet_llama_log();
  if (llama_model_quantize(in.c_str(), out.c_str(), &p) != 0)
    throw std::runtime_error(fmt::format("llama.cpp could not quantize {} to {}", in.string(), precision));
}

}  // namespace mtb
