#include "ops/reference.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace mtb::ops {
namespace {

using Vec = std::vector<double>;

// The first `n` values of an input (its batch element 0, or the whole tensor for weights), widened.
Vec first(const std::vector<HostTensor>& in, const std::string& name, size_t n = 0) {
  const auto& t = find_input(in, name).data;
  if (n == 0) n = t.size();
  return Vec(t.begin(), t.begin() + static_cast<std::ptrdiff_t>(n));
}

// y[rows, out] = x[rows, in] W[out, in]^T + b; four partial sums keep the loop vectorizable.
Vec linear(const Vec& x, int rows, int in, const Vec& w, int out, const Vec* b) {
  Vec y(size_t(rows) * out);
  for (int r = 0; r < rows; ++r) {
    const double* xr = &x[size_t(r) * in];
    for (int o = 0; o < out; ++o) {
      const double* wr = &w[size_t(o) * in];
      double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      int i = 0;
      for (; i + 4 <= in; i += 4) {
        a0 += xr[i] * wr[i];
        a1 += xr[i + 1] * wr[i + 1];
        a2 += xr[i + 2] * wr[i + 2];
        a3 += xr[i + 3] * wr[i + 3];
      }
      for (; i < in; ++i) a0 += xr[i] * wr[i];
      y[size_t(r) * out + o] = (a0 + a1) + (a2 + a3) + (b ? (*b)[o] : 0.0);
    }
  }
  return y;
}

Vec slice(const Vec& v, size_t from, size_t n) {
  return Vec(v.begin() + static_cast<std::ptrdiff_t>(from), v.begin() + static_cast<std::ptrdiff_t>(from + n));
}

Vec layer_norm(const Vec& x, int rows, int d, const Vec& w, const Vec& b, double eps) {
  Vec y(x.size());
  for (int r = 0; r < rows; ++r) {
    const double* xr = &x[size_t(r) * d];
    double mean = 0, var = 0;
    for (int i = 0; i < d; ++i) mean += xr[i];
    mean /= d;
    for (int i = 0; i < d; ++i) var += (xr[i] - mean) * (xr[i] - mean);
    const double inv = 1.0 / std::sqrt(var / d + eps);  // biased variance, as nn.LayerNorm
    for (int i = 0; i < d; ++i) y[size_t(r) * d + i] = (xr[i] - mean) * inv * w[i] + b[i];
  }
  return y;
}

void softmax_rows(double* v, int n) {
  const double m = *std::max_element(v, v + n);
  double sum = 0;
  for (int i = 0; i < n; ++i) sum += (v[i] = std::exp(v[i] - m));
  for (int i = 0; i < n; ++i) v[i] /= sum;
}

// One head: q, k, v [T, hd] with row stride `stride` (heads interleaved in a [T, h*hd] matrix).
void attention_head(const double* q, const double* k, const double* v, int T, int hd, int stride, bool causal,
                    double* out) {
  const double scale = 1.0 / std::sqrt(double(hd));
  Vec p(T);
  for (int i = 0; i < T; ++i) {
    const int keys = causal ? i + 1 : T;
    for (int j = 0; j < keys; ++j) {
      double s = 0;
      for (int c = 0; c < hd; ++c) s += q[size_t(i) * stride + c] * k[size_t(j) * stride + c];
      p[j] = s * scale;
    }
    softmax_rows(p.data(), keys);
    for (int c = 0; c < hd; ++c) out[size_t(i) * stride + c] = 0;
    for (int j = 0; j < keys; ++j)
      for (int c = 0; c < hd; ++c) out[size_t(i) * stride + c] += p[j] * v[size_t(j) * stride + c];
  }
}

// nn.MultiheadAttention(d, h) with queries from xq [T, d] and keys/values from xkv [T, d].
Vec mha(const Vec& xq, const Vec& xkv, int T, int d, int h, bool causal, const std::vector<HostTensor>& in,
        const std::string& prefix) {
  const Vec w = first(in, prefix + "in_proj_weight"), b = first(in, prefix + "in_proj_bias");
  const size_t dd = size_t(d) * d;
  const Vec wq = slice(w, 0, dd), wk = slice(w, dd, dd), wv = slice(w, 2 * dd, dd);
  const Vec bq = slice(b, 0, d), bk = slice(b, d, d), bv = slice(b, 2 * size_t(d), d);
  const Vec q = linear(xq, T, d, wq, d, &bq), k = linear(xkv, T, d, wk, d, &bk), v = linear(xkv, T, d, wv, d, &bv);
  Vec o(size_t(T) * d);
  const int hd = d / h;
  for (int head = 0; head < h; ++head)
    attention_head(&q[size_t(head) * hd], &k[size_t(head) * hd], &v[size_t(head) * hd], T, hd, d, causal,
                   &o[size_t(head) * hd]);
  const Vec wo = first(in, prefix + "out_proj_weight"), bo = first(in, prefix + "out_proj_bias");
  return linear(o, T, d, wo, d, &bo);
}

Vec add(Vec a, const Vec& b) {
  for (size_t i = 0; i < a.size(); ++i) a[i] += b[i];
  return a;
}

Vec feedforward(const Vec& x, int T, int d, const std::vector<HostTensor>& in) {
  const int f = kTransformerFfn;
  const Vec w1 = first(in, "linear1_weight"), b1 = first(in, "linear1_bias");
  const Vec w2 = first(in, "linear2_weight"), b2 = first(in, "linear2_bias");
  Vec hdn = linear(x, T, d, w1, f, &b1);
  for (auto& v : hdn) v = std::max(v, 0.0);
  return linear(hdn, T, f, w2, d, &b2);
}

Vec norm(const Vec& x, int T, int d, const std::vector<HostTensor>& in, const std::string& name) {
  return layer_norm(x, T, d, first(in, name + "_weight"), first(in, name + "_bias"), 1e-5);
}

}  // namespace

