// The only folder that includes llama.h / ggml-backend.h for benchmarking. Settings follow
// llama-bench's defaults (n_batch 2048, n_ubatch 512, f16 KV cache, flash attention auto, all
// layers offloaded on a GPU, threads = physical cores), so a case measures llama.cpp as its own
// benchmark does.
#include "backends/llamacpp/llamacpp_backend.h"
#include "backends/llamacpp/llamacpp_internal.h"
#include "backends/llamacpp/batch_greedy_sampler.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "build_info.h"
#include "core/system_info.h"
#include "ggml-backend.h"
#include "llama.h"

namespace mtb {
namespace {

constexpr int kBatch = 2048;   // tokens per llama_decode call (llama-bench -b)
constexpr int kUbatch = 512;   // physical micro-batch (llama-bench -ub)

// llama.cpp says why a load or a context failed only in its log: its errors are kept, so the
// exception can carry the cause (an allocation that failed is out of memory, not a guess).
std::mutex g_errors_mutex;
std::vector<std::string> g_errors;

void log_errors_only(ggml_log_level level, const char* text, void*) {
  static const bool verbose = std::getenv("MTB_VERBOSE") != nullptr;
  if (verbose || level == GGML_LOG_LEVEL_ERROR) fputs(text, stderr);
  if (level != GGML_LOG_LEVEL_ERROR) return;
  std::string line = text;
  while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) line.pop_back();
  std::lock_guard lock(g_errors_mutex);
  if (!line.empty() && g_errors.size() < 64) g_errors.push_back(std::move(line));
}

void forget_errors() {
  std::lock_guard lock(g_errors_mutex);
  g_errors.clear();
}

// Why llama.cpp failed, from the errors it logged since forget_errors(): an allocation that failed
// names the case as out of memory, with the size asked; else the last error.
std::string failure(const std::string& what) {
  std::lock_guard lock(g_errors_mutex);
  for (const std::string& e : g_errors)
    if (e.find("insufficient memory") != std::string::npos || e.find("failed to allocate") != std::string::npos ||
        e.find("out of memory") != std::string::npos)
      return fmt::format("out of memory: {} ({})", what, e);
  return g_errors.empty() ? what : fmt::format("{}: {}", what, g_errors.back());
}

void init_once() {
  static const bool done = [] {
    llama_log_set(log_errors_only, nullptr);
    ggml_log_set(log_errors_only, nullptr);
    llama_backend_init();
    return true;
  }();
  (void)done;
}

// mtb's device names for ggml's backend registries.
std::string mtb_device_kind(ggml_backend_dev_t dev) {
  const std::string reg = ggml_backend_reg_name(ggml_backend_dev_backend_reg(dev));
  if (ggml_backend_dev_type(dev) == GGML_BACKEND_DEVICE_TYPE_CPU) return "cpu";
  if (reg == "CUDA") return "cuda";
  if (reg == "MTL" || reg == "Metal") return "metal";
  std::string lower = reg;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  return lower;
}

}  // namespace

std::vector<ggml_backend_dev_t> gpu_devices(const std::string& kind) {
  std::vector<ggml_backend_dev_t> out;
  for (size_t i = 0; i < ggml_backend_dev_count(); ++i) {
    ggml_backend_dev_t d = ggml_backend_dev_get(i);
    const auto t = ggml_backend_dev_type(d);
    if ((t == GGML_BACKEND_DEVICE_TYPE_GPU || t == GGML_BACKEND_DEVICE_TYPE_IGPU) && mtb_device_kind(d) == kind)
      out.push_back(d);
  }
  return out;
}

namespace {

// Greedy choice over the vocabulary, on the host as llama.cpp's own greedy sampler does it. Sixteen
// independent running maxima let the compiler vectorize the scan (std::max_element's single chain
// took ~100 us for 152k logits, a visible share of a 1.3 ms GPU decode step); the second scan
// finds the first index of that maximum, so ties resolve as max_element would.
Token argmax(const float* logits, int n) {
  constexpr int kLanes = 16;
  float lane[kLanes];
  std::fill(lane, lane + kLanes, logits[0]);
  int i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; ++j) lane[j] = logits[i + j] > lane[j] ? logits[i + j] : lane[j];
  float best = lane[0];
  for (int j = 1; j < kLanes; ++j) best = lane[j] > best ? lane[j] : best;
  for (; i < n; ++i) best = logits[i] > best ? logits[i] : best;
  for (int k = 0; k < n; ++k)
    if (logits[k] == best) return static_cast<Token>(k);
  return 0;  // only when every logit is NaN
}

