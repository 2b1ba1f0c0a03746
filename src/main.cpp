// mtb: which framework, model and precision is fastest on this machine, and by how much.
// CLI wiring only: each subcommand lives in src/cli/.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <execinfo.h>
#include <fcntl.h>
#include <unistd.h>
#ifdef __linux__
#include <link.h>
#include <ucontext.h>
#endif

#include "build_info.h"
#include "cli/commands.h"

namespace {

// Where the mtb executable sits in memory, so the crash report can name code addresses as offsets
// into it ("mtb(+0x1d9f68)", what `addr2line -e mtb` takes).
uintptr_t g_exe_lo = 0, g_exe_hi = 0, g_exe_base = 0;

#ifdef __linux__
int note_exe_range(dl_phdr_info* info, size_t, void*) {
  for (int i = 0; i < info->dlpi_phnum; ++i) {  // the first object listed is the executable
    const auto& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD) continue;
    const uintptr_t lo = info->dlpi_addr + ph.p_vaddr, hi = lo + ph.p_memsz;
    if (!g_exe_lo || lo < g_exe_lo) g_exe_lo = lo;
    if (hi > g_exe_hi) g_exe_hi = hi;
  }
  g_exe_base = info->dlpi_addr;
  return 1;
}
#endif

// Async-signal-safe output: write(2) of a string, or of a word as hex, tagged when it is mtb code.
void say(const char* s) { (void)!write(STDERR_FILENO, s, strlen(s)); }
void say_word(const char* label, uintptr_t v) {
  char buf[64];
  int n = 0;
  for (int shift = 60; shift >= 0; shift -= 4) buf[n++] = "0123456789abcdef"[(v >> shift) & 15];
  buf[n] = 0;
  say(label);
  say(" 0x");
  say(buf);
  if (v >= g_exe_lo && v < g_exe_hi) {  // as backtrace_symbols_fd prints it, for resolve_stacks
    const uintptr_t off = v - g_exe_base;
    n = 0;
    char hex[24];
    for (int shift = 60; shift >= 0; shift -= 4)
      if (n || ((off >> shift) & 15) || shift == 0) hex[n++] = "0123456789abcdef"[(off >> shift) & 15];
    hex[n] = 0;
    say("  mtb(+0x");
    say(hex);
    say(")");
  }
  say("\n");
}

#ifdef __linux__
// The executable mappings of the process (/proc/self/maps lines marked r-xp), so an address outside
// mtb names its library and offset. open/read/write only: safe in a signal handler.
void say_code_mappings() {
  const int fd = open("/proc/self/maps", O_RDONLY);
  if (fd < 0) return;
  say("code mappings:\n");
  char buf[4096], line[512];
  size_t len = 0;
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;)
    for (ssize_t i = 0; i < n; ++i) {
      if (buf[i] != '\n') {
        if (len + 1 < sizeof line) line[len++] = buf[i];
        continue;
      }
      line[len] = 0;
      if (strstr(line, " r-xp ")) {
        say(line);
        say("\n");
      }
      len = 0;
    }
  close(fd);
}
#endif

// A crash names itself: the signal, the call stack (addresses resolve with `addr2line -e mtb`),
// and where the unwinder cannot walk (a jump through a bad pointer) the faulting instruction and the
// words on top of the stack, which hold the caller's return address. Then the default action, so
// the exit status still says which signal it was.
void on_fatal_signal(int sig, siginfo_t* si, void* ctx) {
  say("mtb: fatal signal; call stack:\n");
  void* frames[64];
  backtrace_symbols_fd(frames, backtrace(frames, 64), STDERR_FILENO);
  say_word("fault address", reinterpret_cast<uintptr_t>(si->si_addr));
#if defined(__linux__) && defined(__x86_64__)
  const auto* uc = static_cast<const ucontext_t*>(ctx);
  say_word("pc", static_cast<uintptr_t>(uc->uc_mcontext.gregs[REG_RIP]));
  const auto* sp = reinterpret_cast<const uintptr_t*>(uc->uc_mcontext.gregs[REG_RSP]);
  for (int i = 0; i < 24; ++i) say_word("stack", sp[i]);
  say_code_mappings();
#else
  (void)ctx;
#endif
  signal(sig, SIG_DFL);
  raise(sig);
}

}  // namespace

int main(int argc, char** argv) {
  void* warm[1];
  backtrace(warm, 1);  // loads the unwinder now: the first call may allocate, which a signal handler must not
#ifdef __linux__
  dl_iterate_phdr(note_exe_range, nullptr);
#endif
  struct sigaction sa{};
  sa.sa_sigaction = on_fatal_signal;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE}) sigaction(sig, &sa, nullptr);
  // A file-size limit then fails a write with EFBIG (reported, results kept) instead of killing mtb.
  signal(SIGXFSZ, SIG_IGN);
  CLI::App app{fmt::format(
      "mtb {} — transformer inference benchmarks across llama.cpp, PyTorch, MLX and OpenAI-compatible servers.\n"
      "Start with `mtb models` (what can run), `mtb llm` (the default benchmark) and `mtb info` (this machine).",
      mtb::build::kVersion)};
  app.require_subcommand(1);
  app.set_version_flag("--version", fmt::format("mtb {} ({})", mtb::build::kVersion, mtb::build::kCommit));
  mtb::cli::add_llm(app);
  mtb::cli::add_ops(app);
  mtb::cli::add_op_worker(app);
  mtb::cli::add_models(app);
  mtb::cli::add_info(app);
  mtb::cli::add_check(app);
  mtb::cli::add_worker(app);
  mtb::cli::add_report(app);
  mtb::cli::add_compare(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    fmt::print(stderr, "mtb: error: {}\n", e.what());
    return 1;
  }
  // Leave without running static destructors: the CUDA libraries (ggml-cuda, libtorch's) tear down
  // in an order that crashed `mtb ops` at exit on the H100 (torch 2.11 + ggml-cuda), after every
  // result was stored but before the buffered table reached stdout. Everything mtb writes is
  // closed in its own scope by now; only stdio's buffers need flushing.
  std::fflush(nullptr);
  std::_Exit(mtb::cli::exit_code());
}
