#include "ops/op_worker.h"

#include <fmt/format.h>

#include "core/worker.h"
#include "ops/op_harness.h"

namespace mtb::ops {
namespace {

class OpWorker final : public SuiteWorker {
 public:
  OpWorker(const nlohmann::json& options, std::function<OpBackend*(const std::string&)> find,
           std::function<std::optional<Calibration>(const std::string&)> calibration)
      : find_(std::move(find)), calibration_(std::move(calibration)) {
    ctx_.reference_cache = options.value("reference_cache", "");
  }

  nlohmann::json run(const nlohmann::json& item) override {
    OpRecord r;
    r.spec = item.at("case").get<OpCase>();
    try {
      OpBackend* backend = find_(r.spec.backend);
      if (!backend) throw std::runtime_error(fmt::format("backend '{}' is not compiled into this mtb", r.spec.backend));
      OpContext ctx = ctx_;
      ctx.calibration = calibration_(r.spec.device);
      crash_if_asked(r.spec.label());
      r = run_op_case(*backend, r.spec, ctx, report_progress);
    } catch (const std::exception& e) {
      r.status = Status::failed;
      r.error = e.what();
    }
    return r;
  }

 private:
  std::function<OpBackend*(const std::string&)> find_;
  std::function<std::optional<Calibration>(const std::string&)> calibration_;
  OpContext ctx_;
};

}  // namespace

std::unique_ptr<SuiteWorker> make_op_worker(const nlohmann::json& options,
                                            std::function<OpBackend*(const std::string& name)> find,
                                            std::function<std::optional<Calibration>(const std::string& device)> calibration) {
  return std::make_unique<OpWorker>(options, std::move(find), std::move(calibration));
}

}  // namespace mtb::ops
