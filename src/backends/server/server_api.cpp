#include "backends/server/server_api.h"

#include <fmt/format.h>

#include <climits>
#include <stdexcept>
#include <type_traits>

#include "core/json_number.h"

namespace mtb::server {
namespace {

nlohmann::json prompt_json(const Prompt& p) {
  if (p.form == PromptForm::tokens) return p.ids;
  return p.text;
}

std::string error_text(const nlohmann::json& e) {
  if (e.is_string()) return e.get<std::string>();
  if (e.is_object() && e.contains("message") && e["message"].is_string()) return e["message"].get<std::string>();
  return e.dump();
}

// A count or a time the server sent, or `fallback` where it sent none, or a count no int holds.
template <class T>
T number_or(const nlohmann::json& j, const char* key, T fallback) {
  if (!j.contains(key) || !j[key].is_number()) return fallback;
  if constexpr (std::is_integral_v<T>)
    if (!json_number_fits<T>(j[key])) return fallback;
  return j[key].get<T>();
}

Chunk parse_llama(const nlohmann::json& j, int so_far) {
  Chunk c;
  if (j.contains("tokens") && j["tokens"].is_array()) c.ids = json_get<std::vector<Token>>(j["tokens"]);
  // tokens_predicted counts every sampled token; a token that ends inside a UTF-8 character is held
  // back and arrives with the next one, so a message may add two tokens but list one id.
  const int predicted = number_or(j, "tokens_predicted", -1);
  c.new_tokens = predicted >= 0 ? std::max(0, predicted - so_far) : static_cast<int>(c.ids.size());
  if (j.value("stop", false)) {
    c.end = true;
    c.finish_reason = j.value("stop_type", "");
    for (const char* k : {"timings", "tokens_evaluated", "tokens_predicted", "tokens_cached", "truncated", "stop_type"})
      if (j.contains(k)) c.report[k] = j[k];
  }
  return c;
}

Chunk parse_openai(const nlohmann::json& j) {
  Chunk c;
  if (j.contains("choices") && j["choices"].is_array() && !j["choices"].empty()) {
    const nlohmann::json& ch = j["choices"][0];
    const std::string text = ch.contains("text") && ch["text"].is_string() ? ch["text"].get<std::string>() : "";
    const bool finished = ch.contains("finish_reason") && ch["finish_reason"].is_string();
    // One message per token; the closing message (finish_reason set) carries no token unless it has text.
    c.new_tokens = (!finished || !text.empty()) ? 1 : 0;
    if (finished) c.finish_reason = ch["finish_reason"].get<std::string>();
  }
  for (const char* k : {"usage", "timings"})
    if (j.contains(k) && j[k].is_object()) c.report[k] = j[k];
  return c;
}

Chunk parse_ollama(const nlohmann::json& j) {
  Chunk c;
  const bool done = j.value("done", false);
  const std::string text = j.contains("response") && j["response"].is_string() ? j["response"].get<std::string>() : "";
  c.new_tokens = (!done || !text.empty()) ? 1 : 0;
  if (done) {
    c.end = true;
    c.finish_reason = j.value("done_reason", "");
    for (const char* k : {"prompt_eval_count", "prompt_eval_duration", "eval_count", "eval_duration", "load_duration",
                          "total_duration"})
      if (j.contains(k)) c.report[k] = j[k];
  }
  return c;
}

}  // namespace

ApiRequest make_request(Api api, const std::string& base_path, const std::string& model, const Prompt& prompt,
                        int n_predict, uint64_t seed) {
  ApiRequest r;
  switch (api) {
    case Api::llama:
      r.path = base_path + "/completion";
      r.body = {{"prompt", prompt_json(prompt)}, {"n_predict", n_predict}, {"ignore_eos", true},
                {"stream", true},                {"cache_prompt", false},  {"return_tokens", true},
                {"temperature", 0.0},            {"top_k", 1},             {"seed", seed}};
      break;
    case Api::openai:
      r.path = (base_path.empty() ? std::string("/v1") : base_path) + "/completions";
      // ignore_eos and cache_prompt are llama-server's (vLLM knows ignore_eos too); other servers
      // skip fields they do not know, and an early stop is then reported by the session.
      r.body = {{"prompt", prompt_json(prompt)},
                {"max_tokens", n_predict},
                {"stream", true},
                {"stream_options", {{"include_usage", true}}},
                {"temperature", 0.0},
                {"seed", seed},
                {"ignore_eos", true},
                {"cache_prompt", false}};
      if (!model.empty()) r.body["model"] = model;
      break;
    case Api::ollama:
      r.path = base_path + "/api/generate";
      r.framing = Framing::ndjson;
      // raw: the prompt goes to the model as is, without the model's chat template.
      r.body = {{"model", model},
                {"prompt", prompt.text},
                {"raw", true},
                {"stream", true},
                {"options", {{"num_predict", n_predict}, {"temperature", 0.0}, {"top_k", 1}, {"seed", seed}}}};
      break;
  }
  return r;
}

Chunk parse_chunk(Api api, const std::string& message, int tokens_so_far) {
  if (message == "[DONE]") {
    Chunk c;
    c.end = true;
    return c;
  }
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(message);
  } catch (const nlohmann::json::parse_error&) {
    throw std::runtime_error(fmt::format("malformed stream: a message is not JSON: '{}'", message.substr(0, 200)));
  }
  if (!j.is_object())
    throw std::runtime_error(fmt::format("malformed stream: a message is not a JSON object: '{}'", message.substr(0, 200)));
  if (j.contains("error")) {
    Chunk c;
    c.error = error_text(j["error"]);
    return c;
  }
  switch (api) {
    case Api::llama: return parse_llama(j, tokens_so_far);
    case Api::openai: return parse_openai(j);
    case Api::ollama: return parse_ollama(j);
  }
  return {};
}