llama_split_mode split_mode_of(const std::string& mode) {
  if (mode == "none") return LLAMA_SPLIT_MODE_NONE;
  if (mode == "row") return LLAMA_SPLIT_MODE_ROW;
  if (mode == "tensor") return LLAMA_SPLIT_MODE_TENSOR;
  return LLAMA_SPLIT_MODE_LAYER;
}

// Whether this host can place the case as asked: its GPUs there, the main GPU among them, no more
// shares than GPUs.
Support placement_support(const GpuPlacement& p, int visible) {
  std::vector<int> gpus;
  try {
    gpus = resolve_gpus(p, visible);
  } catch (const std::invalid_argument& e) {
    return Support::no(e.what());
  }
  if (p.main_gpu >= static_cast<int>(gpus.size()))
    return Support::no(fmt::format("--main-gpu {}: the case has {} GPU(s) (--gpus {})", p.main_gpu, gpus.size(), p.gpus));
  if (!p.tensor_split.empty() && parse_tensor_split(p.tensor_split).size() > gpus.size())
    return Support::no(fmt::format("--tensor-split {}: more shares than the case's {} GPU(s)", p.tensor_split, gpus.size()));
  return Support::yes();
}

class LlamaSession final : public LlmSession {
 public:
  LlamaSession(const LoadRequest& req) : batch_(req.batch), all_logits_(req.all_logits) {
    llama_model_params mp = llama_model_default_params();
    std::vector<ggml_backend_dev_t> devs;
    if (req.device != "cpu") {
      // The case's GPUs (LlamaBackend::supports checked the set against what is there), split as asked.
      const auto all = gpu_devices(req.device);
      for (int i : resolve_gpus(req.gpu, static_cast<int>(all.size()))) gpus_.push_back(all[i]);
      gpu_ = gpus_.empty() ? nullptr : gpus_[0];
      devs = gpus_;
      mp.n_gpu_layers = -1;  // everything on the devices
      mp.split_mode = split_mode_of(req.gpu.split_mode);
      mp.main_gpu = req.gpu.main_gpu;
      if (!req.gpu.tensor_split.empty()) {
        tensor_split_ = parse_tensor_split(req.gpu.tensor_split);
        tensor_split_.resize(llama_max_devices(), 0.0f);
        mp.tensor_split = tensor_split_.data();
      }
    } else {
      mp.n_gpu_layers = 0;
    }
    devs.push_back(nullptr);  // the list is null-terminated; an empty list keeps a CPU case off any GPU
    mp.devices = devs.data();
    for (ggml_backend_dev_t g : gpus_) {
      size_t free = 0, total = 0;
      ggml_backend_dev_memory(g, &free, &total);
      free_before_.push_back(free);
    }
    forget_errors();
    model_ = llama_model_load_from_file(req.model_path.c_str(), mp);
    if (!model_) throw std::runtime_error(failure(fmt::format("llama.cpp could not load {}", req.model_path)));
    vocab_ = llama_model_get_vocab(model_);
    n_vocab_ = llama_vocab_n_tokens(vocab_);
    threads_ = req.threads > 0 ? req.threads : default_cpu_threads();
    kv_type_ = req.kv_at_precision && req.precision == "f32" ? GGML_TYPE_F32 : GGML_TYPE_F16;
    make_context(req);
    llama_batch_ = llama_batch_init(std::max(kBatch, batch_), 0, batch_);
  }

