// The LLM seam between mtb and a framework. The harness (llm/harness.h) owns every clock: a backend only does work and
// returns when its result is on the host. Adding a framework = one folder + one line in registry.cpp.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <nlohmann/json.hpp>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/calibration.h"
#include "core/clock.h"
#include "llm/gpu_placement.h"
#include "core/device.h"
#include "core/tokens.h"
#include "llm/load.h"

namespace mtb {

struct LoadRequest {
  std::string model_path;  // a GGUF file (or, for some backends, a checkpoint folder)
  std::string device;
  std::string precision;
  int threads = 0;  // 0: backend default
  int batch = 1;    // parallel sequences
  int n_ctx = 0;    // tokens per sequence the cache must hold
  int n_gen = 0;    // decode steps after the first token: a streaming server must be told the length up front
  // Run settings a backend needs beyond the axes (the server backend's URL, model name, timeouts);
  // an object, empty for backends that take none.
  nlohmann::json backend_options = nlohmann::json::object();
  bool all_logits = false;  // keep every prompt position's logits (`mtb check`), not only the last
  // KV cache at the run's precision where the framework's default is lower (llama.cpp: f16), so
  // `mtb check` compares the same function rather than the cache's rounding.
  bool kv_at_precision = false;
  int parallel = 1;  // requests a server must serve at once (a load case's concurrency): a spawned server's slots
  GpuPlacement gpu;  // GPU devices: which of the kind's GPUs, and how the model is split over them
};

// What a loaded model is, as the backend sees it: goes into the record.
struct ModelFacts {
  std::string arch, desc, device_name;
  uint64_t bytes = 0, n_params = 0;
  int n_ctx_train = 0;
  nlohmann::json extra = nlohmann::json::object();  // kernels, attention path, thread count ...
};

// One loaded model on one device, with room for `batch` sequences of `n_ctx` tokens.
class LlmSession {
 public:
  virtual ~LlmSession() = default;
  virtual void reset() = 0;  // empty the KV cache
  // Readies the loaded weights for another case of other lengths: `req` differs from the request
  // the session was loaded with only in n_ctx and n_gen. Frees the old KV cache (and anything sized
  // by it) and makes a new one, and restarts the device-memory peak, so the next case measures as if
  // freshly loaded, minus the load. false: this backend cannot; the harness then loads afresh.
  virtual bool reshape(const LoadRequest& req) {
    (void)req;
    return false;
  }
  // Appends rows[b] to sequence b (all rows the same length) and returns each row's greedy next
  // token, on the host.
  virtual std::vector<Token> prefill(const TokenRows& rows) = 0;
  // One decode step: appends last[b] to sequence b, returns the greedy next tokens, on the host.
  virtual std::vector<Token> step(std::span<const Token> last) = 0;
  // Logits after the last prefill/step for sequence `row` (for `mtb check`).
  virtual std::vector<float> logits_last(int row) = 0;
  // Logits of every position of the last prefill for sequence `row`, [length x n_vocab] row-major,
  // when loaded with LoadRequest::all_logits (`mtb check`, `mtb quality`). Handed over, once per row
  // and prefill: a window of a 152k vocabulary is 311 MB, and a copy kept behind would double it.
  virtual std::vector<float> prefill_logits(int row) {
    (void)row;
    throw Unsupported("this backend does not return every prompt position's logits");
  }
  virtual ModelFacts facts() const = 0;
  virtual uint64_t device_peak_bytes() const { return 0; }
  // The PCI bus ids ("0000:c1:00.0") of the GPUs the model sits on, in order; empty off a GPU or
  // where the backend cannot say. The harness reads each one's memory, power and energy by them.
  virtual std::vector<std::string> gpu_bus_ids() const { return {}; }
  // Restarts the peak that device_peak_bytes reports from what the session holds now. The harness
  // calls it once the session is ready for a case (loaded or reshaped), so that a case's peak is
  // that of its prompt passes and generation. A load's transients (a quantized file decoded on the
  // device, say) go into the record's load peak instead, and the first case of a file reads like
  // the others. Backends whose figure is what they hold, not a peak, need nothing here.
  virtual void restart_memory_peak() {}
  // What the backend measured itself since the last call (a server's own timings and token counts
  // per request), as a JSON object merged into Record::extra; empty by default. The harness calls it
  // after the warm-up (discarded) and after the timed repetitions (kept), so the figures sit beside
  // the client-side samples of the same requests.
  virtual nlohmann::json take_observations() { return nlohmann::json::object(); }
  // Serving load (llm/load.h): sends the planned requests, `load.concurrency` at most in flight (a
  // closed loop keeps that many busy; an open loop sends each at its due time), each asking for
  // `n_gen` tokens, and returns one row per request sent, stamped with `clock` from the call.
  // Backends that are not servers have no such thing.
  virtual std::vector<RequestRow> serve(const std::vector<PlannedRequest>& requests, const LoadSettings& load, int n_gen,
                                        const Clock& clock) {
    (void)requests, (void)load, (void)n_gen, (void)clock;
    throw Unsupported("serving load (--concurrency, --request-rate) is measured against servers: -b server");
  }
};

class LlmBackend {
 public:
  virtual ~LlmBackend() = default;
  virtual std::string name() const = 0;
  virtual std::string version() const = 0;
  virtual std::vector<DeviceInfo> devices() const = 0;  // what this build can run on, here
  virtual Support supports(const LoadRequest& req) const = 0;
  virtual std::unique_ptr<LlmSession> load(const LoadRequest& req) = 0;
  // A backend that sends requests to a server rather than running the model in-process: serving
  // load applies to it (LlmSession::serve), and the default -b leaves it out.
  virtual bool serves_requests() const { return false; }
  // Kernels that measure the device's ceilings (`mtb info --calibrate`); none by default.
  virtual std::optional<CalibrationKernels> calibration_kernels(const std::string& /*device*/) const { return std::nullopt; }
};

// The registry: every compiled-in backend, in a fixed order.
const std::vector<std::unique_ptr<LlmBackend>>& llm_backends();
LlmBackend* find_llm_backend(const std::string& name);  // nullptr when not compiled in
std::vector<std::string> llm_backend_names();
// The backends that run the model in this process (not serves_requests): the default -b.
std::vector<std::string> in_process_llm_backend_names();

}  // namespace mtb
