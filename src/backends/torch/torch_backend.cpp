// The session runs the Decoder as a PyTorch user's inference loop does: the prompt in one forward
// pass, then one token per step, greedy argmax on the device, only the chosen ids copied to the
// host (that copy is the device synchronization before returning). On CUDA the decode step is
// captured once as a CUDA graph over the static KV cache and replayed.
#include "backends/torch/torch_backend.h"

#include <fmt/format.h>
#include <torch/version.h>

#include <ATen/Parallel.h>
#include <cstdlib>
#include <map>
#include <mutex>

#include "backends/torch/torch_compat.h"
#include "backends/torch/torch_device.h"
#include "backends/torch/torch_model.h"
#include "backends/torch/torch_threads.h"
#include "core/system_info.h"
#if MTB_TORCH_HAS_CUDA_GRAPH
#include <ATen/cuda/CUDAContext.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace mtb {
namespace {
using torch_backend::Decoder;
using torch_backend::ModelOptions;
using torch_backend::device_available;
using torch_backend::torch_device;

// How a precision runs in torch: the compute dtype and how the big matmuls' weights are stored.
struct Plan {
  at::ScalarType dtype = at::kFloat;
  torch_backend::WeightQuant quant = torch_backend::WeightQuant::none;
};

const char* matmul_kernel(torch_backend::WeightQuant q, bool cpu) {
  switch (q) {
    case torch_backend::WeightQuant::int8:
      return cpu ? "aten::_weight_int8pack_mm (int8 weight-only, per-channel scales)"
                 : "int8 weight-only, per-channel scales: weight.to(dtype), aten::linear, * scales (gpt-fast's eager form)";
    case torch_backend::WeightQuant::int4: return "aten::_weight_int4pack_mm (int4 weight-only tinygemm, group 128, scales + zeros)";
    default: return "aten::linear";
  }
}

Plan plan_for(const std::string& precision, const std::string& device) {
  if (precision == "f32") return {at::kFloat};
  if (precision == "f16") return {at::kHalf};
  if (precision == "bf16") return {at::kBFloat16};
  if (precision == "q8_0") {
    if (!torch_compat::has_int8_weight_kernel())
      throw Unsupported("libtorch " TORCH_VERSION " has no weight-only int8 kernel (_weight_int8pack_mm, torch >= 2.3)");
    return {device == "cpu" ? at::kFloat : at::kBFloat16, torch_backend::WeightQuant::int8};
  }
  if (precision == "q4_0" || precision == "q4_k_m" || precision == "q4_k") {
    if (!torch_compat::has_int4_weight_kernel(device == "cpu"))
      throw Unsupported("libtorch " TORCH_VERSION " has no weight-only int4 kernel (_weight_int4pack_mm: torch >= 2.5 on CUDA, >= 2.6 on the CPU)");
    return {at::kBFloat16, torch_backend::WeightQuant::int4};  // tinygemm takes bfloat16 activations
  }
  throw Unsupported(fmt::format("torch backend: precision '{}' has no torch equivalent", precision));
}

// Whether this libtorch can do a matmul in `dtype` on `device` (1.13 has no float16 GEMM on the CPU):
// asked once with a tiny op, so a missing kernel is a recorded skip rather than a failure mid-run.
std::string dtype_probe(const Plan& p, const std::string& device) {
  static std::mutex mu;
  static std::map<std::string, std::string> cache;
  const std::string key = fmt::format("{}|{}|{}", device, int(p.dtype), int(p.quant));
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  std::string why;
  try {
    auto o = at::TensorOptions().dtype(p.dtype).device(torch_device(device));
    auto x = at::ones({2, 32}, o);
    switch (p.quant) {
      case torch_backend::WeightQuant::int8:
        torch_compat::int8_weight_mm(x, at::ones({8, 32}, o.dtype(at::kChar)), at::ones({8}, o)).sum().item<float>();
        break;
      case torch_backend::WeightQuant::int4: {
        const int64_t K = torch_backend::kInt4Group;  // one group, the smallest shape the kernel takes
        auto packed = torch_compat::int4_pack(at::full({8, K}, 3, o.dtype(at::kByte)));
        torch_compat::int4_weight_mm(at::ones({2, K}, o), packed, K, at::ones({1, 8, 2}, o)).sum().item<float>();
        break;
      }
      default: at::linear(x, at::ones({8, 32}, o)).softmax(-1).sum().item<float>();
    }
  } catch (const std::exception& e) {
    std::string msg = e.what();
    msg = msg.substr(0, msg.find('\n'));
    why = fmt::format("libtorch " TORCH_VERSION " cannot run {} with {} on {}: {}", matmul_kernel(p.quant, device == "cpu"), c10::toString(p.dtype),
                      device, msg);
  }
  return cache[key] = why;
}

// Returns the caching allocator's free blocks to the device and restarts its peak (CUDA; nothing
// elsewhere): where a case's device-memory figure starts, after another model or another KV cache.
void restart_device_peak(const at::Device& d) {
#if MTB_TORCH_HAS_CUDA_GRAPH
  if (!d.is_cuda()) return;
  c10::cuda::CUDACachingAllocator::emptyCache();
  c10::cuda::CUDACachingAllocator::resetPeakStats(d.index());
#else
  (void)d;
#endif
}

class TorchSession final : public LlmSession {
 public:
  explicit TorchSession(const LoadRequest& req)
      : batch_(req.batch), all_logits_(req.all_logits), bus_ids_(torch_backend::gpu_bus_ids(req.device)) {
    // A worker may have run another model before this one: this load's peak is its own.
    if (device_available(req.device)) restart_device_peak(torch_device(req.device));
    const auto src = open_tensor_source(req.model_path);
    const std::string precision = req.precision == "file" ? src->storage_type() : req.precision;
    const Plan p = plan_for(precision, req.device);
    threads_ = req.threads > 0 ? req.threads : default_cpu_threads();
    threading_ = torch_backend::set_cpu_threads(threads_);
    ModelOptions opt;
    opt.device = torch_device(req.device);
    opt.dtype = p.dtype;
    opt.quant = p.quant;
    opt.batch = req.batch;
    opt.n_ctx = req.n_ctx;
    model_ = std::make_unique<Decoder>(*src, opt);
    long_opts_ = at::TensorOptions().dtype(at::kLong).device(opt.device);
#if MTB_TORCH_HAS_CUDA_GRAPH
    use_graph_ = opt.device.is_cuda() && !(std::getenv("MTB_TORCH_CUDA_GRAPH") && std::string(std::getenv("MTB_TORCH_CUDA_GRAPH")) == "0");
#endif
    facts_ = make_facts(*src, req, p);
  }

