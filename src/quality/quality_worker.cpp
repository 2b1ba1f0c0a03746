#include "quality/quality_worker.h"

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <random>

#include "core/clock.h"
#include "core/worker.h"
#include "models/gguf_info.h"
#include "quality/eval_windows.h"
#include "quality/kl_divergence.h"
#include "quality/quality_record.h"
#include "quality/reference_log_probs.h"

namespace mtb {
namespace {

// Test hook, as MTB_TEST_CRASH_CASE: MTB_TEST_PERTURB_LOGITS="<label part>=<scale>" adds seeded
// Gaussian noise of that scale to the logits of a case whose label contains the part, so the tests can
// plant a wrong candidate and see it caught.
double perturbation_for(const std::string& label) {
  const char* env = std::getenv("MTB_TEST_PERTURB_LOGITS");
  if (!env) return 0;
  const std::string s = env;
  const size_t eq = s.rfind('=');
  if (eq == std::string::npos || label.find(s.substr(0, eq)) == std::string::npos) return 0;
  return std::atof(s.c_str() + eq + 1);
}

class QualityWorker final : public SuiteWorker {
 public:
  QualityWorker(std::filesystem::path run_dir, std::function<LlmBackend*(const std::string&)> find)
      : run_dir_(std::move(run_dir)), find_(std::move(find)) {}

  nlohmann::json run(const nlohmann::json& item) override {
    QualityRecord r;
    r.spec = item.at("case").get<QualityCase>();
    r.model_path = item.at("model_path").get<std::string>();
    r.synthetic = item.value("synthetic", false);
    r.started_at = utc_now_iso8601();
    const double t0 = steady_clock().now_s();
    try {
      crash_if_asked(r.spec.label());
      measure(r, run_dir_ / item.at("reference_file").get<std::string>());
    } catch (const Unsupported& e) {
      r.status = Status::skipped;
      r.error = e.what();
    } catch (const std::exception& e) {
      r.status = Status::failed;
      r.error = e.what();
    }
    r.wall_s = seconds_since(steady_clock(), t0);
    return r;
  }

 private:
  void measure(QualityRecord& r, const std::filesystem::path& reference_file) {
    const QualityCase& c = r.spec;
    LlmBackend* backend = find_(c.backend);
    if (!backend) throw std::runtime_error(fmt::format("backend '{}' is not compiled into this mtb", c.backend));
    const GgufInfo info = read_gguf_info(r.model_path);
    const EvalWindows ev = eval_windows(c, r.model_path, info.ordinary_tokens);
    r.tokens_hash = ev.hash;
    r.n_vocab = info.vocab_size;

    std::optional<ReferenceReader> ref;
    if (!c.reference) {
      if (!std::filesystem::exists(reference_file))
        throw std::runtime_error(fmt::format("the reference ({} {}) stored no log-probabilities: its case failed or was "
                                             "skipped (see its record)", c.ref_model, c.reference_label()));
      ref.emplace(reference_file);  // before loading: a candidate without its reference has nothing to do
      check_same_input(ref->header(), info, ev);
    }
    LoadRequest req;
    req.model_path = r.model_path;
    req.device = c.device;
    req.precision = c.precision;
    req.threads = c.threads;
    req.n_ctx = c.n_ctx;
    req.all_logits = true;
    // The KV cache at f32 where the weights are f32 (the framework's default elsewhere): the reference
    // is then the full-precision function, and an f32 candidate on its backend reproduces it exactly.
    req.kv_at_precision = true;
    if (const Support s = backend->supports(req); !s.ok) throw Unsupported(s.reason);
    auto session = backend->load(req);
    const ModelFacts facts = session->facts();
    r.backend_version = backend->version();
    r.device_name = facts.device_name;
    r.model_bytes = facts.bytes;
    r.bits_per_weight = facts.n_params ? 8.0 * double(facts.bytes) / double(facts.n_params) : 0;
    r.extra = facts.extra;

    const size_t V = size_t(info.vocab_size), S = size_t(ev.n_scored());
    const double noise = perturbation_for(c.label());
    std::mt19937_64 rng(c.seed);
    std::normal_distribution<float> gauss(0.f, float(noise));
    std::optional<ReferenceWriter> writer;
    if (c.reference) writer.emplace(reference_file, ReferenceHeader{uint32_t(V), uint32_t(c.n_ctx), uint32_t(S),
                                                                    uint32_t(ev.windows.size()), ev.hash});
    std::vector<float> lp(c.reference ? S * V : 0);
    KlAccumulator acc;
    const double t0 = steady_clock().now_s();
    for (size_t w = 0; w < ev.windows.size(); ++w) {
      report_progress(fmt::format("window {}/{}", w + 1, ev.windows.size()));
      session->reset();
      session->prefill({ev.windows[w]});
      std::vector<float> logits = session->prefill_logits(0);
      if (logits.size() != size_t(c.n_ctx) * V)
        throw std::runtime_error(fmt::format("{} returned {} logits per position where the vocabulary has {}", c.backend,
                                             logits.size() / size_t(c.n_ctx), V));
      if (noise > 0)
        for (float& v : logits) v += gauss(rng);
      const std::vector<Token>& toks = ev.windows[w];
      if (c.reference) {
        for (size_t j = 0; j < S; ++j) {
          const size_t pos = size_t(ev.first) + j;
          const std::span<float> row(lp.data() + j * V, V);
          log_softmax(std::span<const float>(logits.data() + pos * V, V), row);
          acc.add_reference(row, toks[pos + 1]);
        }
        writer->add_window(lp);
      } else {
        const std::span<const float> ref_w = ref->window(uint32_t(w));
        for (size_t j = 0; j < S; ++j) {
          const size_t pos = size_t(ev.first) + j;
          acc.add(ref_w.subspan(j * V, V), std::span<const float>(logits.data() + pos * V, V), toks[pos + 1]);
        }
      }
    }
    if (writer) writer->close();
    r.eval_s = seconds_since(steady_clock(), t0);
    r.metrics = acc.metrics();
  }

  // The candidate must score the reference's tokens over the reference's vocabulary.
  static void check_same_input(const ReferenceHeader& h, const GgufInfo& info, const EvalWindows& ev) {
    if (h.n_vocab != uint32_t(info.vocab_size))
      throw std::runtime_error(fmt::format("vocabulary differs from the reference's: {} tokens here, {} in the reference; "
                                           "KL divergence compares distributions over the same tokens",
                                           info.vocab_size, h.n_vocab));
    if (h.tokens_hash != ev.hash || h.n_windows != ev.windows.size())
      throw std::runtime_error(fmt::format("the evaluation tokens differ from the reference's ({} windows, hash {}; the "
                                           "reference: {} windows, hash {}): the tokenizers differ",
                                           ev.windows.size(), ev.hash, h.n_windows, h.tokens_hash));
  }

  std::filesystem::path run_dir_;
  std::function<LlmBackend*(const std::string&)> find_;
};

}  // namespace

std::unique_ptr<SuiteWorker> make_quality_worker(const nlohmann::json& options,
                                                 std::function<LlmBackend*(const std::string&)> find) {
  return std::make_unique<QualityWorker>(options.value("run_dir", std::string(".")), std::move(find));
}

}  // namespace mtb