ServerFigures server_figures(Api api, const nlohmann::json& report) {
  ServerFigures f;
  if (report.contains("timings")) {  // llama-server, on either endpoint
    const nlohmann::json& t = report["timings"];
    f.prompt_n = number_or(t, "prompt_n", -1);
    f.prompt_ms = number_or(t, "prompt_ms", -1.0);
    f.prompt_cached = number_or(t, "cache_n", -1);
    f.gen_n = number_or(t, "predicted_n", -1);
    f.gen_ms = number_or(t, "predicted_ms", -1.0);
    // timings' prompt_n counts evaluated tokens only; the prompt's length is tokens_evaluated/usage.
    if (f.prompt_cached > 0 && f.prompt_n >= 0)
      f.prompt_n = f.prompt_cached > INT_MAX - f.prompt_n ? -1 : f.prompt_n + f.prompt_cached;  // beyond an int: absurd
  }
  if (report.contains("usage")) {
    const nlohmann::json& u = report["usage"];
    f.prompt_n = number_or(u, "prompt_tokens", f.prompt_n);
    f.gen_n = number_or(u, "completion_tokens", f.gen_n);
    if (u.contains("prompt_tokens_details")) f.prompt_cached = number_or(u["prompt_tokens_details"], "cached_tokens", f.prompt_cached);
  }
  if (api == Api::llama) f.prompt_n = number_or(report, "tokens_evaluated", f.prompt_n);
  if (api == Api::ollama) {
    // Ollama reports nanoseconds; prompt_eval_count drops to the uncached part when it reuses a prefix.
    f.prompt_n = number_or(report, "prompt_eval_count", -1);
    f.prompt_ms = number_or(report, "prompt_eval_duration", -1.0e6) / 1e6;
    f.gen_n = number_or(report, "eval_count", -1);
    f.gen_ms = number_or(report, "eval_duration", -1.0e6) / 1e6;
  }
  return f;
}

}  // namespace mtb::server
