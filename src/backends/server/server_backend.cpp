// The only folder that speaks HTTP. One case = one session = (with --spawn-llama-server) one server
// process; every timed repetition is one streamed request for exactly n_gen + 1 tokens.
#include "backends/server/server_backend.h"

#include <fmt/format.h>
#include <httplib.h>

#include <algorithm>
#include <deque>
#include <optional>

#include "backends/server/llama_server_process.h"
#include "backends/server/load_client.h"  // its declarations only; built with libcurl
#include "backends/server/server_api.h"
#include "backends/server/server_options.h"
#include "backends/server/streaming_request.h"
#include "core/system_info.h"
#include "models/gguf_info.h"
#include "models/token_text.h"

namespace mtb {
namespace {
using namespace server;

constexpr uint64_t kSeed = 42;            // requests are greedy; the seed only fixes servers that sample anyway
constexpr int kMaxEmptyMessages = 1000;   // messages without a token a request may send (bounds the read loop)
constexpr int kMaxTrailingMessages = 64;  // messages read after the last token, looking for the server's report

// One request in flight: its stream, what it has delivered, what the server said about it.
struct Request {
  std::unique_ptr<StreamingRequest> stream;
  int expected = 0, received = 0, empty_messages = 0;
  bool ended = false;
  std::string finish_reason;
  nlohmann::json report = nlohmann::json::object();
};

class ServerSession final : public LlmSession {
 public:
  ServerSession(const LoadRequest& req, ServerOptions o) : opt_(std::move(o)), api_(opt_.resolved_api()), n_gen_(req.n_gen) {
    std::string url = opt_.url;
    std::vector<std::string> server_argv;
    if (opt_.spawn) {
      LlamaServerArgs a;
      a.binary = find_llama_server(opt_.llama_server);
      a.model_path = req.model_path;
      a.device = req.device;
      a.threads = req.threads > 0 ? req.threads : default_cpu_threads();
      a.n_ctx = req.n_ctx;
      a.n_parallel = req.parallel;  // continuous batching over a load case's concurrent requests
      a.startup_timeout_s = opt_.startup_timeout_s;
      spawned_ = std::make_unique<LlamaServerProcess>(a);
      url = spawned_->url();
      server_argv = spawned_->argv();
      threads_ = a.threads;
    }
    const Url u = parse_url(url);
    http_ = {u.scheme_host_port, opt_.api_key, opt_.connect_timeout_s, opt_.read_timeout_s};
    base_path_ = u.base_path;
    if (opt_.resolved_prompt() == PromptForm::text) token_text_.emplace(req.model_path);

    const GgufInfo info = read_gguf_info(req.model_path);
    facts_.arch = info.arch;
    facts_.device_name = opt_.spawn ? (req.device == "cpu" ? host_info().cpu_model : "llama-server " + req.device)
                                    : "server at " + url;
    facts_.desc = fmt::format("{} via {} API at {}", opt_.model.empty() ? info.name : opt_.model, to_string(api_), url);
    facts_.extra = {{"server_options", to_recorded_json(opt_)},
                    {"server_api", to_string(api_)},
                    {"server_url", url},
                    {"prompt_form", opt_.resolved_prompt() == PromptForm::tokens ? "tokens" : "text"}};
    if (!server_argv.empty()) {
      facts_.extra["llama_server_argv"] = server_argv;
      facts_.extra["n_threads"] = threads_;
    }
    if (api_ == Api::llama) describe_llama_server();
  }

  ~ServerSession() override { request_.reset(); }  // the stream closes before a spawned server stops

  void reset() override { close_request(); }

  std::vector<Token> prefill(const TokenRows& rows) override {
    if (rows.size() != 1) throw Unsupported("the server backend sends one request at a time (--batch 1)");
    if (request_)
      throw Unsupported("--depth needs a KV cache kept between requests; the server backend sends each prompt alone");
    Prompt p;
    p.form = opt_.resolved_prompt();
    p.ids = rows[0];
    if (p.form == PromptForm::text) p.text = token_text_->decode(p.ids);
    const ApiRequest ar = make_request(api_, base_path_, opt_.model, p, n_gen_ + 1, kSeed);
    request_ = std::make_unique<Request>();
    request_->expected = n_gen_ + 1;
    request_->stream = std::make_unique<StreamingRequest>(http_, ar.path, ar.body.dump(), ar.framing);
    return {next_token()};
  }

  std::vector<Token> step(std::span<const Token>) override {
    if (!request_) throw std::logic_error("step before prefill");
    return {next_token()};
  }

