// Where the tensors of a synthetic model sit in its file and in what type. A float file holds them in
// plan order; a q8_0 or q4_0 file in the order and with the per-tensor types that llama.cpp's
// quantizer gives the bf16 file, asked of llama.cpp itself, so that a file written directly from
// the seeded values has the bytes of the bf16 file's quantization.
#pragma once
#include <string>
#include <vector>

#include "ggml.h"
#include "llama.h"
#include "models/synth_plan.h"

namespace mtb {

bool is_float_precision(const std::string& precision);    // f32, f16, bf16
ggml_type float_type(const std::string& precision);       // throws for any other
llama_ftype quantized_ftype(const std::string& precision);  // q8_0, q4_0, q4_k_m; throws for any other

// llama.cpp's log cut to its errors (MTB_VERBOSE: all of it): its quantizer and type choice report
// every tensor, which says nothing to an mtb user. Set once; safe from several threads.
void quiet_llama_log();

struct TensorSlot {
  size_t plan = 0;                  // index into tensor_plan()
  ggml_type type = GGML_TYPE_F32;   // as stored
  bool through_bf16 = false;        // held as bf16 by the bf16 file this one is quantized from: rounded first
};

// In file order. q4_k_m is refused: its mix depends on the model-size class that only llama.cpp's
// full loader knows (a 70B bumps attn_v), so it is made from the bf16 file.
std::vector<TensorSlot> synth_layout(const ModelSpec& spec, const std::vector<TensorPlan>& plan,
                                     const std::string& precision);

}  // namespace mtb
