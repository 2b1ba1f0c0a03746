#include "backends/torch/torch_threads.h"

#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <dlfcn.h>
#include <fmt/format.h>

namespace mtb::torch_backend {

// Where libtorch's BLAS is OpenBLAS with its own thread pool (Debian's libtorch), aten's OpenMP
// pool and OpenBLAS's pool both spin on the same cores between calls: on 2 cores, qwen-2.5-0.5b f32
// decoded at 6.8 t/s with 2 aten threads and at 24.2 with 1 (OMP_WAIT_POLICY=passive gave the same
// 24.3). So there the matrix products get the threads (OpenBLAS's pool) and aten's own ops run on
// one; elsewhere (MKL or another BLAS on aten's OpenMP pool) aten gets them all. Returns what it did.
std::string set_cpu_threads(int n) {
  // Debian's libtorch says BLAS_INFO=generic and reaches OpenBLAS through libblas.so.3; pip torch's
  // MKL runs on aten's own pool.
  const bool openblas = at::show_config().find("BLAS_INFO=mkl") == std::string::npos;
  using SetThreads = void (*)(int);
  auto set_blas = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (openblas && set_blas) {
    set_blas(n);
    at::set_num_threads(1);
    return fmt::format("OpenBLAS pool {} threads for matrix products, aten intra-op 1 (two spinning pools on the "
                       "same cores cost 3.5x)", n);
  }
  at::set_num_threads(n);
  return fmt::format("aten intra-op {} threads", n);
}

}  // namespace mtb::torch_backend
