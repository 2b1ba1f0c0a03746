// Writes test-backend-ops --test-file lines (op, type, ne, op_params, sources) for the ggml nodes of
// three `mtb ops` cases, so test-backend-ops times exactly the shapes mtb times. Compiled and run by
// bench/ops_vs_test_backend_ops.sh against the same pinned ggml; not part of mtb.
//   usage: tbo_cases BATCH SEQ FEATURE
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>

#include "ggml.h"

namespace {

struct Src {
  ggml_type type;
  int64_t ne[4];
};

int32_t bits(float f) {
  int32_t i;
  std::memcpy(&i, &f, 4);
  return i;
}

// One line: op type ne0..3 n_params params... n_src [type ne0..3 nb0..3]... name
void line(ggml_op op, ggml_type type, const int64_t ne[4], int n_params, const int32_t* params, int n_src,
          const Src* src, const char* name) {
  std::printf("%d %d %lld %lld %lld %lld %d", int(op), int(type), (long long)ne[0], (long long)ne[1], (long long)ne[2],
              (long long)ne[3], n_params);
  for (int i = 0; i < n_params; ++i) std::printf(" %d", params[i]);
  std::printf(" %d", n_src);
  for (int s = 0; s < n_src; ++s) {
    const Src& x = src[s];
    size_t nb[4];
    nb[0] = ggml_type_size(x.type);
    nb[1] = ggml_row_size(x.type, x.ne[0]);
    nb[2] = nb[1] * size_t(x.ne[1]);
    nb[3] = nb[2] * size_t(x.ne[2]);
    std::printf(" %d %lld %lld %lld %lld %zu %zu %zu %zu", int(x.type), (long long)x.ne[0], (long long)x.ne[1],
                (long long)x.ne[2], (long long)x.ne[3], nb[0], nb[1], nb[2], nb[3]);
  }
  std::printf(" %s\n", name);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s BATCH SEQ FEATURE\n", argv[0]);
    return 1;
  }
  const int64_t B = std::atoll(argv[1]), T = std::atoll(argv[2]), d = std::atoll(argv[3]);
  const int64_t x[4] = {d, T, B, 1};
  // matmul_quant q8_0 and q4_0: one MUL_MAT node, W [d, d] times x [d, T, B].
  for (ggml_type w : {GGML_TYPE_Q8_0, GGML_TYPE_Q4_0}) {
    const Src s[2] = {{w, {d, d, 1, 1}}, {GGML_TYPE_F32, {d, T, B, 1}}};
    line(GGML_OP_MUL_MAT, GGML_TYPE_F32, x, 0, nullptr, 2, s, w == GGML_TYPE_Q8_0 ? "mtb_matmul_q8_0" : "mtb_matmul_q4_0");
  }
  // softmax: one SOFT_MAX node (scale 1, no mask, max_bias 0).
  {
    const int32_t p[2] = {bits(1.0f), bits(0.0f)};
    const Src s[1] = {{GGML_TYPE_F32, {d, T, B, 1}}};
    line(GGML_OP_SOFT_MAX, GGML_TYPE_F32, x, 2, p, 1, s, "mtb_softmax");
  }
  // rms_norm: RMS_NORM (eps 1e-6) then MUL by the weight [d]: mtb's graph is these two nodes.
  {
    const int32_t p[1] = {bits(1e-6f)};
    const Src s[1] = {{GGML_TYPE_F32, {d, T, B, 1}}};
    line(GGML_OP_RMS_NORM, GGML_TYPE_F32, x, 1, p, 1, s, "mtb_rms_norm");
    const Src m[2] = {{GGML_TYPE_F32, {d, T, B, 1}}, {GGML_TYPE_F32, {d, 1, 1, 1}}};
    line(GGML_OP_MUL, GGML_TYPE_F32, x, 0, nullptr, 2, m, "mtb_rms_norm_weight");
  }
  return 0;
}
