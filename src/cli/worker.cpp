// `mtb __worker`: the child side of every suite. Reads one WorkerRequest (core/worker_protocol.h) on
// stdin, runs its cases through the suite's worker and writes each record (one JSON line) on fd 3 as
// soon as it is measured. Never called by users.
#include <fmt/format.h>

#include "cli/commands.h"
#include "core/worker.h"
#include "core/worker_protocol.h"
#include "llm/llm_worker.h"
#include "models/model_store.h"
#include "ops/op_worker.h"
#include "quality/quality_worker.h"

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

// One line per suite.
std::unique_ptr<SuiteWorker> suite_worker(const WorkerRequest& req) {
  if (req.suite == "llm") return make_llm_worker(req.options, find_llm_backend);
  if (req.suite == "quality") return make_quality_worker(req.options, find_llm_backend);
  if (req.suite == "ops") return ops::make_op_worker(req.options, find_op_backend, device_calibration);
  throw std::runtime_error(fmt::format("no worker for suite '{}'", req.suite));
}

int run_worker_request() {
  const WorkerRequest req = nlohmann::json::parse(read_worker_request()).get<WorkerRequest>();
  return serve_worker_request(req, *suite_worker(req));
}

}  // namespace

void add_worker(CLI::App& app) {
  auto* cmd = app.add_subcommand("__worker", "");  // empty description: hidden from --help
  cmd->group("");
  cmd->callback([] { exit_code() = run_worker_request(); });
}

}  // namespace mtb::cli