  // A fresh context (KV cache, compute buffers) for req.n_ctx tokens per sequence; the weights stay.
  void make_context(const LoadRequest& req) {
    if (ctx_) llama_free(ctx_);  // freed before the new one is allocated: the device holds one at a time
    ctx_ = nullptr;
    free_samplers();
    // A benchmark needs only the greedy choice. On a GPU, backend sampling takes it inside the graph,
    // in one argmax over every sequence's logits (batch_greedy_sampler.cpp says why not llama.cpp's
    // stock greedy sampler), and only the tokens cross back, as llama-bench and llama-batched-bench
    // read nothing. On the CPU the logits are already in host memory and the argmax over them is
    // cheaper than the sampler's graph: qwen-2.5-0.5b-it q4_0 at batch 8 decoded 97-100 t/s with it,
    // 101-102 t/s choosing on the host, as llama-batched-bench's 101-104 (2-core Xeon, 2026-12-02).
    // MTB_LLAMACPP_BACKEND_SAMPLING=1 samples in the graph on the CPU too (its tests). `mtb check`
    // (all_logits) reads logits, so chooses on the host. A chain belongs to one context: each
    // context gets new ones.
    const bool in_graph = req.device != "cpu" || std::getenv("MTB_LLAMACPP_BACKEND_SAMPLING");
    if (!all_logits_ && in_graph) {
      const auto shared = make_batch_greedy_shared();
      for (int b = 0; b < batch_; ++b) {
        llama_sampler* chain = llama_sampler_chain_init(llama_sampler_chain_default_params());
        llama_sampler_chain_add(chain, batch_greedy_sampler(shared));
        samplers_.push_back({b, chain});
      }
    }
    llama_context_params cp = llama_context_default_params();
    cp.n_ctx = static_cast<uint32_t>(req.n_ctx) * static_cast<uint32_t>(batch_);
    cp.n_seq_max = static_cast<uint32_t>(batch_);
    cp.n_batch = kBatch;
    cp.n_ubatch = kUbatch;
    cp.n_threads = threads_;
    cp.n_threads_batch = threads_;
    cp.type_k = kv_type_;
    cp.type_v = kv_type_;
    // Flash attention on the CPU rounds Q and K to f16; an exact comparison turns it off.
    cp.flash_attn_type = kv_type_ == GGML_TYPE_F32 ? LLAMA_FLASH_ATTN_TYPE_DISABLED : LLAMA_FLASH_ATTN_TYPE_AUTO;
    cp.no_perf = true;
    if (req.device == "cpu") {
      cp.offload_kqv = false;
      cp.op_offload = false;
    }
    cp.samplers = samplers_.empty() ? nullptr : samplers_.data();
    cp.n_samplers = samplers_.size();
    forget_errors();
    ctx_ = llama_init_from_model(model_, cp);
    if (!ctx_) throw std::runtime_error(failure("llama.cpp could not create a context"));
    pos_.assign(batch_, 0);
    facts_ = make_facts(req, cp);
  }

  ~LlamaSession() override {
    llama_batch_free(llama_batch_);
    if (ctx_) llama_free(ctx_);
    free_samplers();  // after the context that uses them
    if (model_) llama_model_free(model_);
  }

  void free_samplers() {
    for (auto& s : samplers_) llama_sampler_free(s.sampler);
    samplers_.clear();
  }

  bool reshape(const LoadRequest& req) override {
    make_context(req);
    return true;
  }

  void reset() override {
    llama_memory_clear(llama_get_memory(ctx_), true);
    std::fill(pos_.begin(), pos_.end(), 0);
  }

  std::vector<Token> prefill(const TokenRows& rows) override {
    if (static_cast<int>(rows.size()) != batch_) throw std::invalid_argument("prefill: one row per sequence expected");
    // All rows' tokens go through llama_decode in chunks of n_batch (as llama-bench feeds a prompt);
    // only each row's last token asks for logits, read right after the chunk that holds it.
    // With all_logits (mtb check) every token asks for logits, copied out after each chunk.
    std::vector<std::pair<int, int>> pending;  // (index in chunk, sequence)
    std::vector<std::pair<int, int>> every;    // (index in chunk, sequence), all_logits only
    if (all_logits_) prefill_logits_.assign(batch_, {});
    llama_batch_.n_tokens = 0;
    auto flush = [&] {
      decode();
      for (auto [i, seq] : every) {
        const float* l = llama_get_logits_ith(ctx_, i);
        prefill_logits_[seq].insert(prefill_logits_[seq].end(), l, l + n_vocab_);
      }
      every.clear();
      for (auto [i, seq] : pending) argmax_of(i, seq);
      pending.clear();
      llama_batch_.n_tokens = 0;
    };
    for (int b = 0; b < batch_; ++b) {
      for (size_t i = 0; i < rows[b].size(); ++i) {
        const bool last = i + 1 == rows[b].size();
        add(rows[b][i], b, last || all_logits_);
        if (all_logits_) every.push_back({llama_batch_.n_tokens - 1, b});
        if (last) pending.push_back({llama_batch_.n_tokens - 1, b});
        if (llama_batch_.n_tokens == kBatch) flush();
      }
    }
    if (llama_batch_.n_tokens > 0) flush();
    return next_;
  }

