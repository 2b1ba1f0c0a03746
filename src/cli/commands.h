// Each subcommand lives in its own file and registers itself on the CLI11 app here.
#pragma once
#include <CLI/CLI.hpp>

namespace mtb::cli {

// Every subcommand's action stores its exit code here; main returns it.
int& exit_code();

void add_llm(CLI::App& app);
void add_models(CLI::App& app);
void add_info(CLI::App& app);
void add_check(CLI::App& app);  // `mtb check`: two backends, same tokens, logits compared
void add_worker(CLI::App& app);  // hidden: `mtb __worker` runs one case for `mtb llm`

}  // namespace mtb::cli
