// What each benchmarked operator is, described once for every backend: its name, which axes it
// uses, its input tensors (names and shapes), its output shape, FLOPs and the minimum bytes it must
// move. No framework header here: backends (src/backends/*/) read these descriptions.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace mtb::ops {

// The operators, with the semantics every backend must follow (tensor shapes are row-major,
// PyTorch order; B batch, T sequence, d feature, h heads, hd = d / h):
//   layer_norm    nn.LayerNorm(d), eps 1e-5, affine                      x[B,T,d] -> [B,T,d]
//   rms_norm      RMSNorm (Llama's), eps 1e-6, weight                    x[B,T,d] -> [B,T,d]
//   softmax       softmax over the last dimension                       x[B,T,d] -> [B,T,d]
//   linear        nn.Linear(d, d) with bias: y = x W^T + b               x[B,T,d] -> [B,T,d]
//   matmul_quant  y = x W^T, W [d,d] stored in the case's quant format   x[B,T,d] -> [B,T,d]
//   rope          rotary embedding, NeoX/HF halves, theta 1e4, pos 0..T-1 x[B,T,h,hd] -> [B,T,h,hd]
//   swiglu        Llama MLP: W_down (silu(W_gate x) * W_up x), ffn = swiglu_ffn(d)
//   sdpa          softmax(q k^T / sqrt(hd) [+ causal mask]) v           q,k,v[B,h,T,hd] -> [B,h,T,hd]
//   mhsa          nn.MultiheadAttention(d, h, bias), self-attention, batch_first
//   encoder_layer nn.TransformerEncoderLayer(d, h, dim_feedforward=2048, dropout=0, relu,
//                 norm_first=False, eps 1e-5, batch_first); the mask applies to self-attention
//   decoder_layer nn.TransformerDecoderLayer(same); memory [B,T,d] is a second seeded input; the
//                 mask applies to self-attention, cross-attention is unmasked
enum class Op { layer_norm, rms_norm, softmax, linear, matmul_quant, rope, swiglu, sdpa, mhsa, encoder_layer, decoder_layer };

const std::vector<Op>& all_ops();
std::string op_name(Op op);        // "layer_norm"
Op op_from_name(const std::string& name);  // throws listing the names
bool is_op_name(const std::string& name);

bool uses_heads(Op op);  // rope and the attention ops
bool uses_mask(Op op);   // the attention ops
bool uses_quant(Op op);  // matmul_quant

inline constexpr int kTransformerFfn = 2048;  // nn.Transformer*Layer's default dim_feedforward
int swiglu_ffn(int d);                        // 8/3 d rounded up to a multiple of 64 (768 -> 2048)

// One point of an op's shape axes.
struct OpShape {
  int batch = 1, seq = 64, feature = 768, heads = 1;
  bool causal = false;
  std::string quant;  // weight format of matmul_quant: q8_0, q4_0 (ggml), int8, int4 (torch); "" otherwise
  int head_dim() const { return feature / heads; }
};

struct TensorDesc {
  std::string name;            // "x", "weight", "in_proj_weight", ...: backends find inputs by name
  std::vector<int64_t> shape;  // row-major, PyTorch order
  bool weight = false;         // a parameter (stored at the case's dtype or quant format), not an activation
  int64_t numel() const;
};

// The ancestor's display name: "LayerNorm(dim=768)", "MHSA(dim=768, num_heads=8, mask=causal)".
std::string op_title(Op op, const OpShape& s);

std::vector<TensorDesc> op_inputs(Op op, const OpShape& s);
std::vector<int64_t> op_output_shape(Op op, const OpShape& s);

// Arithmetic of one call (multiply-add = 2 FLOPs; exp, division and rsqrt count 1; a causal mask
// counts only the attended half). For roofline percentages, not a claim about any kernel.
double op_flops(Op op, const OpShape& s);
// Bytes an ideal implementation must move: every input read once (weights at their storage size,
// `elem_bytes` per activation/weight element or the quant format's size) and the output written once.
double op_min_bytes(Op op, const OpShape& s, double elem_bytes);

// Bytes per element of a weight stored in `quant` (q8_0 34/32, q4_0 18/32, int8 1 + per-row scale,
// int4 1/2 + a bf16 scale and zero per 128).
double quant_bytes_per_weight(const std::string& quant, int64_t row_len);

int dtype_bytes(const std::string& dtype);  // float32 4, bfloat16 2, float16 2; throws otherwise

}  // namespace mtb::ops
