#include "e2e_util.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <array>
#include <chrono>
#include <cstring>
#include <thread>
#include <cstdio>
#include <fstream>
#include <sys/wait.h>

namespace fs = std::filesystem;

namespace e2e {

std::string sh_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

Result run_mtb(const std::string& args, const std::string& env) {
  // Both streams unless the caller redirects stderr itself (to read stdout alone).
  const bool own_stderr = args.find("2>") != std::string::npos;
  const std::string cmd = env + " " + sh_quote(MTB_BINARY) + " " + args + (own_stderr ? "" : " 2>&1");
  Result r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

int start_mtb(const std::string& args, const std::string& log, const std::vector<std::string>& env) {
  const pid_t pid = fork();
  if (pid == 0) {
    for (const auto& e : env) putenv(strdup(e.c_str()));
    const std::string cmd = "exec " + sh_quote(MTB_BINARY) + " " + args + " >" + sh_quote(log) + " 2>&1";
    execl("/bin/sh", "sh", "-c", cmd.c_str(), nullptr);
    _exit(127);
  }
  return pid;
}

fs::path wait_for_first_record(const fs::path& root) {
  for (int i = 0; i < 2400; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    try {
      const fs::path run = only_run(root);
      if (!records(run).empty()) return run;
    } catch (...) {
      // the run folder does not exist yet
    }
  }
  return {};
}

fs::path fresh_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const fs::path d = fs::path(MTB_TEST_TMP) / "e2e" / (std::string(info->test_suite_name()) + "." + info->name());
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

fs::path only_run(const fs::path& root) {
  std::vector<fs::path> runs;
  for (const auto& hw : fs::directory_iterator(root / "llm_benchmarks"))
    for (const auto& run : fs::directory_iterator(hw.path())) runs.push_back(run.path());
  if (runs.size() != 1) throw std::runtime_error("expected exactly one run folder under " + root.string());
  return runs[0];
}

std::vector<mtb::Record> records(const fs::path& run) {
  std::vector<mtb::Record> out;
  std::ifstream in(run / "results.jsonl");
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(nlohmann::json::parse(line).get<mtb::Record>());
  return out;
}

std::vector<std::vector<std::string>> read_csv(const fs::path& file) {
  // Enough CSV for mtb's own files: quoted fields with doubled quotes, no embedded newlines.
  std::vector<std::vector<std::string>> rows;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> row{""};
    bool quoted = false;
    for (size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      if (quoted) {
        if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') row.back() += '"', ++i;
        else if (c == '"') quoted = false;
        else row.back() += c;
      } else if (c == '"') quoted = true;
      else if (c == ',') row.emplace_back();
      else row.back() += c;
    }
    rows.push_back(row);
  }
  return rows;
}

nlohmann::json read_json(const fs::path& file) {
  std::ifstream in(file);
  return nlohmann::json::parse(in);
}

}  // namespace e2e
