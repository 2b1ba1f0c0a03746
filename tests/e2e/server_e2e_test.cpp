// `mtb llm -b server` end to end: against the pinned llama-server (spawned by mtb, or started here
// on 127.0.0.1), and against a fake server in this process that fails in every way a server can.
#include <gtest/gtest.h>
#include <httplib.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <thread>

#include "e2e_util.h"

using namespace e2e;
namespace fs = std::filesystem;
using nlohmann::json;

#define EXPECT_CONTAINS(haystack, needle) EXPECT_NE((haystack).find(needle), std::string::npos) << (haystack)

namespace {

std::string tiny_model() {
  const Result path = run_mtb("models --path tiny -t f32 2>/dev/null");
  return path.out.substr(0, path.out.find('\n'));
}

const mtb::Record& by_prompt(const std::vector<mtb::Record>& recs, int n_prompt, const std::string& backend = "server") {
  for (const auto& r : recs)
    if (r.spec.n_prompt == n_prompt && r.spec.backend == backend) return r;
  throw std::runtime_error("no record for p" + std::to_string(n_prompt) + " " + backend);
}

std::string sse(const json& j) { return "data: " + j.dump() + "\n\n"; }

// A llama-server look-alike on 127.0.0.1 whose behaviour depends on the prompt's length, so one run
// meets every failure and then a good server:
//   8: HTTP 500   9: closes mid-stream   10: never answers   11: malformed message
//   12: stops at EOS after 2 tokens      other lengths: a correct stream with its own timings.
class FakeLlamaServer {
 public:
  FakeLlamaServer() {
    svr_.Post("/completion", [this](const httplib::Request& req, httplib::Response& res) { handle(req, res); });
    port_ = svr_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { svr_.listen_after_bind(); });
    for (int i = 0; i < 200 && !svr_.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ~FakeLlamaServer() {
    {
      std::lock_guard lock(m_);
      stopping_ = true;
    }
    cv_.notify_all();
    svr_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<json> bodies() {
    std::lock_guard lock(m_);
    return bodies_;
  }
  std::vector<std::string> auth_headers() {
    std::lock_guard lock(m_);
    return auth_;
  }

 private:
  void handle(const httplib::Request& req, httplib::Response& res) {
    const json body = json::parse(req.body);
    {
      std::lock_guard lock(m_);
      bodies_.push_back(body);
      auth_.push_back(req.get_header_value("Authorization"));
    }
    const int n = static_cast<int>(body.at("prompt").size());
    const int n_predict = body.at("n_predict").get<int>();
    if (n == 8) {
      res.status = 500;
      res.set_content(R"({"error":{"message":"the fake server ran out of memory"}})", "application/json");
    } else if (n == 9) {
      res.set_chunked_content_provider("text/event-stream", [](size_t, httplib::DataSink& sink) {
        const std::string one = sse({{"content", "a"}, {"tokens", {1000}}, {"stop", false}, {"tokens_predicted", 1}});
        sink.write(one.data(), one.size());
        return false;  // the connection drops mid-stream
      });
    } else if (n == 10) {
      std::unique_lock lock(m_);
      cv_.wait_for(lock, std::chrono::seconds(30), [this] { return stopping_; });  // bounded: never answers in time
    } else {
      std::string out;
      const int produced = n == 12 ? 2 : n_predict;
      if (n == 11) out += "data: {\"content\": \"a\", \"tok\n\n";
      for (int i = 0; i < produced && n != 11; ++i)
        out += sse({{"content", "x"}, {"tokens", {1000 + i}}, {"stop", false}, {"tokens_predicted", i + 1}, {"tokens_evaluated", n}});
      out += sse({{"content", ""},
                  {"stop", true},
                  {"stop_type", n == 12 ? "eos" : "limit"},
                  {"tokens_predicted", produced},
                  {"tokens_evaluated", n},
                  {"timings", {{"prompt_n", n}, {"prompt_ms", 1.5}, {"cache_n", 0}, {"predicted_n", produced}, {"predicted_ms", 3.0}}}});
      res.set_chunked_content_provider("text/event-stream", [out](size_t, httplib::DataSink& sink) {
        // token by token, as a server generates
        for (size_t at = 0; at < out.size();) {
          const size_t end = out.find("\n\n", at) + 2;
          sink.write(out.data() + at, end - at);
          at = end;
          std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        sink.done();
        return true;
      });
    }
  }

  httplib::Server svr_;
  int port_ = 0;
  std::thread thread_;
  std::mutex m_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::vector<json> bodies_;
  std::vector<std::string> auth_;
};

// A port free now (bound, noted, released; llama-server binds it a moment later).
int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

// The pinned llama-server, started by the test on a free 127.0.0.1 port.
class LlamaServer {
 public:
  explicit LlamaServer(const std::string& model) {
    port_ = free_port();
    log_ = (fs::path(MTB_TEST_TMP) / ("llama-server-" + std::to_string(port_) + ".log")).string();
    pid_ = fork();
    if (pid_ == 0) {
      if (!freopen(log_.c_str(), "w", stdout)) _exit(126);
      dup2(STDOUT_FILENO, STDERR_FILENO);
      execl(MTB_LLAMA_SERVER, MTB_LLAMA_SERVER, "-m", model.c_str(), "--host", "127.0.0.1", "--port",
            std::to_string(port_).c_str(), "-c", "256", "-np", "1", "-t", "2", "--no-webui", nullptr);
      _exit(127);
    }
    httplib::Client c(url());
    c.set_connection_timeout(1, 0);  // httplib waits 300 s by default
    c.set_read_timeout(2, 0);
    for (int i = 0; i < 600; ++i) {  // 60 s at most
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) break;  // it exited: see its log
      if (auto r = c.Get("/health"); r && r->status == 200) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "llama-server did not become healthy; see " << log_;
  }
  ~LlamaServer() {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  int port_ = 0;
  pid_t pid_ = -1;
  std::string log_;
};

}  // namespace

TEST(ServerE2E, SpawnedLlamaServerBesideInProcessLlamaCpp) {
  const fs::path root = fresh_dir();
  const Result r = run_mtb("llm -m tiny -t f32 -b llamacpp,server --spawn-llama-server -p 16 -n 8 -r 2 --cooldown 0 --timeout 120 "
                           "--threads 2 --measurements " + root.string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const fs::path run = only_run(root);
  const auto recs = records(run);
  ASSERT_EQ(recs.size(), 2u);
  const mtb::Record& s = by_prompt(recs, 16, "server");
  const mtb::Record& l = by_prompt(recs, 16, "llamacpp");
  ASSERT_EQ(s.status, mtb::Status::ok) << s.error;
  EXPECT_EQ(s.prompt_s.size(), 2u);
  EXPECT_EQ(s.gen_s.size(), 2u);
  EXPECT_GT(s.ttft_s.median, 0);
  EXPECT_GT(s.gen_tps.median, 0);
  EXPECT_GT(s.load_s, 0);
  EXPECT_EQ(s.model_arch, "qwen2");
  EXPECT_GT(s.model_n_params, 5'000'000u);  // from llama-server's /v1/models
  EXPECT_EQ(s.tokens_hash, l.tokens_hash) << "both backends must see the same prompt";
  // The server's own figures, per timed request: exact token counts, positive times.
  const json& sr = s.extra.at("server_reported");
  EXPECT_EQ(sr["prompt_n"], json({16, 16}));
  EXPECT_EQ(sr["gen_n"], json({9, 9}));  // the first token and 8 more
  EXPECT_EQ(sr["client_tokens"], json({9, 9}));
  EXPECT_EQ(sr["finish_reason"], json({"limit", "limit"}));
  for (double ms : sr["prompt_ms"]) EXPECT_GT(ms, 0);
  for (double ms : sr["gen_ms"]) EXPECT_GT(ms, 0);
  EXPECT_GT(sr["gen_tps"]["median"].get<double>(), 0);
  // Same engine, same greedy decoding: llama-server returns the in-process backend's tokens (-1 where
  // it held an id back because the token ended inside a UTF-8 character).
  ASSERT_EQ(s.generated.size(), 9u);
  ASSERT_EQ(l.generated.size(), 9u);
  for (size_t i = 0; i < 9; ++i)
    if (s.generated[i] != -1) EXPECT_EQ(s.generated[i], l.generated[i]) << "token " << i;
  EXPECT_GT(s.extra.at("server_peak_rss_bytes").get<uint64_t>(), 1u << 20);  // the spawned server's own memory
  const auto& argv = s.extra.at("llama_server_argv");
  EXPECT_NE(std::find(argv.begin(), argv.end(), "127.0.0.1"), argv.end());
  EXPECT_EQ(read_json(run / "settings.json")["server"]["spawn_llama_server"], true);
}

TEST(ServerE2E, OpenAiEndpointOfARunningLlamaServerTokensAndText) {
  const std::string model = tiny_model();
  LlamaServer server(model);
  const fs::path a = fresh_dir() / "tokens", b = fresh_dir() / "text";
  const std::string common = "llm -m tiny -t f32 -b server --server-api openai -p 16 -n 8 -r 2 --cooldown 0 --timeout 120 --server-url " +
                             server.url() + "/v1 ";
  Result r = run_mtb(common + "--server-prompt tokens --measurements " + a.string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const mtb::Record t = records(only_run(a)).at(0);
  ASSERT_EQ(t.status, mtb::Status::ok) << t.error;
  const json& sr = t.extra.at("server_reported");
  EXPECT_EQ(sr["prompt_n"], json({16, 16}));  // usage.prompt_tokens: the ids arrived as ids
  EXPECT_EQ(sr["gen_n"], json({9, 9}));       // usage.completion_tokens: ignore_eos honoured
  EXPECT_EQ(sr["client_tokens"], json({9, 9}));
  for (double ms : sr["prompt_ms"]) EXPECT_GT(ms, 0);  // llama-server adds its timings to OpenAI answers
  EXPECT_GT(t.gen_tps.median, 0);

  r = run_mtb(common + "--server-prompt text --measurements " + b.string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const mtb::Record x = records(only_run(b)).at(0);
  ASSERT_EQ(x.status, mtb::Status::ok) << x.error;
  EXPECT_EQ(x.extra["prompt_form"], "text");
  // The decoded text is re-tokenized by the server: close to 16 tokens, recorded as it counted.
  const int counted = x.extra["server_reported"]["prompt_n"][0].get<int>();
  EXPECT_GE(counted, 8);
  EXPECT_LE(counted, 64);
}

TEST(ServerE2E, EveryServerFailureIsACaseAndTheRunGoesOn) {
  FakeLlamaServer fake;
  const fs::path root = fresh_dir();
  const auto t0 = std::chrono::steady_clock::now();
  const Result r = run_mtb("llm -m tiny -t f32 -b server --server-api llama --server-url " + fake.url() +
                           " --api-key sekret --server-timeout 1 -p 8,9,10,11,12,16 -n 4 -r 2 --cooldown 0 --measurements " +
                           root.string());
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(r.exit_code, 3) << r.out;  // some cases failed
  EXPECT_LT(took, 60) << "timeouts must bound every wait";
  const fs::path run = only_run(root);
  const auto recs = records(run);
  ASSERT_EQ(recs.size(), 6u);
  EXPECT_CONTAINS(by_prompt(recs, 8).error, "HTTP 500");
  EXPECT_CONTAINS(by_prompt(recs, 8).error, "the fake server ran out of memory");
  EXPECT_CONTAINS(by_prompt(recs, 9).error, "broke off");
  EXPECT_CONTAINS(by_prompt(recs, 10).error, "no answer from " + fake.url() + "/completion within 1 s");
  EXPECT_CONTAINS(by_prompt(recs, 11).error, "malformed stream");
  EXPECT_CONTAINS(by_prompt(recs, 12).error, "stopped after 2 of 5 tokens (finish reason 'eos')");
  for (int p : {8, 9, 10, 11, 12}) EXPECT_EQ(by_prompt(recs, p).status, mtb::Status::failed) << p;

  const mtb::Record& ok = by_prompt(recs, 16);
  ASSERT_EQ(ok.status, mtb::Status::ok) << ok.error;
  EXPECT_EQ(ok.generated, (std::vector<int32_t>{1000, 1001, 1002, 1003, 1004}));
  EXPECT_EQ(ok.prompt_s.size(), 2u);
  // Four steps wait for chunks sent 2 ms apart; on a loaded machine the first ones may already be
  // buffered when the clock starts, but the last is still waited for.
  EXPECT_GE(ok.gen_s[0], 0.002 * 0.9);
  const json& sr = ok.extra.at("server_reported");
  EXPECT_EQ(sr["prompt_n"], json({16, 16}));
  EXPECT_EQ(sr["prompt_ms"], json({1.5, 1.5}));
  EXPECT_EQ(sr["gen_n"], json({5, 5}));

  // What the server was asked: exact length, EOS ignored, the ids themselves, the key as a Bearer token.
  bool saw16 = false;
  for (const json& body : fake.bodies()) {
    EXPECT_EQ(body["n_predict"], 5);
    EXPECT_EQ(body["ignore_eos"], true);
    EXPECT_EQ(body["cache_prompt"], false);
    saw16 |= body["prompt"].size() == 16 && body["prompt"][0].is_number_integer();
  }
  EXPECT_TRUE(saw16);
  for (const auto& h : fake.auth_headers()) EXPECT_EQ(h, "Bearer sekret");
  for (const char* f : {"settings.json", "results.jsonl", "benchmark_results.csv"}) {
    std::ifstream in(run / f);
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    EXPECT_EQ(text.find("sekret"), std::string::npos) << f << " holds the API key";
  }
}

TEST(ServerE2E, NoServerListeningIsAClearFailure) {
  std::string url;
  {
    FakeLlamaServer gone;  // a port that was free a moment ago and is closed again
    url = gone.url();
  }
  const fs::path root = fresh_dir();
  // A running server has one model loaded, whatever -t says: one case, at the first precision.
  const Result r = run_mtb("llm -m tiny -t f32,q8_0,q4_0 -b server --server-url " + url +
                           " -p 8 -n 2 -r 1 --cooldown 0 --measurements " + root.string());
  EXPECT_EQ(r.exit_code, 3) << r.out;
  EXPECT_CONTAINS(r.out, "(server: the model it has loaded, measured once, as -t f32)");
  const auto recs = records(only_run(root));
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].spec.precision, "f32");
  EXPECT_CONTAINS(recs[0].error, "could not connect to " + url);
}

// A server whose data line never ends: the case fails once the line passes 16 MiB, with that
// reason, and the worker's memory stays bounded (it grew until memory ran out).
TEST(ServerE2E, ADataLineThatNeverEndsFailsTheCaseWithBoundedMemory) {
  httplib::Server svr;
  svr.Post("/completion", [](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("text/event-stream", [sent = size_t(0)](size_t, httplib::DataSink& sink) mutable {
      static const std::string chunk(1 << 20, 'x');
      if (sent == 0 && !sink.write("data: ", 6)) return false;
      if (sent >= 1u << 30) {  // a bound for the test itself: 1 GiB
        sink.done();
        return true;
      }
      sent += chunk.size();
      return sink.write(chunk.data(), chunk.size());
    });
  });
  const int port = svr.bind_to_any_port("127.0.0.1");
  std::thread t([&] { svr.listen_after_bind(); });
  for (int i = 0; i < 200 && !svr.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const fs::path root = fresh_dir();
  const Result r = run_mtb("llm -m tiny -t f32 -b server --server-api llama --server-url http://127.0.0.1:" +
                           std::to_string(port) + " --server-timeout 5 -p 8 -n 4 -r 1 --warmup 0 --cooldown 0 --no-report "
                           "--measurements " + root.string());
  svr.stop();
  t.join();
  EXPECT_EQ(r.exit_code, 3) << r.out;
  const auto recs = records(only_run(root));
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].status, mtb::Status::failed);
  EXPECT_CONTAINS(recs[0].error, "passed 16 MiB without ending");
  // The worker's libraries (libtorch's among them) plus the bounded line, far below the 1 GiB it was sent.
  EXPECT_LT(recs[0].peak_rss_bytes, 600u << 20) << "the worker held the line";
}
