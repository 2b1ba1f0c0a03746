// The op seam: how a framework runs one benchmarked operator (`mtb ops`). The harness
// (ops/op_harness.h, beside this seam) owns every clock, the verification and the roofline; a backend only prepares
// the op once and computes it on request. Adding a framework = an OpBackend in its folder + one line
// in backends/op_registry.cpp.
//
// Contract, for every backend (torch, ggml, and MLX to come):
//  - prepare() builds everything once per case (tensors on the device, a ggml graph, a captured CUDA
//    graph): `slots` copies of every input (weights included) at distinct addresses, all holding the
//    values given, so the harness can rotate among them and a cache-resident op is not flattered.
//  - run(slot) computes the op on input copy `slot` and returns only when the result is complete on
//    the device (synchronize).
//  - output() copies the result of the last run(0) to the host as float32, row-major in the op's
//    output shape (ops::op_output_shape).
//  - effective_inputs() returns any input the backend stores differently from what it was given
//    (quantized weights, dequantized back to float), so verification compares against the float64
//    reference on the values the backend actually used.
//  - Semantics of each op (eps, layouts, masks, nn.Transformer*Layer settings) are in ops/op.h.
#pragma once
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/device.h"
#include "ops/inputs.h"
#include "ops/op.h"

namespace mtb {

// One point of the `mtb ops` plan as a backend sees it.
struct OpRequest {
  ops::Op op;
  ops::OpShape shape;
  std::string device = "cpu";      // cpu, cuda, metal
  std::string dtype = "float32";   // float32, bfloat16, float16: activations and weights
  std::string variant = "eager";   // "eager", or one of the backend's compiled variants
  int threads = 0;                 // CPU threads; 0: the physical cores
};

class OpInstance {
 public:
  virtual ~OpInstance() = default;
  virtual void run(int slot) = 0;
  virtual std::vector<float> output() = 0;
  virtual std::vector<ops::HostTensor> effective_inputs() { return {}; }
  // What the backend did, recorded in the case's `extra`: kernels, attention path, threads, formats.
  virtual nlohmann::json facts() const { return nlohmann::json::object(); }
};

class OpBackend {
 public:
  virtual ~OpBackend() = default;
  virtual std::string name() const = 0;     // the -b value: "torch", "ggml", "mlx"
  virtual std::string version() const = 0;  // "libtorch 2.11.0", "ggml (llama.cpp de3ff81)"
  virtual std::vector<DeviceInfo> devices() const = 0;
  // Variants beyond "eager" this build can run on `device`: the ancestor's `compile` column
  // (torch: "cuda_graph" on CUDA; MLX: "compiled").
  virtual std::vector<std::string> compiled_variants(const std::string& device) const {
    (void)device;
    return {};
  }
  // Weight formats of matmul_quant this backend implements (ggml: q8_0, q4_0; torch: int8); the plan
  // pairs each backend with its own. Whether this build can run one is supports()'s answer.
  virtual std::vector<std::string> quant_formats() const { return {}; }
  // Yes, or no + the reason (recorded as a skip): a dtype, quant format or device this build lacks.
  virtual Support supports(const OpRequest& req) const = 0;
  // Throws Unsupported for what it finds it cannot do only while preparing; other errors fail the case.
  virtual std::unique_ptr<OpInstance> prepare(const OpRequest& req, const std::vector<ops::HostTensor>& inputs,
                                              int slots) = 0;
};

// The registry: every compiled-in op backend, in a fixed order.
const std::vector<std::unique_ptr<OpBackend>>& op_backends();
OpBackend* find_op_backend(const std::string& name);  // nullptr when not compiled in
std::vector<std::string> op_backend_names();

}  // namespace mtb