  std::vector<RequestRow> serve(const std::vector<PlannedRequest>& requests, const LoadSettings& load, int n_gen,
                                const Clock& clock) override {
    close_request();
    std::vector<LoadJob> jobs;
    for (const auto& p : requests) {
      Prompt pr;
      pr.form = opt_.resolved_prompt();
      pr.ids = p.prompt;
      if (pr.form == PromptForm::text) pr.text = token_text_->decode(pr.ids);
      jobs.push_back({make_request(api_, base_path_, opt_.model, pr, n_gen + 1, kSeed), p.at_s, static_cast<int>(p.prompt.size())});
    }
    LoadClientSettings s;
    s.http = http_;
    s.api = api_;
    s.max_in_flight = load.concurrency;
    s.open_loop = load.open_loop();
    s.duration_s = load.duration_s;
    s.expected_tokens = n_gen + 1;
#ifdef MTB_HAVE_CURL
    if (!load_client_) load_client_ = std::make_unique<LoadClient>();
    return load_client_->run(jobs, s, clock);
#else
    (void)clock;
    throw Unsupported("serving load needs libcurl, which this build was made without (scripts/setup.sh installs it)");
#endif
  }

  std::vector<float> logits_last(int) override {
    throw Unsupported("a server streams tokens, not logits: `mtb check` cannot compare the server backend");
  }

  ModelFacts facts() const override { return facts_; }

  nlohmann::json take_observations() override {
    close_request();
    nlohmann::json out = {{"server_reported", summarize_reports()}};
    if (spawned_) out["server_peak_rss_bytes"] = spawned_->peak_rss_bytes();
    reports_.clear();
    return out;
  }

 private:
  // Blocks until the stream has delivered one more token; returns its id (-1 when the server does
  // not send ids, as OpenAI and Ollama do not).
  Token next_token() {
    Request& r = *request_;
    while (pending_.empty()) {
      if (r.ended) throw std::runtime_error(early_stop_message(r));
      const std::optional<std::string> msg = r.stream->next();
      if (!msg) {
        r.ended = true;
        continue;
      }
      Chunk c = parse_chunk(api_, *msg, r.received);
      if (!c.error.empty()) throw std::runtime_error(fmt::format("the server reported an error mid-stream: {}", c.error));
      absorb(r, c);
      if (c.new_tokens == 0 && ++r.empty_messages > kMaxEmptyMessages)
        throw std::runtime_error(fmt::format("the server sent {} messages without a token", kMaxEmptyMessages));
      // Ids a message does not list (llama-server holds back a token that ends mid-character) are -1.
      const int listed = std::min<int>(c.new_tokens, static_cast<int>(c.ids.size()));
      for (int i = 0; i < c.new_tokens - listed; ++i) pending_.push_back(-1);
      for (int i = 0; i < listed; ++i) pending_.push_back(c.ids[c.ids.size() - listed + i]);
      r.received += c.new_tokens;
    }
    const Token t = pending_.front();
    pending_.pop_front();
    return t;
  }

  static void absorb(Request& r, const Chunk& c) {
    if (!c.finish_reason.empty()) r.finish_reason = c.finish_reason;
    if (c.end) r.ended = true;
    r.report.update(c.report);
  }

  std::string early_stop_message(const Request& r) const {
    return fmt::format("the server stopped after {} of {} tokens (finish reason '{}'): it does not honour ignore_eos, so "
                       "generation length is not fixed; a lower -n or a server with ignore_eos (llama-server) avoids it",
                       r.received, r.expected, r.finish_reason.empty() ? "none" : r.finish_reason);
  }

  // Ends the request in flight by reading it to its end: the server's report (timings, counts)
  // comes last, and a request the harness stopped early (a warm-up of 4 steps) finishes here, untimed,
  // rather than being cut off, so no leftover generation competes with the next timed request. The
  // read is bounded by the tokens still due plus a few closing messages, and by the read timeout.
  void close_request() {
    pending_.clear();
    if (!request_) return;
    Request& r = *request_;
    bool stream_ended = false;
    try {
      const int budget = std::max(0, r.expected - r.received) + kMaxTrailingMessages + kMaxEmptyMessages;
      for (int i = 0; i < budget && !r.ended; ++i) {
        const std::optional<std::string> msg = r.stream->next();
        if (!msg) {
          stream_ended = true;
          break;
        }
        const Chunk c = parse_chunk(api_, *msg, r.received);
        absorb(r, c);
        r.received += c.new_tokens;
      }
      stream_ended = stream_ended || r.ended;
    } catch (const std::exception& e) {
      r.report["error_after_last_token"] = e.what();
      stream_ended = true;  // it failed, and said how
    }
    r.report["client_tokens"] = r.received;
    r.report["finish_reason"] = r.finish_reason;
    reports_.push_back(r.report);
    const int received = r.received, expected = r.expected;
    request_.reset();
    // Still sending past every token asked and the closing messages allowed: a stream that never
    // ends is a broken server, not a measurement.
    if (!stream_ended)
      throw std::runtime_error(fmt::format("the stream did not end after the {} tokens asked ({} received, and {} "
                                           "messages more allowed for its end): a stream that never ends",
                                           expected, received, kMaxTrailingMessages + kMaxEmptyMessages));
  }

