// The server backend's parsers: stream framing, each dialect's messages, options and URLs, and the
// prompt decoded to text for servers that take text.
#include <gtest/gtest.h>

#include <cmath>

#include "backends/server/event_stream.h"
#include "backends/server/server_api.h"
#include "backends/server/server_options.h"
#include "models/gguf_info.h"
#include "models/model_store.h"
#include "models/token_text.h"

using namespace mtb;
using namespace mtb::server;

TEST(EventStream, SseMessagesSplitAnywhereComeOutWhole) {
  const std::string body = ": ping\n\ndata: {\"a\":1}\r\n\r\nevent: x\ndata: {\"b\":\ndata: 2}\n\ndata: [DONE]\n\n";
  for (size_t cut = 0; cut <= body.size(); ++cut) {
    EventStream s(Framing::sse);
    std::vector<std::string> got = s.feed(std::string_view(body).substr(0, cut));
    for (auto& m : s.feed(std::string_view(body).substr(cut))) got.push_back(m);
    ASSERT_EQ(got, (std::vector<std::string>{"{\"a\":1}", "{\"b\":\n2}", "[DONE]"})) << "cut at " << cut;
    EXPECT_EQ(s.pending(), "");
  }
}

// A server whose line never ends: past kMaxMessageBytes the stream throws (the request then fails
// with the reason) and what it held is freed, instead of growing until memory runs out.
TEST(EventStream, ALineThatNeverEndsIsCutAtTheBound) {
  for (Framing f : {Framing::sse, Framing::ndjson}) {
    EventStream s(f);
    const std::string chunk(1 << 20, 'x');
    const std::string start = f == Framing::sse ? "data: " : "";
    s.feed(start);
    bool thrown = false;
    for (size_t fed = 0; fed <= kMaxMessageBytes + chunk.size() && !thrown; fed += chunk.size()) {
      try {
        s.feed(chunk);
      } catch (const std::length_error& e) {
        thrown = true;
        EXPECT_NE(std::string(e.what()).find("16 MiB"), std::string::npos) << e.what();
      }
    }
    EXPECT_TRUE(thrown);
    EXPECT_TRUE(s.pending().empty());
  }
  // SSE data lines of one event that add up past the bound, each line short.
  EventStream s(Framing::sse);
  const std::string line = "data: " + std::string(1 << 20, 'y') + "\n";
  EXPECT_THROW(for (int i = 0; i < 20; ++i) s.feed(line), std::length_error);
}

TEST(EventStream, NdjsonLinesAndACutMessageIsPending) {
  EventStream s(Framing::ndjson);
  EXPECT_EQ(s.feed("{\"x\":1}\n\n{\"y\""), std::vector<std::string>{"{\"x\":1}"});
  EXPECT_EQ(s.pending(), "{\"y\"");
}

TEST(ServerApi, LlamaCountsTokensPredictedNotIdsListed) {
  Chunk c = parse_chunk(Api::llama, R"({"content":"a","tokens":[7],"stop":false,"tokens_predicted":1})", 0);
  EXPECT_EQ(c.new_tokens, 1);
  EXPECT_EQ(c.ids, std::vector<Token>{7});
  // a token held back mid-UTF-8 arrives with the next: two tokens, one id
  c = parse_chunk(Api::llama, R"({"content":"é","tokens":[9],"stop":false,"tokens_predicted":3})", 1);
  EXPECT_EQ(c.new_tokens, 2);
  c = parse_chunk(Api::llama,
                  R"({"content":"","stop":true,"stop_type":"limit","tokens_predicted":3,"tokens_evaluated":16,
                      "timings":{"prompt_n":16,"prompt_ms":4.0,"predicted_n":3,"predicted_ms":6.0,"cache_n":0}})", 3);
  EXPECT_TRUE(c.end);
  EXPECT_EQ(c.new_tokens, 0);
  EXPECT_EQ(c.finish_reason, "limit");
  const ServerFigures f = server_figures(Api::llama, c.report);
  EXPECT_EQ(f.prompt_n, 16);
  EXPECT_EQ(f.gen_n, 3);
  EXPECT_DOUBLE_EQ(f.prompt_ms, 4.0);
  EXPECT_DOUBLE_EQ(f.gen_ms, 6.0);
}

TEST(ServerApi, OpenAiOneTokenPerChoiceUsageAtTheEnd) {
  EXPECT_EQ(parse_chunk(Api::openai, R"({"choices":[{"text":"hi","finish_reason":null}]})", 0).new_tokens, 1);
  const Chunk last = parse_chunk(Api::openai, R"({"choices":[{"text":"","finish_reason":"length"}],
      "usage":{"prompt_tokens":12,"completion_tokens":5,"prompt_tokens_details":{"cached_tokens":0}}})", 5);
  EXPECT_EQ(last.new_tokens, 0);
  EXPECT_EQ(last.finish_reason, "length");
  EXPECT_FALSE(last.end);  // [DONE] ends an OpenAI stream
  EXPECT_TRUE(parse_chunk(Api::openai, "[DONE]", 5).end);
  const ServerFigures f = server_figures(Api::openai, last.report);
  EXPECT_EQ(f.prompt_n, 12);
  EXPECT_EQ(f.gen_n, 5);
  EXPECT_EQ(f.prompt_ms, -1);  // not reported by a plain OpenAI server
}

