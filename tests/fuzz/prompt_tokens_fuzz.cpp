// --prompt-file's text through the model's tokenizer (a real one: Qwen2's BPE vocabulary from the
// pinned llama.cpp, loaded once), as `mtb llm` (no special tokens: even lengths) or `mtb quality` (a
// BOS where the vocabulary asks: odd) tokenizes it, then repeated into prompt rows. Text with no
// tokens is an error.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "llama.h"
#include "models/tokenize.h"

namespace {

const mtb::Vocabulary& vocabulary() {
  static const mtb::Vocabulary v(MTB_FUZZ_VOCAB);
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  llama_log_set([](ggml_log_level, const char*, void*) {}, nullptr);  // the vocabulary's load report, once
  vocabulary();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    mtb::rows_from_text(vocabulary().tokenize(text, /*add_special=*/size % 2 == 1), 2, 64);
  } catch (const std::runtime_error&) {
  }
  return 0;
}