  void reset() override {
    pos_ = 0;  // stale cache entries are never attended to: key lengths and masks end at pos_
  }

  bool reshape(const LoadRequest& req) override {
#if MTB_TORCH_HAS_CUDA_GRAPH
    graph_.reset();  // captured over the old cache: recaptured on the next step
    g_tokens_ = g_pos_ = g_logits_ = g_ids_ = at::Tensor();
#endif
    last_logits_ = prefill_logits_ = at::Tensor();
    model_->resize_context(req.n_ctx);
    pos_ = 0;
    facts_.extra["kv_cache"] = kv_cache_fact(req.n_ctx);
    restart_device_peak(model_->options().device);  // the old cache's blocks go back to the device
    return true;
  }

  std::vector<Token> prefill(const TokenRows& rows) override {
    if (static_cast<int>(rows.size()) != batch_) throw std::invalid_argument("prefill: one row per sequence expected");
    const int64_t T = static_cast<int64_t>(rows[0].size());
    std::vector<int64_t> ids;
    for (const auto& r : rows) ids.insert(ids.end(), r.begin(), r.end());
    auto tokens = at::tensor(ids, at::kLong).view({batch_, T}).to(long_opts_.device());
    auto positions = at::arange(pos_, pos_ + T, long_opts_);
    auto logits = model_->forward(tokens, positions, pos_ + T, pos_, all_logits_);
    pos_ += T;
    if (all_logits_) prefill_logits_ = logits.cpu();
    return take(logits.select(1, logits.size(1) - 1));
  }

