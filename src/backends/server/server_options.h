// The server backend's run settings (not axes): which server, which API dialect, how long to wait.
// `mtb llm` carries them to each worker as LoadRequest::backend_options.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace mtb::server {

// The request/stream dialect: llama-server's native /completion (token ids in and out, its own
// timings), OpenAI /v1/completions (LM Studio, llama-server, vLLM...), Ollama /api/generate.
enum class Api { llama, openai, ollama };
std::string to_string(Api a);

// How the seeded prompt ids reach the server: as ids (identical to the in-process backends) or as
// the text they decode to (servers that only take text; the server's own count is then recorded).
enum class PromptForm { tokens, text };

// The longest any server timeout may be: a day (a wait beyond it is a hang; a far larger one would
// overflow the clocks that count it).
inline constexpr double kMaxServerTimeoutS = 24 * 3600.0;

struct ServerOptions {
  std::string url;           // "http://localhost:1234/v1"; empty with spawn
  std::string api = "auto";  // auto, llama, openai, ollama
  std::string model;         // the server's name for the model (OpenAI "model", Ollama "model")
  std::string api_key;       // sent as "Authorization: Bearer"; never written to any file
  std::string prompt = "auto";  // auto, tokens, text
  bool spawn = false;        // start the pinned llama-server per case (--spawn-llama-server)
  std::string llama_server;  // its binary; empty: the one built next to mtb
  double connect_timeout_s = 5;
  double read_timeout_s = 60;      // longest silence within a request (also bounds the first token)
  double startup_timeout_s = 120;  // a spawned server's load, until /health is ok

  Api resolved_api() const;  // "auto": llama when spawned, ollama on port 11434, else openai
  PromptForm resolved_prompt() const;  // "auto": tokens for llama, text otherwise
  void validate() const;     // throws std::invalid_argument naming the option and the fix
};

// The request form (with the API key) and the recorded form (the key replaced by whether one is set).
ServerOptions server_options_from_json(const nlohmann::json& j);
nlohmann::json to_request_json(const ServerOptions& o);
nlohmann::json to_recorded_json(const ServerOptions& o);

// "http://host:port/base" split into what the HTTP client connects to and the path prefix.
struct Url {
  std::string scheme_host_port;  // "http://localhost:1234"
  std::string base_path;         // "/v1", or "" (never ends in '/')
};
Url parse_url(const std::string& url);  // throws std::invalid_argument for anything but http(s)://host[:port][/path]

}  // namespace mtb::server
