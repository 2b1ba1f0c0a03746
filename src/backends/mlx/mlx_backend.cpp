// The session runs the Decoder as mlx-lm's generate loop does: the prompt in one forward pass, then
// one token per step, greedy argmax in the graph, and mx::eval of the chosen ids with the KV cache
// before the ids are read on the host. MLX is lazy: that eval is where the work happens, so every
// call returns only when its result is computed.
#include "backends/mlx/mlx_backend.h"

#include <fmt/format.h>

#include "backends/mlx/mlx_device.h"
#include "backends/mlx/mlx_model.h"
#include "core/system_info.h"

namespace mtb {
namespace {
namespace mx = mlx::core;
using mlx_backend::Decoder;
using mlx_backend::ModelOptions;

// How a precision runs in MLX: the activation dtype, and the affine quantization bits (0: dense).
// q8_0 / q4_0 become MLX's own 8- and 4-bit affine formats at mlx-lm's group size 64: the same
// memory class as llama.cpp's blocks, MLX's kernels (weights are requantized from the file's values).
struct Plan {
  mx::Dtype dtype = mx::float32;
  int bits = 0;
};

Plan plan_for(const std::string& precision, const std::string& device) {
  if (precision == "f32") return {mx::float32, 0};
  if (precision == "f16") return {mx::float16, 0};
  if (precision == "bf16") return {mx::bfloat16, 0};
  // Activations of quantized models: float32 on the CPU (as the torch backend), bfloat16 on a GPU
  // (mlx-lm runs the checkpoint's dtype, bf16 for the zoo's models).
  const mx::Dtype act = device == "cpu" ? mx::float32 : mx::bfloat16;
  if (precision == "q8_0") return {act, 8};
  if (precision == "q4_0") return {act, 4};
  if (precision == "q4_k_m" || precision == "q4_k")
    throw Unsupported("mlx: llama.cpp's k-quant mix has no MLX equivalent (q4_0 runs as MLX's 4-bit affine)");
  throw Unsupported(fmt::format("mlx backend: precision '{}' has no MLX equivalent", precision));
}

std::string dtype_name(mx::Dtype t) {
  return t == mx::float32 ? "float32" : t == mx::float16 ? "float16" : t == mx::bfloat16 ? "bfloat16" : "other";
}

mx::Device device_or_throw(const std::string& name) {
  std::string why;
  if (auto d = mlx_backend::mlx_device(name, &why)) return *d;
  throw Unsupported(why);
}

// Whether this MLX runs the plan's kernels on the device: a tiny matmul, norm and (quantized)
// product, so a missing kernel is a recorded skip rather than a failure mid-run.
std::string kernel_probe(const Plan& p, const mx::Device& d) {
  try {
    auto x = mx::ones({2, 64}, p.dtype, d), w = mx::ones({8, 64}, p.dtype, d);
    auto y = mx::fast::rms_norm(mx::matmul(x, mx::transpose(w, d), d), std::nullopt, 1e-6f, d);
    if (p.bits) {
      auto q = mx::quantize(mx::ones({64, 64}, p.dtype, d), 64, p.bits, "affine", std::nullopt, d);
      y = mx::add(mx::sum(y, d), mx::sum(mx::quantized_matmul(x, q[0], q[1], q[2], true, 64, p.bits, "affine", d), d), d);
    }
    mx::eval(y);
  } catch (const std::exception& e) {
    return fmt::format("MLX {} cannot run {}{} on this device: {}", mx::version(), dtype_name(p.dtype),
                       p.bits ? fmt::format(" with {}-bit weights", p.bits) : "", e.what());
  }
  return {};
}

// A float32 array's values on the host (the array is made row-contiguous and evaluated first).
std::vector<float> to_host(const mx::array& a, const mx::Device& d) {
  mx::array c = mx::contiguous(a, false, d);
  mx::eval(c);
  const float* p = c.data<float>();
  return {p, p + c.size()};
}

class MlxSession final : public LlmSession {
 public:
  explicit MlxSession(const LoadRequest& req) : batch_(req.batch), all_logits_(req.all_logits) {
    const auto src = open_tensor_source(req.model_path);
    const std::string precision = req.precision == "file" ? src->storage_type() : req.precision;
    const Plan p = plan_for(precision, req.device);
    ModelOptions opt;
    opt.device = device_or_throw(req.device);
    opt.dtype = p.dtype;
    opt.bits = p.bits;
    opt.batch = req.batch;
    opt.n_ctx = req.n_ctx;
    if (opt.device == mx::Device::cpu) blas_threads_ = mlx_backend::set_cpu_threads(req.threads);
    mx::reset_peak_memory();
    model_ = std::make_unique<Decoder>(*src, opt);
    facts_ = make_facts(*src, req, p);
  }

