// mtb: which framework, model and precision is fastest on this machine, and by how much.
// CLI wiring only: each subcommand lives in src/cli/ (the crash report too).
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>

#include "build_info.h"
#include "cli/commands.h"
#include "cli/crash_report.h"

int main(int argc, char** argv) {
  mtb::cli::install_crash_report();
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
  mtb::cli::add_models(app);
  mtb::cli::add_info(app);
  mtb::cli::add_check(app);
  mtb::cli::add_quality(app);
  mtb::cli::add_worker(app);
  mtb::cli::add_report(app);
  mtb::cli::add_compare(app);
  mtb::cli::add_plan_status(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version end with 0; every parse error (CLI11's own codes are 100 and up) is bad
    // input, exit 1 as every other bad option.
    return app.exit(e) == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "mtb: error: {}\n", e.what());
    return 1;
  }
  // Leave without running static destructors: the CUDA libraries (ggml-cuda, libtorch's) tear down
  // in an order that crashed `mtb ops` at exit on the H100 (torch 2.11 + ggml-cuda), after every
  // result was stored but before the buffered table reached stdout. Everything mtb writes is
  // closed in its own scope by now; only stdio's buffers need flushing.
  // What stdout held (the table, a path) must have reached it: a full disk or /dev/full is an error.
  const bool out_failed = std::fflush(stdout) != 0 || std::ferror(stdout);
  const int out_errno = errno;
  std::fflush(nullptr);
  if (out_failed) {
    fmt::print(stderr, "mtb: error: cannot write to stdout: {}\n", std::strerror(out_errno));
    std::_Exit(mtb::cli::exit_code() != 0 ? mtb::cli::exit_code() : 1);
  }
  std::_Exit(mtb::cli::exit_code());
}
