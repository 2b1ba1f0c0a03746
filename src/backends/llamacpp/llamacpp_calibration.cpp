// Ceilings of a ggml device, measured through ggml: a large device-to-device tensor copy (memory
// bandwidth; ggml_backend_tensor_copy is cudaMemcpy on CUDA, memcpy on the CPU) and an f16 x f32
// matrix product (what a model's prefill runs) as a ggml graph. The harness times them
// (core/calibration.cpp).
#include <fmt/format.h>

#include <memory>
#include <stdexcept>
#include <vector>

#include "backends/llamacpp/llamacpp_internal.h"
#include "core/rng.h"
#include "ggml-backend.h"
#include "ggml-cpu.h"
#include "ggml.h"

namespace mtb {
namespace {

struct GgmlBench {
  ggml_backend_t backend = nullptr;
  ggml_context* ctx = nullptr;
  ggml_backend_buffer_t buffer = nullptr;
  ggml_tensor* src = nullptr;
  ggml_tensor* dst = nullptr;
  ggml_cgraph* matmul = nullptr;
  ~GgmlBench() {
    if (buffer) ggml_backend_buffer_free(buffer);
    if (ctx) ggml_free(ctx);
    if (backend) ggml_backend_free(backend);
  }
  void run(ggml_cgraph* g) const {
    if (ggml_backend_graph_compute(backend, g) != GGML_STATUS_SUCCESS) throw std::runtime_error("ggml graph failed");
    ggml_backend_synchronize(backend);
  }
};

// Random values, never zeros: a kernel can run faster on zeros than on real data.
void fill_random(ggml_tensor* t, uint64_t seed) {
  const int64_t n = ggml_nelements(t);
  std::vector<float> v(static_cast<size_t>(n));
  SplitMix64 rng(seed);
  for (auto& x : v) x = irwin_hall_normal(rng.next());
  if (t->type == GGML_TYPE_F16) {
    std::vector<ggml_fp16_t> h(v.size());
    ggml_fp32_to_fp16_row(v.data(), h.data(), n);
    ggml_backend_tensor_set(t, h.data(), 0, ggml_nbytes(t));
  } else {
    ggml_backend_tensor_set(t, v.data(), 0, ggml_nbytes(t));
  }
}

}  // namespace

std::optional<CalibrationKernels> ggml_calibration_kernels(const std::string& device, int threads) {
  ggml_backend_dev_t dev = device == "cpu" ? ggml_backend_dev_by_type(GGML_BACKEND_DEVICE_TYPE_CPU) : nullptr;
  if (device != "cpu") {
    const auto gpus = gpu_devices(device);
    if (gpus.empty()) return std::nullopt;
    dev = gpus[0];
  }
  if (!dev) return std::nullopt;
  auto b = std::make_shared<GgmlBench>();
  b->backend = ggml_backend_dev_init(dev, nullptr);
  if (!b->backend) throw std::runtime_error(fmt::format("cannot start ggml backend for {}", device));
  const bool cpu = device == "cpu";
  if (cpu) ggml_backend_cpu_set_n_threads(b->backend, threads);

  // Sizes well beyond the caches: 1 GiB per copy operand on a GPU (50 MB L2), 256 MiB on a CPU.
  const int64_t copy_elems = (cpu ? 256ll << 20 : 1ll << 30) / 4;
  const int64_t mm = cpu ? 1024 : 8192;
  ggml_init_params ip{8 * ggml_tensor_overhead() + 2 * ggml_graph_overhead(), nullptr, true};
  b->ctx = ggml_init(ip);
  ggml_tensor* src = ggml_new_tensor_1d(b->ctx, GGML_TYPE_F32, copy_elems);
  ggml_tensor* dst = ggml_new_tensor_1d(b->ctx, GGML_TYPE_F32, copy_elems);
  ggml_tensor* w = ggml_new_tensor_2d(b->ctx, GGML_TYPE_F16, mm, mm);
  ggml_tensor* x = ggml_new_tensor_2d(b->ctx, GGML_TYPE_F32, mm, mm);
  ggml_tensor* prod = ggml_mul_mat(b->ctx, w, x);
  b->buffer = ggml_backend_alloc_ctx_tensors(b->ctx, b->backend);
  if (!b->buffer) throw std::runtime_error(fmt::format("not enough memory on {} for calibration", device));
  fill_random(src, 1);
  fill_random(w, 2);
  fill_random(x, 3);
  b->src = src;
  b->dst = dst;
  b->matmul = ggml_new_graph(b->ctx);
  ggml_build_forward_expand(b->matmul, prod);

  CalibrationKernels k;
  k.device_description = ggml_backend_dev_description(dev);
  k.copy = [b] {
    ggml_backend_tensor_copy(b->src, b->dst);
    ggml_backend_synchronize(b->backend);
  };
  k.copy_bytes = 2 * static_cast<uint64_t>(copy_elems) * 4;  // read + written
  k.matmul = [b] { b->run(b->matmul); };
  k.matmul_flops = 2.0 * double(mm) * double(mm) * double(mm);
  k.matmul_desc = fmt::format("ggml mul_mat f16 x f32, {}^3", mm);
  return k;
}

}  // namespace mtb
