// A model file as mtb validates it before llama.cpp sees it (read_gguf_info: magic, ggml's header
// parse, every tensor inside the file, architecture, tokenizer). The bytes are handed over as a
// file in memory (memfd), since the reader, like ggml's, opens a path. A bad file is an exception.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "ggml.h"
#include "models/gguf_info.h"

namespace {

int memory_file() {
  static const int fd = memfd_create("fuzz.gguf", 0);
  if (fd < 0) std::abort();
  return fd;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ggml_log_set([](ggml_log_level, const char*, void*) {}, nullptr);  // gguf's complaint for each bad input
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const int fd = memory_file();
  if (ftruncate(fd, 0) != 0) std::abort();
  for (size_t done = 0; done < size;) {
    const ssize_t n = pwrite(fd, data + done, size - done, off_t(done));
    if (n <= 0) std::abort();
    done += size_t(n);
  }
  try {
    mtb::read_gguf_info("/proc/self/fd/" + std::to_string(fd));
  } catch (const std::runtime_error&) {
  }
  return 0;
}
