#include "backends/server/llama_server_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>

#include <algorithm>
#include <fmt/ranges.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "core/worker.h"

namespace mtb::server {
namespace fs = std::filesystem;
namespace {

// A port the kernel says is free now. The socket is only bound, never used for HTTP; the port is
// handed to llama-server, and a start that loses the race fails with its log (bind error) shown.
int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("could not open a socket to find a free port");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
  ::close(fd);
  if (!ok) throw std::runtime_error("could not find a free port on 127.0.0.1");
  return ntohs(a.sin_port);
}

}  // namespace

std::string find_llama_server(const std::string& configured) {
  if (!configured.empty()) {
    if (!fs::exists(configured)) throw std::runtime_error(fmt::format("--llama-server {}: no such file", configured));
    return configured;
  }
  // The build tree: llama.cpp puts its tools in <build>/bin, mtb sits in <build>.
  const fs::path beside = fs::path(self_exe_path()).parent_path() / "bin" / "llama-server";
  if (fs::exists(beside)) return beside.string();
#ifdef MTB_LLAMA_SERVER_PATH
  if (fs::exists(MTB_LLAMA_SERVER_PATH)) return MTB_LLAMA_SERVER_PATH;
#endif
  throw std::runtime_error(fmt::format(
      "llama-server not found at {}: build it with `cmake --build build --target llama-server` (or pass --llama-server PATH)",
      beside.string()));
}

LlamaServerProcess::LlamaServerProcess(const LlamaServerArgs& a) {
  port_ = free_loopback_port();
  const bool cpu = a.device == "cpu";
  // The in-process llamacpp backend's settings (llama-bench's): one slot, f16 KV cache, flash
  // attention auto, n_batch/n_ubatch, threads; on the CPU nothing is offloaded.
  const int slots = std::max(1, a.n_parallel);
  argv_ = {a.binary, "-m", a.model_path, "--host", "127.0.0.1", "--port", std::to_string(port_),
           "-t", std::to_string(a.threads), "-tb", std::to_string(a.threads), "-c", std::to_string(a.n_ctx * slots),
           "-b", std::to_string(a.n_batch), "-ub", std::to_string(a.n_ubatch), "-np", std::to_string(slots),
           "-fa", "auto", "-ctk", "f16", "-ctv", "f16", "-ngl", cpu ? "0" : "999", "--no-webui"};
  if (cpu) argv_.insert(argv_.end(), {"--no-kv-offload", "--no-op-offload"});

  char tmpl[] = "/tmp/mtb-llama-server-XXXXXX";
  const int log_fd = ::mkstemp(tmpl);
  if (log_fd < 0) throw std::runtime_error("could not create a log file for llama-server in /tmp");
  log_path_ = tmpl;

  std::vector<char*> cargv;
  for (auto& s : argv_) cargv.push_back(s.data());
  cargv.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ < 0) {
    ::close(log_fd);
    throw std::runtime_error("fork failed while starting llama-server");
  }
  if (pid_ == 0) {
#ifdef __linux__
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // a worker killed for its timeout takes its server along
#endif
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    ::execv(cargv[0], cargv.data());
    _exit(127);
  }
  ::close(log_fd);
  try {
    wait_healthy(a.startup_timeout_s);
  } catch (...) {
    stop();
    throw;
  }
}

LlamaServerProcess::~LlamaServerProcess() {
  stop();
  if (!log_path_.empty()) ::unlink(log_path_.c_str());
}

std::string LlamaServerProcess::url() const { return fmt::format("http://127.0.0.1:{}", port_); }

void LlamaServerProcess::wait_healthy(double timeout_s) {
  httplib::Client c(url());
  c.set_connection_timeout(1, 0);
  c.set_read_timeout(5, 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  // /health answers 503 while the model loads and 200 once it can serve; polled every 50 ms.
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error(fmt::format("llama-server exited during startup ({}); its log ends:\n{}",
                                           WIFEXITED(status) ? fmt::format("exit code {}", WEXITSTATUS(status))
                                                             : fmt::format("signal {}", WTERMSIG(status)),
                                           log_tail()));
    }
    if (auto res = c.Get("/health"); res && res->status == 200) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  throw std::runtime_error(fmt::format("llama-server did not become healthy within {} s (raise --server-startup-timeout); "
                                       "its log ends:\n{}", timeout_s, log_tail()));
}

uint64_t LlamaServerProcess::peak_rss_bytes() const {
  std::ifstream in(fmt::format("/proc/{}/status", pid_));
  for (std::string line; std::getline(in, line);)
    if (line.starts_with("VmHWM:")) return std::stoull(line.substr(6)) * 1024;  // "VmHWM:   123456 kB"
  return 0;
}

std::string LlamaServerProcess::log_tail() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string s = ss.str();
  return s.size() > 1500 ? s.substr(s.size() - 1500) : s;
}

void LlamaServerProcess::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 100; ++i) {  // 5 s for a clean exit
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

}  // namespace mtb::server