  void reset() override {
    pos_ = 0;  // stale cache entries are never attended to: keys end at pos_
  }

  bool reshape(const LoadRequest& req) override {
    model_->resize_context(req.n_ctx);
    pos_ = 0;
    facts_.extra["kv_cache"] = kv_cache_fact(req.n_ctx);
    mx::clear_cache();  // the old cache's buffers leave MLX's pool
    mx::reset_peak_memory();
    return true;
  }

  std::vector<Token> prefill(const TokenRows& rows) override {
    if (static_cast<int>(rows.size()) != batch_) throw std::invalid_argument("prefill: one row per sequence expected");
    const int T = static_cast<int>(rows[0].size());
    std::vector<int32_t> ids;
    for (const auto& r : rows) ids.insert(ids.end(), r.begin(), r.end());
    auto logits = model_->forward(mx::array(ids.begin(), {batch_, T}, mx::int32), pos_, all_logits_);
    pos_ += T;
    const int V = logits.shape(2);
    if (all_logits_) prefill_logits_ = logits;
    const auto& d = dev();
    return take(mx::reshape(mx::slice(logits, {0, logits.shape(1) - 1, 0}, {batch_, logits.shape(1), V}, d), {batch_, V}, d));
  }

  std::vector<Token> step(std::span<const Token> last) override {
    std::vector<int32_t> ids(last.begin(), last.end());
    auto logits = model_->forward(mx::array(ids.begin(), {batch_, 1}, mx::int32), pos_, false);
    ++pos_;
    return take(mx::reshape(logits, {batch_, logits.shape(2)}, dev()));
  }

  std::vector<float> logits_last(int row) override {
    return to_host(mx::slice(*last_logits_, {row, 0}, {row + 1, last_logits_->shape(1)}, dev()), dev());
  }

  std::vector<float> prefill_logits(int row) override {
    if (!prefill_logits_) throw Unsupported("mlx: load with all_logits to read every prompt position's logits");
    const auto& l = *prefill_logits_;
    return to_host(mx::slice(l, {row, 0, 0}, {row + 1, l.shape(1), l.shape(2)}, dev()), dev());
  }

  ModelFacts facts() const override { return facts_; }

  void restart_memory_peak() override { mx::reset_peak_memory(); }

  uint64_t device_peak_bytes() const override {
    // On the CPU MLX's buffers are the worker's own memory (already in its peak RSS).
    return model_->options().device == mx::Device::gpu ? uint64_t(mx::get_peak_memory()) : 0;
  }

 private:
  const mx::Device& dev() const { return model_->options().device; }

  // Greedy ids of logits [B, V]: argmax in the graph, evaluated with the cache (so the graph never
  // grows from step to step) before the ids are read.
  std::vector<Token> take(const mx::array& logits) {
    last_logits_ = logits;
    auto ids = mx::astype(mx::argmax(logits, -1, false, dev()), mx::int32, dev());
    std::vector<mx::array> outs = model_->cache_arrays();
    outs.push_back(ids);
    outs.push_back(logits);
    if (prefill_logits_) outs.push_back(*prefill_logits_);
    mx::eval(outs);
    const int32_t* p = ids.data<int32_t>();
    return std::vector<Token>(p, p + batch_);
  }

