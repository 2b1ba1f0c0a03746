#include "models/synth_plan.h"

#include <fmt/format.h>

namespace mtb {

int64_t TensorPlan::numel() const {
  int64_t n = 1;
  for (auto d : ne) n *= d;
  return n;
}

std::vector<TensorPlan> tensor_plan(const ModelSpec& s) {
  const int64_t h = s.hidden, q = int64_t(s.heads) * s.head_dim, kv = int64_t(s.kv_heads) * s.head_dim;
  std::vector<TensorPlan> t;
  auto add = [&](std::string name, std::vector<int64_t> ne, Fill fill = Fill::normal, bool f32 = false) {
    t.push_back({std::move(name), std::move(ne), fill, f32});
  };
  add("token_embd.weight", {h, s.vocab_size});
  if (s.rope_scaling.type == "llama3") add("rope_freqs.weight", {s.head_dim / 2}, Fill::rope_factors, true);
  for (int i = 0; i < s.layers; ++i) {
    const std::string b = fmt::format("blk.{}.", i);
    add(b + "attn_norm.weight", {h}, Fill::ones, true);
    add(b + "attn_q.weight", {h, q});
    add(b + "attn_k.weight", {h, kv});
    add(b + "attn_v.weight", {h, kv});
    if (s.qkv_bias) {
      add(b + "attn_q.bias", {q}, Fill::normal, true);
      add(b + "attn_k.bias", {kv}, Fill::normal, true);
      add(b + "attn_v.bias", {kv}, Fill::normal, true);
    }
    if (s.qk_norm) {
      add(b + "attn_q_norm.weight", {s.head_dim}, Fill::ones, true);
      add(b + "attn_k_norm.weight", {s.head_dim}, Fill::ones, true);
    }
    add(b + "attn_output.weight", {q, h});
    if (s.arch == "gemma3") add(b + "post_attention_norm.weight", {h}, Fill::ones, true);
    add(b + "ffn_norm.weight", {h}, Fill::ones, true);
    add(b + "ffn_gate.weight", {h, s.ffn});
    add(b + "ffn_up.weight", {h, s.ffn});
    add(b + "ffn_down.weight", {s.ffn, h});
    if (s.arch == "gemma3") add(b + "post_ffw_norm.weight", {h}, Fill::ones, true);
  }
  add("output_norm.weight", {h}, Fill::ones, true);
  if (!s.tied_embeddings) add("output.weight", {h, s.vocab_size});
  return t;
}

}  // namespace mtb
