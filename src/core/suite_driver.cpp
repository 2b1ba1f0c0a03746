#include "core/suite_driver.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <set>

#include "build_info.h"
#include "core/clock.h"
#include "core/device.h"
#include "core/worker.h"
#include "core/worker_protocol.h"

namespace mtb {
namespace {

class CaseLoop {
 public:
  CaseLoop(const Suite& s, RunStore& store, const DriverOptions& o, std::set<std::string>& done)
      : s_(s), store_(store), o_(o), done_(done), exe_(self_exe_path()),
        // Redrawn status lines only on a terminal; logs and CI get one line per case.
        show_progress_(isatty(STDERR_FILENO) && !o.verbose) {}

  // Every pending case, in plan order; false when Ctrl-C stopped it.
  bool run() {
    for (size_t next = 0; next < s_.cases.size();) {
      if (pending(next) && interrupted()) return false;
      if (!pending(next)) {
        ++next;
        continue;
      }
      if (!run_worker_from(next)) return false;
      // The loop skips what is done and regroups what is left (after a worker died mid-group).
    }
    return true;
  }

  int n_failed() const { return n_failed_; }

 private:
  bool pending(size_t i) const { return !done_.count(s_.keys[i]); }

  void header(size_t i) const { fmt::print(stderr, "[{}/{}] {} ... ", i + 1, s_.cases.size(), s_.labels[i]); }

  void record(const nlohmann::json& r) {
    if (r.value("status", "") == to_string(Status::failed)) ++n_failed_;
    store_.append_line(r);  // throws on a full disk: what is already appended stays
    done_.insert(s_.key_of(r));
    fmt::print(stderr, "{}\n", s_.summary(r));
  }

  // The worker's group: `first` and the pending cases after it that may share its worker.
  std::vector<size_t> group_from(size_t first) const {
    std::vector<size_t> g{first};
    if (!s_.same_worker) return g;
    for (size_t j = first + 1; j < s_.cases.size() && s_.same_worker(first, j); ++j)
      if (pending(j)) g.push_back(j);
    return g;
  }

  // One worker for the group starting at `first`; false when interrupted.
  bool run_worker_from(size_t first) {
    std::vector<size_t> wanted = group_from(first);
    if (s_.prepare) s_.prepare(wanted);
    // A case whose item cannot be had ends the group and is recorded when reached: at once when it
    // is the first.
    WorkerRequest req{s_.name, {}, o_.cooldown, true, s_.worker_options};
    req.options["run_dir"] = store_.dir().string();
    std::vector<size_t> group;
    for (size_t j : wanted) {
      try {
        req.cases.push_back(s_.item(j));
        group.push_back(j);
      } catch (const std::exception& e) {
        if (j == first) {
          header(first);
          record(s_.unrun(first, dynamic_cast<const Unsupported*>(&e) ? Status::skipped : Status::failed, e.what()));
        }
        break;
      }
    }
    if (group.empty()) return true;
    bool later = false;  // does a pending case follow the group? Then the worker cools down after its last.
    for (size_t j = group.back() + 1; j < s_.cases.size() && !later; ++j) later = pending(j);
    req.cool_after_last = later;
    // The header after the group's preparation: its progress lines come first, on lines of their own.
    header(first);

    size_t at = 0;  // index into `group` of the case the worker is running
    const WorkerResult w = run_worker(
        {exe_, "__worker"}, nlohmann::json(req).dump(), s_.timeouts[first], o_.verbose,
        [&](const std::string& p) {
          if (show_progress_ && at < group.size())
            fmt::print(stderr, "\r\033[K[{}/{}] {} ... {}", group[at] + 1, s_.cases.size(), s_.labels[group[at]], p);
        },
        [&](const std::string& line) {
          if (at >= group.size()) return;  // more lines than cases: nothing to file them under
          if (show_progress_) {
            fmt::print(stderr, "\r\033[K");
            header(group[at]);
          }
          nlohmann::json r;
          try {
            r = nlohmann::json::parse(line);
            if (s_.key_of(r) != s_.keys[group[at]]) throw std::runtime_error("a record of another case");
          } catch (const std::exception& e) {
            r = s_.unrun(group[at], Status::failed, fmt::format("unreadable worker result: {}", e.what()));
          }
          record(r);
          if (++at < group.size()) header(group[at]);
        });
    if (show_progress_) fmt::print(stderr, "\r\033[K");
    if (w.interrupted) {
      if (show_progress_ && at < group.size()) header(group[at]);
      fmt::print(stderr, "interrupted\n");
      return false;
    }
    // A worker that retired after a recorded case: the cases left go to a fresh one.
    if (at > 0 && at < group.size() && w.exited && w.exit_code == kWorkerRetiredExit) return true;
    if (at < group.size()) {  // the worker ended before its last case: that case failed
      if (show_progress_) header(group[at]);
      nlohmann::json r = s_.unrun(group[at], Status::failed, w.failure_reason());
      r["wall_s"] = w.timed_out ? w.timed_out_after_s : w.wall_s;
      record(r);
    }
    return true;
  }