  std::vector<Token> step(std::span<const Token> last) override {
    llama_batch_.n_tokens = 0;
    for (int b = 0; b < batch_; ++b) add(last[b], b, true);
    decode();
    for (int b = 0; b < batch_; ++b) argmax_of(b, b);
    return next_;
  }

  std::vector<float> logits_last(int row) override {
    if (!samplers_.empty()) throw Unsupported("llamacpp: the greedy choice is made on the device; load with all_logits to read logits");
    const float* l = llama_get_logits_ith(ctx_, last_logits_.at(row));
    return std::vector<float>(l, l + n_vocab_);
  }

  std::vector<float> prefill_logits(int row) override {
    if (!all_logits_) throw Unsupported("llamacpp: load with all_logits to read every prompt position's logits");
    return std::move(prefill_logits_.at(row));  // handed over, not copied (backend.h)
  }

  ModelFacts facts() const override { return facts_; }

  // How many logits the backend sampler copied to the host beside its tokens since the last call:
  // 0 is the token-only path working (batch_greedy_sampler.cpp says what a vocabulary a step costs).
  nlohmann::json take_observations() override {
    nlohmann::json out = nlohmann::json::object();
    if (!samplers_.empty()) out["sampled_logits_read_back"] = logits_back_;
    logits_back_ = 0;
    return out;
  }

  uint64_t device_peak_bytes() const override {
    // ggml keeps no allocator peak; the worker is the only process on the devices, so the drop in
    // free memory since before the load is what this case holds (weights, KV cache, compute
    // buffers), summed over the case's GPUs.
    uint64_t held = 0;
    for (size_t i = 0; i < gpus_.size(); ++i) {
      size_t free = 0, total = 0;
      ggml_backend_dev_memory(gpus_[i], &free, &total);
      held += free_before_[i] > free ? free_before_[i] - free : 0;
    }
    return held;
  }

  std::vector<std::string> gpu_bus_ids() const override {
    std::vector<std::string> ids;
    for (ggml_backend_dev_t g : gpus_) {
      ggml_backend_dev_props props{};
      ggml_backend_dev_get_props(g, &props);
      ids.push_back(props.device_id ? props.device_id : "");
    }
    return ids;
  }

 private:
  void add(Token t, int seq, bool logits) {
    const int i = llama_batch_.n_tokens++;
    llama_batch_.token[i] = t;
    llama_batch_.pos[i] = pos_[seq]++;
    llama_batch_.n_seq_id[i] = 1;
    llama_batch_.seq_id[i][0] = seq;
    llama_batch_.logits[i] = logits;
  }

  void decode() {
    const int rc = llama_decode(ctx_, llama_batch_);
    if (rc != 0) throw std::runtime_error(fmt::format("llama_decode failed with code {}", rc));
  }

  // Keeps the greedy token of batch entry `i` for sequence `seq`: the backend sampler's choice, or
  // the argmax of its logits on the host. Either read synchronizes with the device.
  void argmax_of(int i, int seq) {
    next_.resize(batch_);
    if (samplers_.empty()) {
      next_[seq] = argmax(llama_get_logits_ith(ctx_, i), n_vocab_);
    } else {
      const llama_token t = llama_get_sampled_token_ith(ctx_, i);
      if (t == LLAMA_TOKEN_NULL) throw std::runtime_error(fmt::format("llama.cpp's backend sampler chose no token for sequence {}", seq));
      next_[seq] = t;
      logits_back_ += llama_get_sampled_logits_count_ith(ctx_, i);
    }
    last_logits_[seq] = i;
  }

