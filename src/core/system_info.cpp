#include "core/system_info.h"

#include <fmt/format.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#ifdef __APPLE__
#include <sys/sysctl.h>
#endif

namespace mtb {
namespace {

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

#ifdef __APPLE__
std::string sysctl_string(const char* name) {
  size_t size = 0;
  if (sysctlbyname(name, nullptr, &size, nullptr, 0) != 0 || size == 0) return "";
  std::string s(size, '\0');
  if (sysctlbyname(name, s.data(), &size, nullptr, 0) != 0) return "";
  s.resize(strnlen(s.c_str(), size));
  return s;
}
int64_t sysctl_int(const char* name) {
  int64_t v = 0;
  size_t size = sizeof v;
  if (sysctlbyname(name, &v, &size, nullptr, 0) != 0) return 0;
  return v;
}
#endif

// Words that make a hardware string long without telling machines apart.
std::string shorten_cpu(std::string s) {
  for (const char* noise : {"(R)", "(TM)", "(tm)", "CPU", "Processor", "processor", "with Radeon Graphics"}) {
    for (size_t p; (p = s.find(noise)) != std::string::npos;) s.erase(p, strlen(noise));
  }
  if (const size_t at = s.find('@'); at != std::string::npos) s.erase(at);
  if (const size_t core = s.find("-Core"); core != std::string::npos) {  // "AMD Ryzen 9 7950X 16-Core"
    const size_t sp = s.rfind(' ', core);
    s.erase(sp == std::string::npos ? 0 : sp, core + 5 - (sp == std::string::npos ? 0 : sp));
  }
  return trim(s);
}

std::string underscores(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (std::isalnum(static_cast<unsigned char>(ch)) || ch == '+' || ch == '-' || ch == '.') out += ch;
    else if (!out.empty() && out.back() != '_') out += '_';
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out;
}

}  // namespace

HostInfo host_info() {
  HostInfo h;
  utsname u{};
  uname(&u);
  h.kernel = u.release;
  h.arch = u.machine;
  h.logical_cores = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
#ifdef __APPLE__
  h.cpu_model = sysctl_string("machdep.cpu.brand_string");
  h.physical_cores = static_cast<int>(sysctl_int("hw.physicalcpu"));
  h.performance_cores = static_cast<int>(sysctl_int("hw.perflevel0.physicalcpu"));
  h.efficiency_cores = static_cast<int>(sysctl_int("hw.perflevel1.physicalcpu"));
  h.memory_bytes = static_cast<uint64_t>(sysctl_int("hw.memsize"));
  h.os = "macOS " + sysctl_string("kern.osproductversion");
  if (h.arch == "arm64") h.simd = {"neon"};
  if (sysctl_int("hw.optional.arm.FEAT_DotProd")) h.simd.push_back("dotprod");
  if (sysctl_int("hw.optional.arm.FEAT_I8MM")) h.simd.push_back("i8mm");
  if (sysctl_int("hw.optional.arm.FEAT_BF16")) h.simd.push_back("bf16");
#else
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  std::set<std::pair<std::string, std::string>> cores;  // (physical id, core id)
  std::string phys;
  std::set<std::string> flags;
  while (std::getline(cpuinfo, line)) {
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = trim(line.substr(0, colon)), val = trim(line.substr(colon + 1));
    if ((key == "model name" || key == "Model") && h.cpu_model.empty()) h.cpu_model = val;
    else if (key == "physical id") phys = val;
    else if (key == "core id") cores.insert({phys, val});
    else if ((key == "flags" || key == "Features") && flags.empty()) {
      std::istringstream ss(val);
      for (std::string f; ss >> f;) flags.insert(f);
    }
  }
  h.physical_cores = cores.empty() ? h.logical_cores : static_cast<int>(cores.size());
  for (const char* f : {"sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512_vnni", "avx512_bf16",
                        "amx_tile", "amx_bf16", "amx_int8", "avx_vnni", "asimd", "asimddp", "sve", "sve2", "i8mm"})
    if (flags.count(f)) h.simd.push_back(f);
  h.memory_bytes = static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<uint64_t>(sysconf(_SC_PAGE_SIZE));
  std::ifstream osr("/etc/os-release");
  while (std::getline(osr, line))
    if (line.rfind("PRETTY_NAME=", 0) == 0) {
      h.os = line.substr(12);
      h.os.erase(std::remove(h.os.begin(), h.os.end(), '"'), h.os.end());
    }
  if (h.os.empty()) h.os = std::string(u.sysname);
#endif
  if (h.cpu_model.empty()) h.cpu_model = h.arch;
  return h;
}

uint64_t available_host_memory() {
#ifndef __APPLE__
  std::ifstream meminfo("/proc/meminfo");
  for (std::string line; std::getline(meminfo, line);)
    if (line.rfind("MemAvailable:", 0) == 0) return std::stoull(line.substr(13)) * 1024;  // "MemAvailable:  123 kB"
#endif
  // macOS: unified memory that the system frees on demand; the total is what a process can hope for.
  return host_info().memory_bytes;
}

int default_cpu_threads() {
  const HostInfo h = host_info();
  return std::max(1, h.performance_cores > 0 ? h.performance_cores : h.physical_cores);
}

std::string hardware_string(const HostInfo& h, const std::vector<std::string>& gpu_names) {
  std::string s = underscores(shorten_cpu(h.cpu_model));
  if (h.performance_cores > 0)
    s += fmt::format("_{}P+{}E", h.performance_cores, h.efficiency_cores);
  else
    s += fmt::format("_{}C", h.logical_cores);
  for (const auto& g : gpu_names) s += "_" + underscores(g);
  s += fmt::format("_{}GB", (h.memory_bytes + (1ull << 29)) >> 30);
  return s;
}

nlohmann::json to_json(const HostInfo& h) {
  return {{"cpu_model", h.cpu_model},
          {"logical_cores", h.logical_cores},
          {"physical_cores", h.physical_cores},
          {"performance_cores", h.performance_cores},
          {"efficiency_cores", h.efficiency_cores},
          {"simd", h.simd},
          {"memory_bytes", h.memory_bytes},
          {"os", h.os},
          {"kernel", h.kernel},
          {"arch", h.arch}};
}

}  // namespace mtb
