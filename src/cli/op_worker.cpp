// `mtb __op_worker`: the child side of an `mtb ops` case. Reads {case, reference_cache} (JSON) on
// stdin, runs the op harness, writes the record (JSON) on fd 3. Never called by users.
#include <fmt/format.h>

#include "backends/op_backend.h"
#include "cli/commands.h"
#include "core/worker.h"
#include "models/model_store.h"
#include "ops/op_harness.h"

namespace mtb::cli {
namespace {

// The device's ceilings from `mtb info --calibrate`, whichever backend described the device there.
std::optional<Calibration> device_calibration(const std::string& device) {
  std::vector<std::string> descriptions;
  for (const auto& b : op_backends())
    for (const auto& d : b->devices())
      if (d.name == device) descriptions.push_back(d.description);
  for (const auto& b : llm_backends())
    for (const auto& d : b->devices())
      if (d.name == device) descriptions.push_back(d.description);
  for (const auto& desc : descriptions)
    if (auto c = load_calibration(calibration_file(), desc)) return c;
  return std::nullopt;
}

int run_op_worker_request() {
  const nlohmann::json req = nlohmann::json::parse(read_worker_request());
  ops::OpRecord r;
  r.spec = req.at("case").get<ops::OpCase>();
  try {
    OpBackend* backend = find_op_backend(r.spec.backend);
    if (!backend) throw std::runtime_error(fmt::format("backend '{}' is not compiled into this mtb", r.spec.backend));
    ops::OpContext ctx;
    ctx.calibration = device_calibration(r.spec.device);
    ctx.reference_cache = req.value("reference_cache", "");
    crash_if_asked(r.spec.label());
    r = ops::run_op_case(*backend, r.spec, ctx, report_progress);
  } catch (const std::exception& e) {
    r.status = Status::failed;
    r.error = e.what();
  }
  write_worker_result(nlohmann::json(r).dump());
  return 0;
}

}  // namespace

void add_op_worker(CLI::App& app) {
  auto* cmd = app.add_subcommand("__op_worker", "");  // empty description: hidden from --help
  cmd->group("");
  cmd->callback([] { exit_code() = run_op_worker_request(); });
}

}  // namespace mtb::cli
