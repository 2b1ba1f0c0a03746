// Checks every command runs on its options before anything runs: one message naming the option and
// what it takes, thrown as std::invalid_argument (main prints it and exits 1).
#pragma once
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace mtb::cli {

// `v` finite and within [lo, hi]; else "OPTION V: takes WHAT (LO to HI)".
void check_range(double v, double lo, double hi, const std::string& option, const std::string& what);
// Every value of an axis within [lo, hi].
void check_each(const std::vector<int>& v, int lo, int hi, const std::string& option);
// No value twice: each is a case, and a repeated one would be measured twice under one resume key.
template <class T>
void check_distinct(const std::vector<T>& v, const std::string& option);
// A prompt text: an existing, non-empty file of UTF-8 text (no NUL bytes).
void check_prompt_file(const std::string& path);
// With --resume the plan is the run's own: every option given on `cmd` but those in `allowed`
// (long names without dashes) is refused, named.
void refuse_with_resume(const CLI::App& cmd, const std::vector<std::string>& allowed);

// Run options every suite's --resume accepts: what is printed, the report, logs, the cooldown.
inline const std::vector<std::string> kResumeRunOptions = {"resume", "output", "report", "no-report", "verbose", "cooldown"};

}  // namespace mtb::cli
