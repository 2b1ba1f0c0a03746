#include "core/worker.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <stdexcept>
#ifdef __APPLE__
#include <mach-o/dyld.h>
#endif

namespace mtb {
namespace {

std::atomic<int> g_signals{0};

void on_signal(int) {
  if (g_signals.fetch_add(1) >= 1) _exit(130);  // second Ctrl-C: leave now
}

void set_cloexec(int fd) { fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC); }
void set_nonblock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

constexpr size_t kLogTail = 8192;

}  // namespace

void install_interrupt_handler() {
  struct sigaction sa{};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

bool interrupted() { return g_signals.load() > 0; }

std::string self_exe_path() {
#ifdef __APPLE__
  char buf[4096];
  uint32_t size = sizeof buf;
  if (_NSGetExecutablePath(buf, &size) == 0) return std::filesystem::canonical(buf).string();
  throw std::runtime_error("cannot find the path of the mtb executable");
#else
  return std::filesystem::read_symlink("/proc/self/exe").string();
#endif
}

std::string WorkerResult::failure_reason() const {
  std::string why;
  if (interrupted) why = "interrupted";
  else if (timed_out) why = fmt::format("timed out after {:.1f} s", timed_out_after_s);
  else if (signal == SIGKILL) why = "killed by SIGKILL (out of memory, or killed from outside)";
  else if (signal) why = fmt::format("crashed: signal {} ({})", signal, strsignal(signal));
  else if (exited && exit_code != 0) why = fmt::format("worker exited with code {}", exit_code);
  else why = "worker produced no result";
  // The last non-empty output line usually names the cause (GGML_ASSERT, std::bad_alloc, ...); the
  // worker's own progress lines ("@progress rep 2/5") say where it was, not why it ended.
  if (interrupted || timed_out) return why;
  std::string tail = log_tail;
  while (!tail.empty()) {
    while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r')) tail.pop_back();
    const size_t nl = tail.rfind('\n');
    const size_t start = nl == std::string::npos ? 0 : nl + 1;
    if (tail.compare(start, strlen(kProgressPrefix), kProgressPrefix) != 0) {
      if (start < tail.size()) why += ": " + tail.substr(start);
      break;
    }
    tail.erase(start);
  }
  return why;
}

std::string read_worker_request() {
  return {std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
}

void write_worker_result(const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    const ssize_t n = ::write(kResultFd, s.data() + off, s.size() - off);
    if (n <= 0) return;  // the parent is gone; nothing to tell
    off += static_cast<size_t>(n);
  }
}

void report_progress(const std::string& line) {
  fmt::print(stderr, "{}{}\n", kProgressPrefix, line);
  fflush(stderr);
}

void crash_if_asked(const std::string& case_label) {
  if (const char* crash = std::getenv("MTB_TEST_CRASH_CASE"); crash && case_label.find(crash) != std::string::npos)
    raise(SIGKILL);
}

WorkerResult run_worker(const std::vector<std::string>& argv, const std::string& input, double timeout_s,
                        bool echo_log, const std::function<void(const std::string&)>& on_progress,
                        const std::function<void(const std::string&)>& on_result) {
  int in_pipe[2], log_pipe[2], res_pipe[2];
  if (pipe(in_pipe) || pipe(log_pipe) || pipe(res_pipe))
    throw std::runtime_error(fmt::format("cannot create pipes for a worker: {}", strerror(errno)));

  const auto t0 = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(fmt::format("cannot start a worker: {}", strerror(errno)));
  if (pid == 0) {
    setpgid(0, 0);  // own process group: the parent decides what a Ctrl-C does to it
#ifdef __linux__
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // a parent killed without warning takes its worker along
#endif
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    dup2(in_pipe[0], 0);
    dup2(log_pipe[1], 1);
    dup2(log_pipe[1], 2);
    dup2(res_pipe[1], kResultFd);
    for (int fd : {in_pipe[0], in_pipe[1], log_pipe[0], log_pipe[1], res_pipe[0], res_pipe[1]})
      if (fd > kResultFd) close(fd);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    dprintf(2, "cannot execute %s: %s\n", args[0], strerror(errno));
    _exit(127);
  }
  setpgid(pid, pid);
  close(in_pipe[0]);
  close(log_pipe[1]);
  close(res_pipe[1]);
  set_cloexec(in_pipe[1]);
  set_cloexec(log_pipe[0]);
  set_cloexec(res_pipe[0]);

  // The request is small (one JSON line): write it whole, then close so the child sees EOF.
  size_t off = 0;
  while (off < input.size()) {
    const ssize_t n = write(in_pipe[1], input.data() + off, input.size() - off);
    if (n <= 0) break;  // the child died early; its status says why
    off += static_cast<size_t>(n);
  }
  close(in_pipe[1]);
  set_nonblock(log_pipe[0]);
  set_nonblock(res_pipe[0]);

  WorkerResult r;
  std::string pending;  // log text not yet split into lines
  bool log_open = true, res_open = true;
  char buf[65536];
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  auto t_last = t0;  // the start, or the last result line: the timeout counts from here
  auto since_last = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t_last).count(); };
  bool killed = false;
  while (log_open || res_open) {
    pollfd fds[2] = {{log_pipe[0], POLLIN, 0}, {res_pipe[0], POLLIN, 0}};
    if (!log_open) fds[0].fd = -1;
    if (!res_open) fds[1].fd = -1;
    const int pr = poll(fds, 2, 100);
    if (pr < 0 && errno != EINTR) break;
    for (int i = 0; i < 2 && pr > 0; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        if (i == 0) {
          if (on_progress) {
            pending.append(buf, static_cast<size_t>(n));
            for (size_t nl; (nl = pending.find('\n')) != std::string::npos; pending.erase(0, nl + 1))
              if (pending.rfind(kProgressPrefix, 0) == 0) on_progress(pending.substr(strlen(kProgressPrefix), nl - strlen(kProgressPrefix)));
          }
          r.log_tail.append(buf, static_cast<size_t>(n));
          if (r.log_tail.size() > 2 * kLogTail) r.log_tail.erase(0, r.log_tail.size() - kLogTail);
          if (echo_log) (void)!write(2, buf, static_cast<size_t>(n));
        } else {
          r.result.append(buf, static_cast<size_t>(n));
          if (on_result)
            for (size_t nl; (nl = r.result.find('\n')) != std::string::npos; r.result.erase(0, nl + 1)) {
              on_result(r.result.substr(0, nl));
              t_last = std::chrono::steady_clock::now();
            }
        }
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        (i == 0 ? log_open : res_open) = false;
      }
    }
    if (!killed && timeout_s > 0 && since_last() > timeout_s) {
      r.timed_out = true;
      r.timed_out_after_s = since_last();
      kill(-pid, SIGKILL);
      killed = true;
    }
    if (!killed && interrupted()) {
      r.interrupted = true;
      kill(-pid, SIGKILL);
      killed = true;
    }
  }
  close(log_pipe[0]);
  close(res_pipe[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  kill(-pid, SIGKILL);  // anything the worker left behind in its group
  r.wall_s = elapsed();
  if (WIFEXITED(status)) {
    r.exited = true;
    r.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    r.signal = WTERMSIG(status);
  }
  if (r.log_tail.size() > kLogTail) r.log_tail.erase(0, r.log_tail.size() - kLogTail);
  return r;
}

}  // namespace mtb
