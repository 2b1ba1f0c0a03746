#include "models/synth_layout.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <numeric>
#include <stdexcept>

#include "llama-ext.h"  // llama.cpp's own per-tensor type choice (llama_quant_compute_types)

namespace mtb {
namespace {

struct GgmlFree {
  void operator()(ggml_context* c) const { ggml_free(c); }
};

// The order llama_model_quantize writes tensors in: its loader's weights_map, keyed by
// (block number, name) with the tensors outside blocks first (llama_model_loader::weight_name_comparer).
bool quantizer_order(const std::string& a, const std::string& b) {
  int la = -1, lb = -1;
  std::sscanf(a.c_str(), "blk.%d.", &la);
  std::sscanf(b.c_str(), "blk.%d.", &lb);
  return la != lb ? la < lb : a < b;
}

void errors_only(ggml_log_level level, const char* text, void*) {
  if (level == GGML_LOG_LEVEL_ERROR || std::getenv("MTB_VERBOSE")) fputs(text, stderr);
}

}  // namespace

void quiet_llama_log() {
  static std::once_flag quiet;
  std::call_once(quiet, [] { llama_log_set(errors_only, nullptr); });
}

bool is_float_precision(const std::string& p) { return p == "f32" || p == "f16" || p == "bf16"; }

ggml_type float_type(const std::string& p) {
  if (p == "f32") return GGML_TYPE_F32;
  if (p == "f16") return GGML_TYPE_F16;
  if (p == "bf16") return GGML_TYPE_BF16;
  throw std::invalid_argument("precision " + p + " is not a float type");
}

llama_ftype quantized_ftype(const std::string& p) {
  if (p == "q8_0") return LLAMA_FTYPE_MOSTLY_Q8_0;
  if (p == "q4_0") return LLAMA_FTYPE_MOSTLY_Q4_0;
  if (p == "q4_k_m") return LLAMA_FTYPE_MOSTLY_Q4_K_M;
  throw std::invalid_argument("precision " + p + " is not a quantized type mtb makes");
}

std::vector<TensorSlot> synth_layout(const ModelSpec& spec, const std::vector<TensorPlan>& plan,
                                     const std::string& precision) {
  std::vector<TensorSlot> slots(plan.size());
  if (is_float_precision(precision)) {
    for (size_t i = 0; i < plan.size(); ++i) slots[i] = {i, plan[i].keep_f32 ? GGML_TYPE_F32 : float_type(precision), false};
    return slots;
  }
  if (precision != "q8_0" && precision != "q4_0")
    throw std::invalid_argument("synth_layout: " + precision + " is made from the bf16 file, not directly");

  std::vector<size_t> order(plan.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return quantizer_order(plan[a].name, plan[b].name); });

  // The tensors as the bf16 file holds them, for llama.cpp's rules to look at (names, shapes, types).
  ggml_init_params ip{ggml_tensor_overhead() * (plan.size() + 1), nullptr, true};
  std::unique_ptr<ggml_context, GgmlFree> meta(ggml_init(ip));
  std::vector<ggml_tensor*> tensors;
  for (size_t i : order) {
    const TensorPlan& tp = plan[i];
    const ggml_type source = tp.keep_f32 ? GGML_TYPE_F32 : GGML_TYPE_BF16;
    ggml_tensor* t = tp.ne.size() == 1 ? ggml_new_tensor_1d(meta.get(), source, tp.ne[0])
                                       : ggml_new_tensor_2d(meta.get(), source, tp.ne[0], tp.ne[1]);
    ggml_set_name(t, tp.name.c_str());
    tensors.push_back(t);
  }

  const llama_quant_model_desc desc{spec.arch.c_str(),
                                    static_cast<uint32_t>(spec.hidden),
                                    static_cast<uint32_t>(spec.ffn),
                                    static_cast<uint32_t>(spec.layers),
                                    static_cast<uint32_t>(spec.heads),
                                    static_cast<uint32_t>(spec.kv_heads),
                                    0,
                                    static_cast<uint32_t>(spec.head_dim),
                                    static_cast<uint32_t>(spec.head_dim)};
  std::unique_ptr<llama_model, decltype(&llama_model_free)> model(llama_quant_model_from_metadata(&desc),
                                                                  llama_model_free);
  if (!model) throw std::runtime_error(fmt::format("llama.cpp does not know the architecture {}", spec.arch));
  quiet_llama_log();
  llama_model_quantize_params params = llama_model_quantize_default_params();
  params.ftype = quantized_ftype(precision);
  std::unique_ptr<quantize_state_impl, decltype(&llama_quant_free)> qs(llama_quant_init(model.get(), &params),
                                                                      llama_quant_free);
  // As the quantizer does: tensors it may quantize get its choice, in file order (its per-layer
  // counters depend on it); the others (norms, biases, RoPE factors) are copied as they are.
  std::vector<ggml_tensor*> quantizable;
  std::vector<size_t> where;
  for (size_t k = 0; k < tensors.size(); ++k) {
    slots[k] = {order[k], tensors[k]->type, tensors[k]->type == GGML_TYPE_BF16};
    if (llama_quant_tensor_allows_quantization(qs.get(), tensors[k])) {
      quantizable.push_back(tensors[k]);
      where.push_back(k);
    }
  }
  std::vector<ggml_type> types(quantizable.size());
  llama_quant_compute_types(qs.get(), params.ftype, quantizable.data(), types.data(), quantizable.size());
  for (size_t j = 0; j < where.size(); ++j) slots[where[j]].type = types[j];
  return slots;
}

}  // namespace mtb