  std::vector<Token> step(std::span<const Token> last) override {
    auto host = at::tensor(std::vector<int64_t>(last.begin(), last.end()), at::kLong).view({batch_, 1});
#if MTB_TORCH_HAS_CUDA_GRAPH
    if (use_graph_) return graph_step(host);
#endif
    auto logits = model_->forward(host.to(long_opts_.device()), at::full({1}, pos_, long_opts_), pos_ + 1, pos_, false);
    ++pos_;
    return take(logits.select(1, 0));
  }

  std::vector<float> logits_last(int row) override {
    auto l = last_logits_.select(0, row).contiguous().cpu();
    return {l.data_ptr<float>(), l.data_ptr<float>() + l.numel()};
  }

  std::vector<float> prefill_logits(int row) override {
    if (!prefill_logits_.defined()) throw Unsupported("torch: load with all_logits to read every prompt position's logits");
    auto l = prefill_logits_.select(0, row).contiguous();
    return {l.data_ptr<float>(), l.data_ptr<float>() + l.numel()};
  }

  ModelFacts facts() const override { return facts_; }
  std::vector<std::string> gpu_bus_ids() const override { return bus_ids_; }

  void restart_memory_peak() override { restart_device_peak(model_->options().device); }

  uint64_t device_peak_bytes() const override {
#if MTB_TORCH_HAS_CUDA_GRAPH
    if (model_->options().device.is_cuda()) {
      const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(model_->options().device.index());
      return static_cast<uint64_t>(stats.allocated_bytes[0].peak);  // [0]: StatType::AGGREGATE
    }
#endif
    return 0;
  }

 private:
  // Greedy ids of logits [B, V] (argmax on the device; the copy to the host waits for the device).
  std::vector<Token> take(const at::Tensor& logits) { return take(logits, logits.argmax(-1)); }
  std::vector<Token> take(const at::Tensor& logits, const at::Tensor& device_ids) {
    last_logits_ = logits;
    auto ids = device_ids.cpu();
    std::vector<Token> out(static_cast<size_t>(batch_));
    for (int b = 0; b < batch_; ++b) out[b] = static_cast<Token>(ids[b].item<int64_t>());
    return out;
  }

#if MTB_TORCH_HAS_CUDA_GRAPH
  // The decode step as a CUDA graph: static token/position buffers, the whole cache attended with a
  // position mask (shapes fixed), captured on first use after warm-up runs on a side stream (each
  // rewrites the same cache slot the real step writes), then replayed.
  std::vector<Token> graph_step(const at::Tensor& host_tokens) {
    if (!graph_) {
      g_tokens_ = at::zeros({batch_, 1}, long_opts_);
      g_pos_ = at::zeros({1}, long_opts_);
      g_tokens_.copy_(host_tokens);
      g_pos_.fill_(pos_);
      const int64_t n_ctx = model_->options().n_ctx;
      auto run = [&] {  // the argmax too: one kernel launch fewer per step outside the graph
        g_logits_ = model_->forward(g_tokens_, g_pos_, n_ctx, -1, false).select(1, 0);
        g_ids_ = g_logits_.argmax(-1);
      };
      at::cuda::getCurrentCUDAStream().synchronize();
      auto side = c10::cuda::getStreamFromPool();
      {
        c10::cuda::CUDAStreamGuard guard(side);
        for (int i = 0; i < 3; ++i) run();
        graph_ = std::make_unique<at::cuda::CUDAGraph>();
        graph_->capture_begin();
        run();
        graph_->capture_end();
      }
      side.synchronize();
    }
    g_tokens_.copy_(host_tokens);
    g_pos_.fill_(pos_);
    graph_->replay();
    ++pos_;
    return take(g_logits_, g_ids_);
  }
  std::unique_ptr<at::cuda::CUDAGraph> graph_;
  at::Tensor g_tokens_, g_pos_, g_logits_, g_ids_;
#endif

