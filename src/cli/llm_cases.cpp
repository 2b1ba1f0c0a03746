// `mtb llm`'s case loop: the plan's pending cases through worker processes. Consecutive cases of one
// model on the same backend, device and settings (a sweep over precisions and prompt lengths, say) go
// to one worker: it starts once (a process and, on a GPU, a device context), keeps the weights loaded
// across cases of other lengths and loads the next precision's file in place of the last; every
// record is appended to the run store the moment its line arrives. A worker that dies costs the case it was running: that
// case is recorded as failed with the reason, and the group's remaining cases go to a fresh worker.
#include "cli/llm_cases.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <thread>

#include "core/harness.h"
#include "core/worker.h"
#include "models/gguf_info.h"
#include "models/model_store.h"
#include "cli/progress.h"

namespace mtb::cli {
namespace fs = std::filesystem;
namespace {

// Cases with equal keys can share a worker: they differ in precision and lengths only.
std::string worker_key(const CaseSpec& c) {
  return fmt::format("{}|{}|{}|{}|{}", c.model, c.backend, c.device, c.batch, c.threads);
}

std::string short_result(const Record& r) {
  if (r.status != Status::ok) return fmt::format("{}: {}", to_string(r.status), r.error);
  std::string s;
  if (r.prompt_tps.n) s += fmt::format("pp {:.1f} t/s  ttft {:.1f} ms", r.prompt_tps.mean, r.ttft_s.median * 1e3);
  if (r.gen_tps.n) s += fmt::format("{}tg {:.2f} t/s", s.empty() ? "" : "  ", r.gen_tps.mean);
  return s + fmt::format("  ({:.1f} s)", r.wall_s);
}

// The model file of a case: synthesized once per (model, precision, seed), in this process so its
// progress shows and its cache is shared; a user's GGUF runs as stored.
class ModelFiles {
 public:
  fs::path path_for(const CaseSpec& c) {
    const std::string key = c.model + "|" + c.precision;
    if (!files_.count(key)) {
      const ResolvedModel rm = resolve_model(c.model, c.precision == "file" ? "bf16" : c.precision, c.seed,
                                             progress_line(c.model + " " + c.precision));
      files_[key] = {rm.path, rm.synthetic ? "" : read_gguf_info(rm.path).precision};
    }
    const File& f = files_[key];
    if (looks_like_path(c.model) && c.precision != "file" && f.stored != c.precision)
      throw Unsupported(fmt::format("{} is stored as {}; llama.cpp runs a GGUF as stored (use -t file, or -t {})",
                                    f.path.string(), f.stored.empty() ? "another type" : f.stored,
                                    f.stored.empty() ? "file" : f.stored));
    return f.path;
  }

 private:
  struct File {
    fs::path path;
    std::string stored;  // a user's file: the precision it is stored in (its header read once)
  };
  std::map<std::string, File> files_;
};

}  // namespace

Record failed_record(const CaseSpec& c, Status st, const std::string& why) {
  Record r;
  r.spec = c;
  r.status = st;
  r.error = why;
  r.started_at = utc_now_iso8601();
  return r;
}

CaseLoopResult run_cases(const std::vector<CaseSpec>& cases, std::set<std::string>& done, RunStore& store,
                         const nlohmann::json& backend_options, const CaseLoopOptions& o) {
  const std::string exe = self_exe_path();
  // Redrawn status lines only on a terminal; logs and CI get one line per case.
  const bool show_progress = isatty(STDERR_FILENO) && !o.verbose;
  const int n = static_cast<int>(cases.size());
  CaseLoopResult out;
  ModelFiles files;
  auto header = [&](size_t i) { fmt::print(stderr, "[{}/{}] {} ... ", i + 1, n, cases[i].label()); };
  auto record = [&](const Record& r) {
    if (r.status == Status::failed) ++out.n_failed;
    store.append(r);  // throws on a full disk: what is already appended stays
    done.insert(r.spec.key());
    fmt::print(stderr, "{}\n", short_result(r));
  };

  for (size_t next = 0; next < cases.size();) {
    if (done.count(cases[next].key())) {
      ++next;
      continue;
    }
    if (interrupted()) {
      out.stopped = true;
      break;
    }
    const CaseSpec& first = cases[next];
    // The group: this case and the pending ones after it that can share its worker, each with its
    // model file. A case whose file cannot be had ends the group and is recorded when reached: at
    // once when it is the first.
    std::vector<size_t> group;
    std::vector<std::string> precisions;
    for (size_t j = next; j < cases.size() && worker_key(cases[j]) == worker_key(first); ++j)
      if (!done.count(cases[j].key())) precisions.push_back(cases[j].precision);
    synthesize_ahead(first.model, precisions, first.seed, progress_line(first.model + " bf16"), side_by_side_line(first.model));
    nlohmann::json req = {{"cases", nlohmann::json::array()}, {"cooldown", o.cooldown}};
    for (size_t j = next; j < cases.size() && worker_key(cases[j]) == worker_key(first); ++j) {
      if (done.count(cases[j].key())) continue;
      try {
        req["cases"].push_back({{"case", cases[j]}, {"model_path", files.path_for(cases[j]).string()}});
        group.push_back(j);
      } catch (const std::exception& e) {
        if (j == next) {
          header(next);
          record(failed_record(first, dynamic_cast<const Unsupported*>(&e) ? Status::skipped : Status::failed, e.what()));
        }
        break;
      }
    }
    if (group.empty()) continue;
    // The header after the group's files are made: their progress lines come first, on lines of their own.
    header(next);
    if (backend_options.contains(first.backend)) req["backend_options"] = backend_options[first.backend];

    size_t at = 0;  // index into `group` of the case the worker is running
    double last_wall_s = 0;
    const WorkerResult w = run_worker(
        {exe, "__worker"}, req.dump(), first.timeout_s, o.verbose,
        [&](const std::string& p) {
          if (show_progress && at < group.size())
            fmt::print(stderr, "\r\033[K[{}/{}] {} ... {}", group[at] + 1, n, cases[group[at]].label(), p);
        },
        [&](const std::string& line) {
          if (at >= group.size()) return;  // more lines than cases: nothing to file them under
          if (show_progress) {
            fmt::print(stderr, "\r\033[K");
            header(group[at]);
          }
          Record r;
          try {
            r = nlohmann::json::parse(line).get<Record>();
          } catch (const std::exception& e) {
            r = failed_record(cases[group[at]], Status::failed, fmt::format("unreadable worker result: {}", e.what()));
          }
          record(r);
          last_wall_s = r.wall_s;
          if (++at < group.size()) header(group[at]);
        });
    if (show_progress) fmt::print(stderr, "\r\033[K");
    if (w.interrupted) {
      if (show_progress && at < group.size()) header(group[at]);
      fmt::print(stderr, "interrupted\n");
      out.stopped = true;
      break;
    }
    if (at < group.size()) {  // the worker ended before its last case: that case failed
      if (show_progress) header(group[at]);
      Record r = failed_record(cases[group[at]], Status::failed, w.failure_reason());
      r.wall_s = w.timed_out ? w.timed_out_after_s : w.wall_s;
      record(r);
      last_wall_s = r.wall_s;
    }
    next = group.front();  // the loop skips what is done and regroups what is left
    if (o.cooldown > 0 && last_wall_s > 0 && done.size() < cases.size())
      std::this_thread::sleep_for(std::chrono::duration<double>(o.cooldown * last_wall_s));
  }
  return out;
}

}  // namespace mtb::cli
