// mtb: which framework, model and precision is fastest on this machine, and by how much.
// CLI wiring only: each subcommand lives in src/cli/.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <execinfo.h>
#include <unistd.h>

#include "build_info.h"
#include "cli/commands.h"

namespace {

// A crash names itself: the signal and the call stack (addresses resolve with `addr2line -e mtb`),
// then the default action, so the exit status still says which signal it was.
void on_fatal_signal(int sig) {
  static const char head[] = "mtb: fatal signal; call stack:\n";
  (void)!write(STDERR_FILENO, head, sizeof head - 1);
  void* frames[64];
  backtrace_symbols_fd(frames, backtrace(frames, 64), STDERR_FILENO);
  signal(sig, SIG_DFL);
  raise(sig);
}

}  // namespace

int main(int argc, char** argv) {
  void* warm[1];
  backtrace(warm, 1);  // loads the unwinder now: the first call may allocate, which a signal handler must not
  for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE}) signal(sig, on_fatal_signal);
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