  // Per timed request: the server's figures in one shape (-1: not reported) and the raw reports;
  // llm/derived.cpp turns the figures into the server's own rates, beside the client-side ones.
  nlohmann::json summarize_reports() const {
    nlohmann::json s = {{"prompt_n", nlohmann::json::array()},      {"prompt_cached", nlohmann::json::array()},
                        {"prompt_ms", nlohmann::json::array()},     {"gen_n", nlohmann::json::array()},
                        {"gen_ms", nlohmann::json::array()},        {"client_tokens", nlohmann::json::array()},
                        {"finish_reason", nlohmann::json::array()}, {"raw", reports_}};
    for (const auto& rep : reports_) {
      const ServerFigures f = server_figures(api_, rep);
      s["prompt_n"].push_back(f.prompt_n);
      s["prompt_cached"].push_back(f.prompt_cached);
      s["prompt_ms"].push_back(f.prompt_ms);
      s["gen_n"].push_back(f.gen_n);
      s["gen_ms"].push_back(f.gen_ms);
      s["client_tokens"].push_back(rep.value("client_tokens", -1));
      s["finish_reason"].push_back(rep.value("finish_reason", ""));
    }
    return s;
  }

  // llama-server describes itself: build, context, model size. Best effort: a server that does not
  // answer here still fails clearly on the first request.
  void describe_llama_server() {
    httplib::Client c(http_.scheme_host_port);
    c.set_connection_timeout(static_cast<time_t>(std::max(1.0, http_.connect_timeout_s)), 0);
    c.set_read_timeout(static_cast<time_t>(std::max(1.0, http_.read_timeout_s)), 0);
    if (!http_.api_key.empty()) c.set_bearer_token_auth(http_.api_key);
    try {
      if (auto res = c.Get(base_path_ + "/props"); res && res->status == 200) {
        const auto j = nlohmann::json::parse(res->body);
        facts_.extra["server_build_info"] = j.value("build_info", "");
        if (j.contains("default_generation_settings"))
          facts_.extra["server_n_ctx"] = j["default_generation_settings"].value("n_ctx", 0);
      }
      if (auto res = c.Get(base_path_ + "/v1/models"); res && res->status == 200) {
        const auto j = nlohmann::json::parse(res->body);
        if (j.contains("data") && !j["data"].empty() && j["data"][0].contains("meta")) {
          const auto& m = j["data"][0]["meta"];
          facts_.n_params = m.value("n_params", uint64_t{0});
          facts_.bytes = m.value("size", uint64_t{0});
          facts_.n_ctx_train = m.value("n_ctx_train", 0);
        }
      }
    } catch (const nlohmann::json::exception&) {
      // a server that answers these paths with something else: its facts stay unknown
    }
  }

  ServerOptions opt_;
  Api api_;
  int n_gen_;
  int threads_ = 0;
  std::unique_ptr<LlamaServerProcess> spawned_;  // declared before request_: destroyed after it
  HttpSettings http_;
  std::string base_path_;
  std::optional<TokenText> token_text_;
  ModelFacts facts_;
#ifdef MTB_HAVE_CURL
  std::unique_ptr<LoadClient> load_client_;  // serving load: many streams, connections kept between calls
#endif
  std::unique_ptr<Request> request_;
  std::deque<Token> pending_;  // tokens received, not yet handed to the harness
  std::vector<nlohmann::json> reports_;
};

class ServerBackend final : public LlmBackend {
 public:
  std::string name() const override { return "server"; }
  std::string version() const override { return fmt::format("http client cpp-httplib {}", CPPHTTPLIB_VERSION); }

  std::vector<DeviceInfo> devices() const override {
    // The server decides where it runs; -d is passed on to a spawned llama-server and recorded.
    return {DeviceInfo{"server", "cpu", "wherever the server runs (-d is a label unless --spawn-llama-server)", 0, 0}};
  }

  Support supports(const LoadRequest& req) const override {
    if (req.batch != 1) return Support::no("the server backend sends one request at a time (--batch 1)");
    if (!req.gpu.is_default())
      return Support::no("the server places its model on its GPUs itself: --split-mode, --tensor-split, --main-gpu and "
                         "--gpus apply to the in-process backends");
    // Bad options are the user's to fix, not a skip: validate() throws and the case fails with its message.
    server_options_from_json(req.backend_options).validate();
    return Support::yes();
  }

  std::unique_ptr<LlmSession> load(const LoadRequest& req) override {
    return std::make_unique<ServerSession>(req, server_options_from_json(req.backend_options));
  }

  bool serves_requests() const override { return true; }
};

}  // namespace

std::unique_ptr<LlmBackend> make_server_backend() { return std::make_unique<ServerBackend>(); }

}  // namespace mtb