TEST(ServerApi, OllamaNanosecondsBecomeMilliseconds) {
  EXPECT_EQ(parse_chunk(Api::ollama, R"({"response":"a","done":false})", 0).new_tokens, 1);
  const Chunk c = parse_chunk(Api::ollama, R"({"response":"","done":true,"done_reason":"length","prompt_eval_count":30,
      "prompt_eval_duration":2000000,"eval_count":8,"eval_duration":16000000})", 8);
  EXPECT_TRUE(c.end);
  const ServerFigures f = server_figures(Api::ollama, c.report);
  EXPECT_EQ(f.prompt_n, 30);
  EXPECT_DOUBLE_EQ(f.prompt_ms, 2.0);
  EXPECT_DOUBLE_EQ(f.gen_ms, 16.0);
}

TEST(ServerApi, ErrorsAndMalformedMessagesAreNamed) {
  EXPECT_EQ(parse_chunk(Api::openai, R"({"error":{"message":"model not loaded","code":404}})", 0).error, "model not loaded");
  try {
    parse_chunk(Api::llama, "{not json", 0);
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("malformed stream"), std::string::npos) << e.what();
  }
}

TEST(ServerApi, RequestsAskForExactLengthGreedyAndNoCache) {
  Prompt p;
  p.ids = {5, 6, 7};
  ApiRequest r = make_request(Api::llama, "", "", p, 9, 1);
  EXPECT_EQ(r.path, "/completion");
  EXPECT_EQ(r.body["prompt"], nlohmann::json({5, 6, 7}));
  EXPECT_EQ(r.body["n_predict"], 9);
  EXPECT_TRUE(r.body["ignore_eos"].get<bool>());
  EXPECT_FALSE(r.body["cache_prompt"].get<bool>());
  r = make_request(Api::openai, "", "m", p, 9, 1);
  EXPECT_EQ(r.path, "/v1/completions");
  EXPECT_EQ(r.body["max_tokens"], 9);
  EXPECT_EQ(r.body["model"], "m");
  p.form = PromptForm::text;
  p.text = "hello";
  r = make_request(Api::ollama, "/base", "llama3", p, 9, 1);
  EXPECT_EQ(r.path, "/base/api/generate");
  EXPECT_EQ(r.framing, Framing::ndjson);
  EXPECT_EQ(r.body["prompt"], "hello");
  EXPECT_EQ(r.body["options"]["num_predict"], 9);
}

TEST(ServerOptions, UrlsApisAndBadValues) {
  EXPECT_EQ(parse_url("http://localhost:1234/v1/").base_path, "/v1");
  EXPECT_EQ(parse_url("http://localhost:1234/v1").scheme_host_port, "http://localhost:1234");
  EXPECT_EQ(parse_url("http://127.0.0.1:8080").base_path, "");
  EXPECT_THROW(parse_url("localhost:1234"), std::invalid_argument);
  EXPECT_THROW(parse_url("ftp://x"), std::invalid_argument);

  ServerOptions o;
  o.url = "http://localhost:11434";
  EXPECT_EQ(o.resolved_api(), Api::ollama);
  EXPECT_EQ(o.resolved_prompt(), PromptForm::text);
  EXPECT_THROW(o.validate(), std::invalid_argument);  // Ollama needs --server-model
  o.model = "qwen2.5:0.5b";
  EXPECT_NO_THROW(o.validate());
  o.url = "";
  o.spawn = true;
  o.api = "auto";
  EXPECT_EQ(o.resolved_api(), Api::llama);
  EXPECT_EQ(o.resolved_prompt(), PromptForm::tokens);
  o.api_key = "secret";
  EXPECT_EQ(to_recorded_json(o).dump().find("secret"), std::string::npos);
  EXPECT_EQ(server_options_from_json(to_request_json(o)).api_key, "secret");
}

TEST(TokenText, QwenByteLevelPiecesDecodeToBytes) {
  const ResolvedModel m = resolve_model("tiny", "f32", 1, nullptr);
  const GgufInfo info = read_gguf_info(m.path);
  const TokenText text(m.path);
  // Byte-level BPE writes a leading space as "Ġ" (U+0120, bytes C4 A0): about a third of Qwen's
  // pieces start with it. Decoded, they start with a space and the "Ġ" is gone.
  int with_space = 0, with_g = 0;
  for (Token t : info.ordinary_tokens) {
    const std::string s = text.decode(std::vector<Token>{t});
    ASSERT_FALSE(s.empty()) << "token " << t;
    with_space += s.front() == ' ';
    with_g += s.find("\xC4\xA0") != std::string::npos;
  }
  EXPECT_GT(with_space, 10000);
  EXPECT_LT(with_g, 10);
  const std::vector<Token> two{info.ordinary_tokens[100], info.ordinary_tokens[200]};
  EXPECT_EQ(text.decode(two), text.decode({&two[0], 1}) + text.decode({&two[1], 1}));
  EXPECT_THROW(text.decode(std::vector<Token>{info.vocab_size + 5}), std::runtime_error);
}

// A timeout of 1e10 s overflowed the deadline that counts it and failed every case at once: beyond a
// day, any server timeout is refused, named.
TEST(ServerOptions, TimeoutsBeyondADayOrNotANumberAreRefused) {
  for (double v : {1e10, -1.0, 0.0, std::nan("")}) {
    ServerOptions o;
    o.url = "http://localhost:1234/v1";
    o.read_timeout_s = v;
    try {
      o.validate();
      ADD_FAILURE() << v;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("--server-timeout"), std::string::npos) << e.what();
    }
  }
}
