#include "ops/op.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <stdexcept>

namespace mtb::ops {
namespace {

using Shape = std::vector<int64_t>;

struct OpName {
  Op op;
  const char* name;
};
constexpr OpName kNames[] = {
    {Op::layer_norm, "layer_norm"}, {Op::rms_norm, "rms_norm"},         {Op::softmax, "softmax"},
    {Op::linear, "linear"},         {Op::matmul_quant, "matmul_quant"}, {Op::rope, "rope"},
    {Op::swiglu, "swiglu"},         {Op::sdpa, "sdpa"},                 {Op::mhsa, "mhsa"},
    {Op::encoder_layer, "encoder_layer"}, {Op::decoder_layer, "decoder_layer"},
};

// nn.MultiheadAttention's parameters, with a prefix per attention block of a layer.
void attention_weights(std::vector<TensorDesc>& v, const std::string& prefix, int64_t d) {
  v.push_back({prefix + "in_proj_weight", {3 * d, d}, true});
  v.push_back({prefix + "in_proj_bias", {3 * d}, true});
  v.push_back({prefix + "out_proj_weight", {d, d}, true});
  v.push_back({prefix + "out_proj_bias", {d}, true});
}

void feedforward_weights(std::vector<TensorDesc>& v, int64_t d, int64_t f) {
  v.push_back({"linear1_weight", {f, d}, true});
  v.push_back({"linear1_bias", {f}, true});
  v.push_back({"linear2_weight", {d, f}, true});
  v.push_back({"linear2_bias", {d}, true});
}

void norm_weights(std::vector<TensorDesc>& v, const std::string& name, int64_t d) {
  v.push_back({name + "_weight", {d}, true});
  v.push_back({name + "_bias", {d}, true});
}

// Attention core per batch element: QK^T and PV (2 FLOPs per multiply-add each) plus softmax
// (about 5 per score: max, subtract, exp, sum, divide) over the attended pairs.
double attention_core_flops(const OpShape& s) {
  const double t = s.seq;
  const double pairs = s.causal ? t * (t + 1) / 2 : t * t;
  return s.batch * s.heads * pairs * (4.0 * s.head_dim() + 5.0);
}

// nn.MultiheadAttention: in-projection (3 d x d), attention, out-projection, biases.
double mhsa_flops(const OpShape& s, bool cross) {
  (void)cross;  // cross-attention projects the same sizes (memory has T rows too)
  const double rows = double(s.batch) * s.seq, d = s.feature;
  return rows * (2 * d * 3 * d + 3 * d) + attention_core_flops(s) + rows * (2 * d * d + d);
}

double layer_norm_flops(const OpShape& s) { return 8.0 * s.batch * s.seq * s.feature; }

double feedforward_flops(const OpShape& s) {
  const double rows = double(s.batch) * s.seq, d = s.feature, f = kTransformerFfn;
  return rows * (2 * d * f + f + f /*relu*/ + 2 * f * d + d);
}

double weight_bytes(const std::vector<TensorDesc>& in, double elem_bytes) {
  double b = 0;
  for (const auto& t : in)
    if (t.weight) b += double(t.numel()) * elem_bytes;
  return b;
}

}  // namespace

int64_t TensorDesc::numel() const {
  int64_t n = 1;
  for (int64_t x : shape) n *= x;
  return n;
}

const std::vector<Op>& all_ops() {
  static const std::vector<Op> v = [] {
    std::vector<Op> out;
    for (const auto& n : kNames) out.push_back(n.op);
    return out;
  }();
  return v;
}

std::string op_name(Op op) {
  for (const auto& n : kNames)
    if (n.op == op) return n.name;
  return "?";
}

Op op_from_name(const std::string& name) {
  for (const auto& n : kNames)
    if (name == n.name) return n.op;
  std::vector<std::string> names;
  for (const auto& n : kNames) names.emplace_back(n.name);
  throw std::runtime_error(fmt::format("unknown op '{}' (choose from {})", name, fmt::join(names, ", ")));
}

bool is_op_name(const std::string& name) {
  for (const auto& n : kNames)
    if (name == n.name) return true;
  return false;
}

bool uses_heads(Op op) {
  return op == Op::rope || op == Op::sdpa || op == Op::mhsa || op == Op::encoder_layer || op == Op::decoder_layer;
}
bool uses_mask(Op op) { return op == Op::sdpa || op == Op::mhsa || op == Op::encoder_layer || op == Op::decoder_layer; }
bool uses_quant(Op op) { return op == Op::matmul_quant; }

int swiglu_ffn(int d) { return (8 * d / 3 + 63) / 64 * 64; }

std::string op_title(Op op, const OpShape& s) {
  const int d = s.feature;
  const std::string attn = fmt::format("dim={}, num_heads={}, mask={}", d, s.heads, s.causal ? "causal" : "None");
  switch (op) {
    case Op::layer_norm: return fmt::format("LayerNorm(dim={})", d);
    case Op::rms_norm: return fmt::format("RMSNorm(dim={})", d);
    case Op::softmax: return fmt::format("Softmax(dim={})", d);
    case Op::linear: return fmt::format("Linear(in={}, out={})", d, d);
    case Op::matmul_quant: return fmt::format("QuantMatmul(in={}, out={}, type={})", d, d, s.quant);
    case Op::rope: return fmt::format("RoPE(dim={}, num_heads={})", d, s.heads);
    case Op::swiglu: return fmt::format("SwiGLU(dim={}, ffn={})", d, swiglu_ffn(d));
    case Op::sdpa: return fmt::format("ScaledDotProductAttention({})", attn);
    case Op::mhsa: return fmt::format("MHSA({})", attn);
    case Op::encoder_layer: return fmt::format("TransformerEncoderLayer({})", attn);
    case Op::decoder_layer: return fmt::format("TransformerDecoderLayer({})", attn);
  }
  return "?";
}

std::vector<TensorDesc> op_inputs(Op op, const OpShape& s) {
  const int64_t B = s.batch, T = s.seq, d = s.feature, h = s.heads, hd = s.head_dim();
  const Shape x{B, T, d};
  std::vector<TensorDesc> v;
  switch (op) {
    case Op::layer_norm: v = {{"x", x}, {"weight", {d}, true}, {"bias", {d}, true}}; break;
    case Op::rms_norm: v = {{"x", x}, {"weight", {d}, true}}; break;
    case Op::softmax: v = {{"x", x}}; break;
    case Op::linear: v = {{"x", x}, {"weight", {d, d}, true}, {"bias", {d}, true}}; break;
    case Op::matmul_quant: v = {{"x", x}, {"weight", {d, d}, true}}; break;
    case Op::rope: v = {{"x", {B, T, h, hd}}}; break;
    case Op::swiglu: {
      const int64_t f = swiglu_ffn(int(d));
      v = {{"x", x}, {"w_gate", {f, d}, true}, {"w_up", {f, d}, true}, {"w_down", {d, f}, true}};
      break;
    }
    case Op::sdpa: v = {{"q", {B, h, T, hd}}, {"k", {B, h, T, hd}}, {"v", {B, h, T, hd}}}; break;
    case Op::mhsa:
      v = {{"x", x}};
      attention_weights(v, "", d);
      break;
    case Op::encoder_layer:
      v = {{"x", x}};
      attention_weights(v, "self_attn.", d);
      feedforward_weights(v, d, kTransformerFfn);
      norm_weights(v, "norm1", d);
      norm_weights(v, "norm2", d);
      break;
    case Op::decoder_layer:
      v = {{"x", x}, {"memory", x}};
      attention_weights(v, "self_attn.", d);
      attention_weights(v, "cross_attn.", d);
      feedforward_weights(v, d, kTransformerFfn);
      norm_weights(v, "norm1", d);
      norm_weights(v, "norm2", d);
      norm_weights(v, "norm3", d);
      break;
  }
  if (d % h != 0 && uses_heads(op))
    throw std::runtime_error(fmt::format("feature {} is not a multiple of heads {}", d, h));
  return v;
}

std::vector<int64_t> op_output_shape(Op op, const OpShape& s) {
  if (op == Op::rope) return {s.batch, s.seq, s.heads, s.head_dim()};
  if (op == Op::sdpa) return {s.batch, s.heads, s.seq, s.head_dim()};
  return {s.batch, s.seq, s.feature};
}

double op_flops(Op op, const OpShape& s) {
  const double rows = double(s.batch) * s.seq, d = s.feature, n = rows * d;
  switch (op) {
    case Op::layer_norm: return layer_norm_flops(s);
    case Op::rms_norm: return 4 * n;      // square, sum, scale by rsqrt, times weight
    case Op::softmax: return 5 * n;       // max, subtract, exp, sum, divide
    case Op::linear: return rows * (2 * d * d + d);
    case Op::matmul_quant: return rows * 2 * d * d;
    case Op::rope: return 3 * n;          // x cos + rotate_half(x) sin
    case Op::swiglu: {
      const double f = swiglu_ffn(s.feature);
      return rows * (3 * 2 * d * f + 5 * f);  // three products; silu (4) and the gating multiply
    }
    case Op::sdpa: return attention_core_flops(s);
    case Op::mhsa: return mhsa_flops(s, false);
    case Op::encoder_layer: return mhsa_flops(s, false) + feedforward_flops(s) + 2 * layer_norm_flops(s) + 2 * n;
    case Op::decoder_layer:
      return mhsa_flops(s, false) + mhsa_flops(s, true) + feedforward_flops(s) + 3 * layer_norm_flops(s) + 3 * n;
  }
  return 0;
}

double quant_bytes_per_weight(const std::string& quant, int64_t row_len) {
  if (quant == "q8_0") return 34.0 / 32;  // 32 int8 + an f16 scale per block
  if (quant == "q4_0") return 18.0 / 32;  // 32 nibbles + an f16 scale per block
  if (quant == "int8") return 1.0 + 4.0 / double(row_len);  // int8 + one float scale per output row
  if (quant == "int4") return 0.5 + 4.0 / 128;  // 4-bit codes + a bf16 scale and zero per 128 inputs
  throw std::runtime_error(fmt::format("unknown quant format '{}' (q8_0, q4_0, int8, int4)", quant));
}

double op_min_bytes(Op op, const OpShape& s, double elem_bytes) {
  const auto in = op_inputs(op, s);
  double act = 0;
  for (const auto& t : in)
    if (!t.weight) act += double(t.numel());
  double out = 1;
  for (int64_t x : op_output_shape(op, s)) out *= double(x);
  double weights = weight_bytes(in, elem_bytes);
  if (op == Op::matmul_quant) weights = double(s.feature) * s.feature * quant_bytes_per_weight(s.quant, s.feature);
  // RoPE must also read its cos/sin tables: T x hd each.
  if (op == Op::rope) act += 2.0 * s.seq * s.head_dim();
  return (act + out) * elem_bytes + weights;
}

int dtype_bytes(const std::string& dtype) {
  if (dtype == "float32") return 4;
  if (dtype == "bfloat16" || dtype == "float16") return 2;
  throw std::runtime_error(fmt::format("unknown dtype '{}' (float32, bfloat16, float16)", dtype));
}

}  // namespace mtb::ops