  std::string kv_cache_fact(int n_ctx) const {
    return fmt::format("static, {} x {} tokens, {}", batch_, n_ctx, c10::toString(model_->options().dtype));
  }

  ModelFacts make_facts(const TensorSource& src, const LoadRequest& req, const Plan& p) const {
    const ModelConfig& c = model_->config();
    ModelFacts f;
    f.arch = c.arch;
    f.desc = fmt::format("{} ({}, run as {}{})", c.name, src.describe(), c10::toString(p.dtype),
                         p.quant == torch_backend::WeightQuant::int8   ? " + int8 weights"
                         : p.quant == torch_backend::WeightQuant::int4 ? " + int4 weights"
                                                                       : "");
    f.bytes = model_->weight_bytes();
    f.n_params = model_->n_params();
    f.n_ctx_train = c.n_ctx_train;
    f.device_name = req.device == "cpu" ? host_info().cpu_model : req.device;
    f.extra = {{"torch_version", TORCH_VERSION},
               {"n_threads", threads_},
               {"threading", threading_},
               {"dtype", c10::toString(p.dtype)},
               {"matmul", matmul_kernel(p.quant, req.device == "cpu")},
               {"attention", torch_compat::attention_path()},
               {"kv_cache", kv_cache_fact(req.n_ctx)},
               {"cuda_graph", use_graph_},
               {"weights_from", src.describe()}};
#if MTB_TORCH_HAS_CUDA_GRAPH
    if (model_->options().device.is_cuda()) {
      const auto* prop = at::cuda::getDeviceProperties(model_->options().device.index());
      f.device_name = prop->name;
      f.extra["device_total_bytes"] = prop->totalGlobalMem;
    }
#endif
    return f;
  }

  int batch_;
  bool all_logits_;
  int threads_ = 0;
  std::string threading_;
  int64_t pos_ = 0;
  bool use_graph_ = false;
  std::unique_ptr<Decoder> model_;
  at::TensorOptions long_opts_;
  at::Tensor last_logits_, prefill_logits_;
  ModelFacts facts_;
  std::vector<std::string> bus_ids_;
};

class TorchBackend final : public LlmBackend {
 public:
  std::string name() const override { return "torch"; }
  std::string version() const override { return "libtorch " TORCH_VERSION; }

  std::vector<DeviceInfo> devices() const override { return torch_backend::torch_devices(name(), true); }

  Support supports(const LoadRequest& req) const override {
    if (!device_available(req.device))
      return Support::no(fmt::format("this libtorch ({}) has no '{}' device (built without it, or none found)", TORCH_VERSION, req.device));
    if (req.device != "cpu")
      if (std::string why = first_gpu_only(req.gpu, torch_backend::gpu_count(req.device), "the torch backend"); !why.empty())
        return Support::no(why);
    if (req.precision == "file") return Support::yes();  // decided at load, from the file's stored type
    try {
      const Plan p = plan_for(req.precision, req.device);
      if (std::string why = dtype_probe(p, req.device); !why.empty()) return Support::no(why);
    } catch (const Unsupported& e) {
      return Support::no(e.what());
    }
    return Support::yes();
  }

  std::unique_ptr<LlmSession> load(const LoadRequest& req) override { return std::make_unique<TorchSession>(req); }
};

}  // namespace

std::unique_ptr<LlmBackend> make_torch_backend() { return std::make_unique<TorchBackend>(); }

}  // namespace mtb
