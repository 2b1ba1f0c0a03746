// A server's closing report (llama-server's timings, OpenAI's usage, Ollama's nanosecond counts) as
// JSON, read into ServerFigures for each dialect. Any JSON must give figures or an exception.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <nlohmann/json.hpp>

#include "backends/server/server_api.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const nlohmann::json report = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (report.is_discarded()) return 0;
  for (const auto api : {mtb::server::Api::llama, mtb::server::Api::openai, mtb::server::Api::ollama}) {
    try {
      mtb::server::server_figures(api, report);
    } catch (const std::exception&) {
    }
  }
  return 0;
}
