// The three dialects a benchmarked server may speak: how a fixed-length greedy completion is asked
// for, and what each streamed message says (tokens added, the end, the server's own figures).
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "backends/server/event_stream.h"
#include "backends/server/server_options.h"
#include "core/tokens.h"

namespace mtb::server {

struct Prompt {
  PromptForm form = PromptForm::tokens;
  std::vector<Token> ids;
  std::string text;  // the ids decoded, for PromptForm::text
};

struct ApiRequest {
  std::string path;  // appended to the server's scheme://host:port
  nlohmann::json body;
  Framing framing = Framing::sse;
};

// A streamed, greedy completion of exactly `n_predict` tokens: EOS ignored where the server has a
// switch for it (llama-server: ignore_eos; OpenAI servers that understand it), prompt caching off
// where it can be (so every repetition evaluates the whole prompt).
ApiRequest make_request(Api api, const std::string& base_path, const std::string& model, const Prompt& prompt,
                        int n_predict, uint64_t seed);

struct Chunk {
  int new_tokens = 0;         // tokens this message adds to the completion
  std::vector<Token> ids;     // the last of them as ids, when the server sends ids (llama)
  bool end = false;           // the server's last message
  std::string finish_reason;  // why generation ended, when the message says
  nlohmann::json report = nlohmann::json::object();  // server-side timings and counts it carries
  std::string error;          // an error the server sent inside the stream
};

// Throws std::runtime_error for a message that is not the JSON the dialect sends.
Chunk parse_chunk(Api api, const std::string& message, int tokens_so_far);

// The server's own figures for one request, in one shape for every dialect (-1: not reported).
struct ServerFigures {
  int prompt_n = -1;       // prompt tokens the server counted
  int prompt_cached = -1;  // of which it took from its cache (not evaluated)
  double prompt_ms = -1;   // its prompt evaluation time
  int gen_n = -1;          // tokens it generated
  double gen_ms = -1;      // its generation time
};
ServerFigures server_figures(Api api, const nlohmann::json& report);

}  // namespace mtb::server
