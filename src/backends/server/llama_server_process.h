// --spawn-llama-server: the pinned tree's llama-server as a child of the worker (one per case, so a
// case's server shares nothing with the next), on a free loopback port, stopped with the session.
#pragma once
#include <cstdint>
#include <sys/types.h>

#include <string>
#include <vector>

namespace mtb::server {

struct LlamaServerArgs {
  std::string binary;  // path to llama-server
  std::string model_path;
  std::string device;  // "cpu": no layers, KV cache or ops offloaded; else all layers on the GPU
  int threads = 1;
  int n_ctx = 0;       // per slot
  int n_parallel = 1;  // slots served at once (-np); -c is n_ctx x n_parallel, llama-server splitting it
  int n_batch = 2048, n_ubatch = 512;
  double startup_timeout_s = 120;
};

// The binary to run: `configured` when set, else the llama-server built beside this mtb.
std::string find_llama_server(const std::string& configured);

class LlamaServerProcess {
 public:
  explicit LlamaServerProcess(const LlamaServerArgs& a);  // returns once /health says ok; throws with the log's tail
  ~LlamaServerProcess();                                  // SIGTERM, then SIGKILL after 5 s
  LlamaServerProcess(const LlamaServerProcess&) = delete;
  LlamaServerProcess& operator=(const LlamaServerProcess&) = delete;

  std::string url() const;  // "http://127.0.0.1:<port>"
  const std::vector<std::string>& argv() const { return argv_; }
  // The server's peak resident set so far (Linux VmHWM); 0 where /proc is not there. The worker's
  // own peak (Record::peak_rss_bytes) does not include it: the model lives in this process.
  uint64_t peak_rss_bytes() const;

 private:
  void wait_healthy(double timeout_s);
  std::string log_tail() const;
  void stop();

  pid_t pid_ = -1;
  int port_ = 0;
  std::string log_path_;
  std::vector<std::string> argv_;
};

}  // namespace mtb::server