  std::string kv_cache_fact(int n_ctx) const {
    return fmt::format("preallocated, {} x {} tokens, {}", batch_, n_ctx, dtype_name(model_->options().dtype));
  }

  ModelFacts make_facts(const TensorSource& src, const LoadRequest& req, const Plan& p) const {
    const ModelConfig& c = model_->config();
    const mx::Device& d = model_->options().device;
    const std::string quant = p.bits ? fmt::format(" + {}-bit affine, group {}", p.bits, model_->options().group) : "";
    ModelFacts f;
    f.arch = c.arch;
    f.desc = fmt::format("{} ({}, run as {}{})", c.name, src.describe(), dtype_name(p.dtype), quant);
    f.bytes = model_->weight_bytes();
    f.n_params = model_->n_params();
    f.n_ctx_train = c.n_ctx_train;
    const std::string gpu_name = d == mx::Device::gpu ? mlx_backend::mlx_device_name(d) : "";
    f.device_name = req.device == "cpu" ? host_info().cpu_model : gpu_name.empty() ? req.device : gpu_name;
    f.extra = {{"mlx_version", mx::version()},
               {"mlx_device", d == mx::Device::cpu ? "cpu" : "gpu"},
               {"dtype", dtype_name(p.dtype)},
               {"matmul", p.bits ? fmt::format("mx::quantized_matmul (affine, {}-bit, group {})", p.bits, model_->options().group)
                                 : "mx::matmul"},
               {"attention", "mx::fast::scaled_dot_product_attention"},
               {"norm", "mx::fast::rms_norm"},
               {"rope", "mx::fast::rope"},
               {"kv_cache", kv_cache_fact(req.n_ctx)},
               {"weights_from", src.describe()}};
    if (d == mx::Device::cpu) f.extra["n_threads"] = blas_threads_ ? nlohmann::json(blas_threads_) : nlohmann::json("BLAS default");
    if (p.bits)
      f.extra["quantization"] = {{"mode", "affine"},
                                 {"bits", p.bits},
                                 {"group_size", model_->options().group},
                                 {"bits_per_weight", model_->quantized_bits_per_weight()},
                                 {"matrices_quantized", model_->quantized_matrices()},
                                 {"matrices_dense", model_->dense_matrices()}};
    return f;
  }

  int batch_;
  bool all_logits_;
  int blas_threads_ = 0;
  int pos_ = 0;
  std::unique_ptr<Decoder> model_;
  std::optional<mx::array> last_logits_, prefill_logits_;
  ModelFacts facts_;
};

class MlxBackend final : public LlmBackend {
 public:
  std::string name() const override { return "mlx"; }
  std::string version() const override { return std::string("MLX ") + mx::version(); }

  std::vector<DeviceInfo> devices() const override { return mlx_backend::mlx_devices(name()); }

  Support supports(const LoadRequest& req) const override {
    std::string why;
    const auto d = mlx_backend::mlx_device(req.device, &why);
    if (!d) return Support::no(why);
    // MLX runs on one GPU, its default one (Metal has one).
    if (req.device != "cpu")
      if (std::string one = first_gpu_only(req.gpu, 1, "the MLX backend"); !one.empty()) return Support::no(one);
    if (req.precision == "file") return Support::yes();  // decided at load, from the file's stored type
    try {
      if (std::string no = kernel_probe(plan_for(req.precision, req.device), *d); !no.empty()) return Support::no(no);
    } catch (const Unsupported& e) {
      return Support::no(e.what());
    }
    return Support::yes();
  }

  std::unique_ptr<LlmSession> load(const LoadRequest& req) override { return std::make_unique<MlxSession>(req); }
};

}  // namespace

std::unique_ptr<LlmBackend> make_mlx_backend() { return std::make_unique<MlxBackend>(); }

}  // namespace mtb