  const Suite& s_;
  RunStore& store_;
  const DriverOptions& o_;
  std::set<std::string>& done_;
  const std::string exe_;
  const bool show_progress_;
  int n_failed_ = 0;
};

std::string host_name() {
  char name[256] = {};
  return ::gethostname(name, sizeof(name) - 1) == 0 ? std::string(name) : std::string("unknown");
}

RunStore new_run(const Suite& s, const DriverOptions& o, const std::optional<PlanShard>& shard, size_t plan_cases) {
  nlohmann::json settings = o.settings;
  if (shard) settings["shard"] = shard_settings(*shard, plan_cases, host_name());
  settings["contributor"] = std::getenv("USER") ? std::getenv("USER") : "";
  settings["git_commit"] = build::kCommit;
  settings["command"] = o.argv;
  settings["plan"]["cases"] = s.cases;
  settings["finished"] = false;
  return RunStore::create(o.measurements, s.kind, o.hardware, settings, s.csv);
}

// A shard's host joins the folder's list when it resumes the shard (a task requeued on another node).
void note_resuming_host(RunStore& store) {
  const std::string host = host_name();
  nlohmann::json hosts = store.settings()["shard"].value("hosts", nlohmann::json::array());
  if (std::find(hosts.begin(), hosts.end(), host) == hosts.end()) hosts.push_back(host);
  store.update_settings({{"shard", {{"host", host}, {"hosts", hosts}}}});
}

}  // namespace

std::vector<std::string> shard_units(const Suite& s) { return s.units.empty() ? s.keys : s.units; }

Suite restrict_suite(const Suite& s, const std::vector<size_t>& keep) {
  Suite r = s;
  r.cases.clear(), r.keys.clear(), r.labels.clear(), r.timeouts.clear(), r.units.clear();
  for (size_t i : keep) {
    r.cases.push_back(s.cases[i]);
    r.keys.push_back(s.keys[i]);
    r.labels.push_back(s.labels[i]);
    r.timeouts.push_back(s.timeouts[i]);
    if (!s.units.empty()) r.units.push_back(s.units[i]);
  }
  const auto at = std::make_shared<const std::vector<size_t>>(keep);
  if (s.item) r.item = [f = s.item, at](size_t i) { return f((*at)[i]); };
  if (s.same_worker) r.same_worker = [f = s.same_worker, at](size_t i, size_t j) { return f((*at)[i], (*at)[j]); };
  if (s.prepare)
    r.prepare = [f = s.prepare, at](const std::vector<size_t>& group) {
      std::vector<size_t> original;
      for (size_t i : group) original.push_back((*at)[i]);
      f(original);
    };
  if (s.unrun) r.unrun = [f = s.unrun, at](size_t i, Status st, const std::string& why) { return f((*at)[i], st, why); };
  return r;
}

int run_suite(const Suite& whole, std::optional<RunStore> resumed, const DriverOptions& o) {
  install_interrupt_handler();
  if (whole.cases.empty()) throw std::runtime_error("the plan is empty");
  // A shard runs its slice of the plan: a new one as asked, a resumed one as its settings.json says.
  std::optional<PlanShard> shard = o.shard;
  if (resumed && resumed->settings().contains("shard")) shard = plan_shard_from_json(resumed->settings()["shard"]);
  const Suite s = shard ? restrict_suite(whole, cases_of_shard(shard_units(whole), shard->shard)) : whole;
  if (shard) {
    fmt::print(stderr, "Shard {}/{} of plan {}: {} of its {} cases\n", shard->shard.index, shard->shard.count,
               shard->plan_hash.substr(0, 12), s.cases.size(), whole.cases.size());
    if (s.cases.empty()) {
      // No folder either: an empty shard has no case that plan-status could count as missing.
      fmt::print(stderr, "Nothing to run: the plan has fewer units (model files) than shards.\n");
      return 0;
    }
  }
  std::set<std::string> done;
  if (resumed) {
    for (const auto& r : resumed->load_lines()) done.insert(s.key_of(r));
    fmt::print(stderr, "Resuming {}: {} of {} cases already done\n", resumed->dir().string(), done.size(), s.cases.size());
    if (shard) note_resuming_host(*resumed);
  }
  RunStore store = resumed ? std::move(*resumed) : new_run(s, o, shard, whole.cases.size());
  fmt::print(stderr, "Plan:\n{}\nRun folder: {}\n", s.description, store.dir().string());

  CaseLoop loop(s, store, o, done);
  const bool stopped = !loop.run();

  const std::vector<nlohmann::json> all = store.load_lines();
  if (s.finish) s.finish(all, store.dir());
  store.update_settings({{"finished", !stopped && all.size() >= s.cases.size()}, {"finished_at", utc_now_iso8601()}});
  fmt::print("{}", s.format(all, o.output));
  fmt::print(stderr, "\nResults: {}\n", store.dir().string());
  if (o.report) o.report(store.dir());
  if (stopped) {
    fmt::print(stderr, "Stopped early: {} of {} cases recorded. Finish with: mtb {} --resume '{}'\n", all.size(),
               s.cases.size(), s.name, store.dir().string());
    return 130;
  }
  return loop.n_failed() ? 3 : 0;
}

}  // namespace mtb