  ModelFacts make_facts(const LoadRequest& req, const llama_context_params& cp) const {
    ModelFacts f;
    char buf[256];
    llama_model_desc(model_, buf, sizeof buf);
    f.desc = buf;
    if (llama_model_meta_val_str(model_, "general.architecture", buf, sizeof buf) >= 0) f.arch = buf;
    f.bytes = llama_model_size(model_);
    f.n_params = llama_model_n_params(model_);
    f.n_ctx_train = llama_model_n_ctx_train(model_);
    f.device_name = gpu_ ? ggml_backend_dev_description(gpu_) : host_info().cpu_model;
    f.extra = {{"n_threads", threads_},
               {"n_batch", cp.n_batch},
               {"n_ubatch", cp.n_ubatch},
               {"type_k", ggml_type_name(kv_type_)},
               {"type_v", ggml_type_name(kv_type_)},
               {"flash_attn", llama_flash_attn_type_name(cp.flash_attn_type)},
               {"n_gpu_layers", req.device == "cpu" ? 0 : -1},
               {"gpu_devices", gpu_names()},
               {"greedy_choice", samplers_.empty() ? "host argmax over the logits"
                                                : "backend sampler (one argmax in the graph over every sequence, the tokens alone read back)"},
               {"system_info", llama_print_system_info()}};
    return f;
  }

  int batch_;
  bool all_logits_;
  ggml_type kv_type_ = GGML_TYPE_F16;
  std::vector<std::vector<float>> prefill_logits_;
  int threads_ = 0;
  llama_model* model_ = nullptr;
  llama_context* ctx_ = nullptr;
  const llama_vocab* vocab_ = nullptr;
  int n_vocab_ = 0;
  llama_batch llama_batch_{};
  std::vector<llama_pos> pos_;
  std::vector<Token> next_;
  std::vector<int> last_logits_ = std::vector<int>(batch_, -1);
  std::vector<llama_sampler_seq_config> samplers_;  // one greedy chain per sequence; empty with all_logits
  uint64_t logits_back_ = 0;                          // sampled logits copied to the host (take_observations)
  std::string gpu_names() const {
    std::string names;
    for (ggml_backend_dev_t g : gpus_) names += (names.empty() ? "" : "/") + std::string(ggml_backend_dev_name(g));
    return names.empty() ? "none" : names;  // llama-bench's `devices` field
  }

  ggml_backend_dev_t gpu_ = nullptr;      // the first of the case's GPUs (its name in the record)
  std::vector<ggml_backend_dev_t> gpus_;  // the case's GPUs, in the order llama.cpp splits over them
  std::vector<size_t> free_before_;       // each one's free memory before the load
  std::vector<float> tensor_split_;       // llama_max_devices() shares, alive while the model loads
  ModelFacts facts_;
};

class LlamaBackend final : public LlmBackend {
 public:
  std::string name() const override { return "llamacpp"; }
  std::string version() const override { return fmt::format("llama.cpp {}", std::string(build::kLlamaCppCommit).substr(0, 7)); }

  std::vector<DeviceInfo> devices() const override {
    init_once();
    std::vector<DeviceInfo> out;
    for (size_t i = 0; i < ggml_backend_dev_count(); ++i) {
      ggml_backend_dev_t d = ggml_backend_dev_get(i);
      if (ggml_backend_dev_type(d) == GGML_BACKEND_DEVICE_TYPE_ACCEL) continue;  // CPU extra buffer types
      DeviceInfo info;
      info.backend = name();
      info.name = mtb_device_kind(d);
      info.description = ggml_backend_dev_description(d);
      size_t free = 0, total = 0;
      ggml_backend_dev_memory(d, &free, &total);
      info.memory_free = free;
      info.memory_total = total;
      out.push_back(info);
    }
    return out;
  }

  Support supports(const LoadRequest& req) const override {
    init_once();
    if (req.device == "cpu") return Support::yes();
    const size_t gpus = gpu_devices(req.device).size();
    if (gpus == 0)
      return Support::no(fmt::format("this build of llama.cpp has no '{}' device (built without it, or no GPU found)", req.device));
    return placement_support(req.gpu, static_cast<int>(gpus));
  }

  std::unique_ptr<LlmSession> load(const LoadRequest& req) override {
    init_once();
    return std::make_unique<LlamaSession>(req);
  }

  std::optional<CalibrationKernels> calibration_kernels(const std::string& device) const override {
    init_once();
    return ggml_calibration_kernels(device, default_cpu_threads());
  }
};

}  // namespace

std::unique_ptr<LlmBackend> make_llamacpp_backend() { return std::make_unique<LlamaBackend>(); }

}  // namespace mtb
