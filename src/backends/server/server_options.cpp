#include "backends/server/server_options.h"

#include <fmt/format.h>

#include <filesystem>
#include <stdexcept>
#include <utility>

namespace mtb::server {

std::string to_string(Api a) {
  switch (a) {
    case Api::llama: return "llama";
    case Api::openai: return "openai";
    case Api::ollama: return "ollama";
  }
  return "openai";
}

Api ServerOptions::resolved_api() const {
  if (api == "llama") return Api::llama;
  if (api == "openai") return Api::openai;
  if (api == "ollama") return Api::ollama;
  if (spawn) return Api::llama;
  if (url.find(":11434") != std::string::npos) return Api::ollama;  // Ollama's fixed default port
  return Api::openai;
}

PromptForm ServerOptions::resolved_prompt() const {
  if (prompt == "tokens") return PromptForm::tokens;
  if (prompt == "text") return PromptForm::text;
  return resolved_api() == Api::llama ? PromptForm::tokens : PromptForm::text;
}

void ServerOptions::validate() const {
  if (api != "auto" && api != "llama" && api != "openai" && api != "ollama")
    throw std::invalid_argument(fmt::format("--server-api '{}': choose auto, llama, openai or ollama", api));
  if (prompt != "auto" && prompt != "tokens" && prompt != "text")
    throw std::invalid_argument(fmt::format("--server-prompt '{}': choose auto, tokens or text", prompt));
  if (spawn && !url.empty())
    throw std::invalid_argument("--spawn-llama-server starts its own server: leave out --server-url");
  if (spawn && resolved_api() == Api::ollama)
    throw std::invalid_argument("--spawn-llama-server speaks llama or openai, not ollama (--server-api)");
  if (!spawn) parse_url(url);
  if (resolved_api() == Api::ollama && resolved_prompt() == PromptForm::tokens)
    throw std::invalid_argument("Ollama's /api/generate takes text only: use --server-prompt text (or auto)");
  if (resolved_api() == Api::ollama && model.empty())
    throw std::invalid_argument("Ollama needs a model name: --server-model (one that `ollama list` shows)");
  const std::pair<const char*, double> timeouts[] = {
      {"--server-timeout", read_timeout_s}, {"--server-connect-timeout", connect_timeout_s}, {"--server-startup-timeout", startup_timeout_s}};
  for (const auto& [option, v] : timeouts)
    if (!(v > 0 && v <= kMaxServerTimeoutS))
      throw std::invalid_argument(fmt::format("{} {}: takes seconds above 0, at most {:g} (a day)", option, v, kMaxServerTimeoutS));
  if (spawn && !llama_server.empty() && !std::filesystem::is_regular_file(llama_server))
    throw std::invalid_argument(fmt::format("--llama-server {}: no such file", llama_server));
}

ServerOptions server_options_from_json(const nlohmann::json& j) {
  ServerOptions o;
  o.url = j.value("url", o.url);
  o.api = j.value("api", o.api);
  o.model = j.value("model", o.model);
  o.api_key = j.value("api_key", o.api_key);
  o.prompt = j.value("prompt", o.prompt);
  o.spawn = j.value("spawn_llama_server", o.spawn);
  o.llama_server = j.value("llama_server", o.llama_server);
  o.connect_timeout_s = j.value("connect_timeout_s", o.connect_timeout_s);
  o.read_timeout_s = j.value("read_timeout_s", o.read_timeout_s);
  o.startup_timeout_s = j.value("startup_timeout_s", o.startup_timeout_s);
  return o;
}

nlohmann::json to_request_json(const ServerOptions& o) {
  nlohmann::json j = to_recorded_json(o);
  j.erase("api_key_set");
  j["api_key"] = o.api_key;
  return j;
}

nlohmann::json to_recorded_json(const ServerOptions& o) {
  return {{"url", o.url},
          {"api", o.api},
          {"model", o.model},
          {"api_key_set", !o.api_key.empty()},
          {"prompt", o.prompt},
          {"spawn_llama_server", o.spawn},
          {"llama_server", o.llama_server},
          {"connect_timeout_s", o.connect_timeout_s},
          {"read_timeout_s", o.read_timeout_s},
          {"startup_timeout_s", o.startup_timeout_s}};
}

Url parse_url(const std::string& url) {
  const auto bad = [&](const char* why) {
    return std::invalid_argument(
        fmt::format("--server-url '{}': {} (expected http://host:port[/path], e.g. http://localhost:1234/v1)", url, why));
  };
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) throw bad("no scheme");
  const std::string scheme = url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") throw bad("only http and https are supported");
  const size_t host_begin = scheme_end + 3;
  const size_t path_begin = url.find('/', host_begin);
  Url u;
  u.scheme_host_port = url.substr(0, path_begin);
  if (u.scheme_host_port.size() == host_begin) throw bad("no host");
  u.base_path = path_begin == std::string::npos ? "" : url.substr(path_begin);
  while (!u.base_path.empty() && u.base_path.back() == '/') u.base_path.pop_back();
  return u;
}

}  // namespace mtb::server
