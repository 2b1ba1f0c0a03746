#include "llm/llm_worker.h"

#include <fmt/format.h>

#include <fstream>
#include <iterator>

#include "core/worker.h"
#include "llm/harness.h"
#include "models/gguf_info.h"
#include "models/model_store.h"
#include "models/tokenize.h"

namespace mtb {
namespace {

class LlmWorker final : public SuiteWorker {
 public:
  LlmWorker(nlohmann::json options, std::function<LlmBackend*(const std::string&)> find)
      : options_(std::move(options)), find_(std::move(find)) {}

  nlohmann::json run(const nlohmann::json& item) override {
    Record r = run_one(item);
    out_of_memory_ = r.status == Status::failed && r.error.rfind("out of memory", 0) == 0;
    return r;
  }
  // After an out-of-memory case the next one, small as it may be, failed in the same process too
  // (under an 800 MB limit: what the failed allocation's neighbours held stayed with the heap).
  bool retire() const override { return out_of_memory_; }

 private:
  // Measures one case with the worker's kept model.
  Record run_one(const nlohmann::json& item) {
    CaseInput in;
    in.spec = item.at("case").get<CaseSpec>();
    in.model_path = item.at("model_path").get<std::string>();
    in.backend_options = options_.value(in.spec.backend, nlohmann::json::object());
    Record r;
    r.spec = in.spec;
    r.model_path = in.model_path;
    LlmBackend* backend = find_(in.spec.backend);
    try {
      if (!backend) throw std::runtime_error(fmt::format("backend '{}' is not compiled into this mtb", in.spec.backend));
      const GgufInfo info = read_gguf_info(in.model_path);
      in.vocab = info.ordinary_tokens;
      in.n_ctx_train = info.n_ctx_train;
      in.shape = info.shape;
      // The ceilings `mtb info --calibrate` measured for this device, if it has been run.
      for (const auto& d : backend->devices())
        if (d.name == in.spec.device && !in.calibration) in.calibration = load_calibration(calibration_file(), d.description);
      // A case too long for the model is skipped by run_case before it draws a token; its text too.
      if (!in.spec.prompt_file.empty() && beyond_context(in.spec, in.n_ctx_train).empty()) {
        std::ifstream f(in.spec.prompt_file, std::ios::binary);
        if (!f) throw std::runtime_error(fmt::format("cannot read --prompt-file {}", in.spec.prompt_file));
        const std::string text{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
        in.text_prompt = rows_from_text(tokenize_text(in.model_path, text), in.spec.batch, in.spec.n_prompt);
      }
      crash_if_asked(in.spec.label());
      r = run_case(*backend, in, report_progress, &keep_);
    } catch (const std::exception& e) {
      r.status = Status::failed;
      r.error = e.what();
    }
    return r;
  }

  nlohmann::json options_;
  std::function<LlmBackend*(const std::string&)> find_;
  LoadedModel keep_;
  bool out_of_memory_ = false;
};

}  // namespace

std::unique_ptr<SuiteWorker> make_llm_worker(const nlohmann::json& options,
                                             std::function<LlmBackend*(const std::string& name)> find) {
  return std::make_unique<LlmWorker>(options, std::move(find));
}

}  // namespace mtb
