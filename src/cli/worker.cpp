// `mtb __worker`: the child side of `mtb llm`. Reads one request (JSON) on stdin: cases of one model
// on one backend and device, each with its model file. Runs them in order through the harness, which
// keeps the weights loaded across cases of the same file, and writes each record (one JSON line) on
// fd 3 as soon as it is measured. Never called by users.
#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <thread>

#include "backends/backend.h"
#include "cli/commands.h"
#include "core/harness.h"
#include "core/worker.h"
#include "models/gguf_info.h"
#include "models/model_store.h"
#include "models/tokenize.h"

namespace mtb::cli {
namespace {

// Measures one case of the request with the worker's kept model.
Record run_one(const nlohmann::json& req, const nlohmann::json& item, LoadedModel& keep) {
  CaseInput in;
  in.spec = item.at("case").get<CaseSpec>();
  in.model_path = item.at("model_path").get<std::string>();
  in.backend_options = req.value("backend_options", nlohmann::json::object());
  Record r;
  r.spec = in.spec;
  r.model_path = in.model_path;
  LlmBackend* backend = find_llm_backend(in.spec.backend);
  try {
    if (!backend) throw std::runtime_error(fmt::format("backend '{}' is not compiled into this mtb", in.spec.backend));
    const GgufInfo info = read_gguf_info(in.model_path);
    in.vocab = info.ordinary_tokens;
    in.n_ctx_train = info.n_ctx_train;
    in.shape = info.shape;
    // The ceilings `mtb info --calibrate` measured for this device, if it has been run.
    for (const auto& d : backend->devices())
      if (d.name == in.spec.device && !in.calibration)
        in.calibration = load_calibration(calibration_file(), d.description);
    if (!in.spec.prompt_file.empty()) {
      std::ifstream f(in.spec.prompt_file, std::ios::binary);
      if (!f) throw std::runtime_error(fmt::format("cannot read --prompt-file {}", in.spec.prompt_file));
      const std::string text{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
      in.text_prompt = rows_from_text(tokenize_text(in.model_path, text), in.spec.batch, in.spec.n_prompt);
    }
    crash_if_asked(in.spec.label());
    r = run_case(*backend, in, report_progress, &keep);
  } catch (const std::exception& e) {
    r.status = Status::failed;
    r.error = e.what();
  }
  return r;
}

int run_worker_request() {
  const nlohmann::json req = nlohmann::json::parse(read_worker_request());
  const double cooldown = req.value("cooldown", 0.0);
  const nlohmann::json& cases = req.at("cases");
  LoadedModel keep;
  for (size_t i = 0; i < cases.size(); ++i) {
    const Record r = run_one(req, cases[i], keep);
    write_worker_result(nlohmann::json(r).dump() + "\n");
    // The ancestor's pause between cases, a fraction of the case's time (the parent pauses after
    // the worker's last case).
    if (i + 1 < cases.size() && cooldown > 0 && r.wall_s > 0)
      std::this_thread::sleep_for(std::chrono::duration<double>(cooldown * r.wall_s));
  }
  return 0;
}

}  // namespace

void add_worker(CLI::App& app) {
  auto* cmd = app.add_subcommand("__worker", "");  // empty description: hidden from --help
  cmd->group("");
  cmd->callback([] { exit_code() = run_worker_request(); });
}

}  // namespace mtb::cli
