// Runs one case in a child process (this same binary, re-executed): peak memory is per case, and a
// crash, out-of-memory kill or timeout ends that case, not the run.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace mtb {

struct WorkerResult {
  bool exited = false;   // exited normally (see exit_code)
  int exit_code = -1;
  int signal = 0;        // the signal that ended it, if any
  bool timed_out = false;
  double timed_out_after_s = 0;  // the time without a result that the limit ended
  bool interrupted = false;  // the user pressed Ctrl-C: the case is not recorded
  std::string result;    // what the child wrote to its result pipe (one JSON document), less the
                         // lines handed to on_result
  std::string log_tail;  // last lines of the child's stdout/stderr, for error messages
  double wall_s = 0;

  // One line saying why the child produced no result ("killed by signal 9 (out of memory?)" ...).
  std::string failure_reason() const;
};

// Lines a worker prints with this prefix are progress ("rep 2/5"), handed to `on_progress`.
inline constexpr const char* kProgressPrefix = "@progress ";

// Starts `argv` with `input` on its stdin and a result pipe as fd 3. `timeout_s` <= 0: no limit.
// `echo_log`: also copy the child's output to our stderr as it arrives.
// `on_result` (optional): a child that runs several cases writes one result line per case; each
// complete line is handed over as it arrives, and `timeout_s` then counts from the last one (a
// limit per case, not per worker).
WorkerResult run_worker(const std::vector<std::string>& argv, const std::string& input, double timeout_s,
                        bool echo_log, const std::function<void(const std::string&)>& on_progress = {},
                        const std::function<void(const std::string&)>& on_result = {});

// Fd on which a worker writes its result.
inline constexpr int kResultFd = 3;

// The child side, shared by every worker subcommand: the request (all of stdin), a result written
// whole to kResultFd (nothing when the parent is gone), a progress line for the parent's status
// display, and the test hook MTB_TEST_CRASH_CASE (a worker whose case label contains it dies as the
// out-of-memory killer would kill it, so tests can prove the run survives).
std::string read_worker_request();
void write_worker_result(const std::string& s);
void report_progress(const std::string& line);
void crash_if_asked(const std::string& case_label);

// Ctrl-C/SIGTERM handling for the parent: the first signal sets the flag (run_worker kills the
// child and returns `interrupted`); a second one exits at once.
void install_interrupt_handler();
bool interrupted();

// Path of the running executable (for re-exec).
std::string self_exe_path();

}  // namespace mtb