std::vector<double> reference(Op op, const OpShape& s, const std::vector<HostTensor>& in) {
  const int T = s.seq, d = s.feature, h = s.heads, hd = s.head_dim();
  const size_t row = size_t(T) * d;  // one batch element of a [B, T, d] (or [B, h, T, hd]) tensor
  switch (op) {
    case Op::layer_norm: return layer_norm(first(in, "x", row), T, d, first(in, "weight"), first(in, "bias"), 1e-5);
    case Op::rms_norm: {
      Vec x = first(in, "x", row);
      const Vec w = first(in, "weight");
      for (int r = 0; r < T; ++r) {
        double ss = 0;
        for (int i = 0; i < d; ++i) ss += x[size_t(r) * d + i] * x[size_t(r) * d + i];
        const double inv = 1.0 / std::sqrt(ss / d + 1e-6);
        for (int i = 0; i < d; ++i) x[size_t(r) * d + i] *= inv * w[i];
      }
      return x;
    }
    case Op::softmax: {
      Vec x = first(in, "x", row);
      for (int r = 0; r < T; ++r) softmax_rows(&x[size_t(r) * d], d);
      return x;
    }
    case Op::linear: {
      const Vec b = first(in, "bias");
      return linear(first(in, "x", row), T, d, first(in, "weight"), d, &b);
    }
    case Op::matmul_quant: return linear(first(in, "x", row), T, d, first(in, "weight"), d, nullptr);
    case Op::rope: {
      Vec x = first(in, "x", row);  // [T, h, hd]
      const int half = hd / 2;
      for (int t = 0; t < T; ++t)
        for (int head = 0; head < h; ++head) {
          double* v = &x[(size_t(t) * h + head) * hd];
          for (int i = 0; i < half; ++i) {
            const double theta = t * std::pow(10000.0, -2.0 * i / hd);
            const double x0 = v[i], x1 = v[i + half], c = std::cos(theta), sn = std::sin(theta);
            v[i] = x0 * c - x1 * sn;
            v[i + half] = x0 * sn + x1 * c;
          }
        }
      return x;
    }
    case Op::swiglu: {
      const int f = swiglu_ffn(d);
      const Vec x = first(in, "x", row);
      Vec g = linear(x, T, d, first(in, "w_gate"), f, nullptr);
      const Vec u = linear(x, T, d, first(in, "w_up"), f, nullptr);
      for (size_t i = 0; i < g.size(); ++i) g[i] = g[i] / (1.0 + std::exp(-g[i])) * u[i];
      return linear(g, T, f, first(in, "w_down"), d, nullptr);
    }
    case Op::sdpa: {
      const Vec q = first(in, "q", row), k = first(in, "k", row), v = first(in, "v", row);  // [h, T, hd]
      Vec o(row);
      for (int head = 0; head < h; ++head) {
        const size_t off = size_t(head) * T * hd;
        attention_head(&q[off], &k[off], &v[off], T, hd, hd, s.causal, &o[off]);
      }
      return o;
    }
    case Op::mhsa: {
      const Vec x = first(in, "x", row);
      return mha(x, x, T, d, h, s.causal, in, "");
    }
    case Op::encoder_layer: {
      const Vec x = first(in, "x", row);
      const Vec x1 = norm(add(x, mha(x, x, T, d, h, s.causal, in, "self_attn.")), T, d, in, "norm1");
      return norm(add(x1, feedforward(x1, T, d, in)), T, d, in, "norm2");
    }
    case Op::decoder_layer: {
      const Vec x = first(in, "x", row), mem = first(in, "memory", row);
      const Vec x1 = norm(add(x, mha(x, x, T, d, h, s.causal, in, "self_attn.")), T, d, in, "norm1");
      const Vec x2 = norm(add(x1, mha(x1, mem, T, d, h, false, in, "cross_attn.")), T, d, in, "norm2");
      return norm(add(x2, feedforward(x2, T, d, in)), T, d, in, "norm3");
    }
  }
  return {};
}

}  // namespace mtb::ops
