#include "slurm_cluster.h"

#include <fmt/format.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "e2e_util.h"

namespace e2e {
namespace fs = std::filesystem;
namespace {

constexpr std::array<const char*, 3> kDaemons = {"slurmd", "slurmctld", "munged"};  // stopped in this order

bool on_path(const std::string& name) {
  return std::system(fmt::format("command -v {} >/dev/null 2>&1", name).c_str()) == 0;
}

// A TCP port free now on 127.0.0.1 (the kernel's pick), for slurmctld and slurmd.
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 && ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  ::close(fd);
  if (port == 0) throw std::runtime_error("no free TCP port for the Slurm daemons");
  return port;
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string short_host() {
  char name[256] = {};
  ::gethostname(name, sizeof(name) - 1);
  std::string h = name;
  return h.substr(0, h.find('.'));
}

long long memory_mb() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  long long kb = 0;
  in >> key >> kb;  // MemTotal: N kB
  return kb / 1024;
}

}  // namespace

std::string SlurmCluster::why_not() {
  if (::geteuid() != 0) return "not root: munged, slurmctld and slurmd are started as root here (Debian's packages run them so)";
  for (const char* b : {"munged", "slurmctld", "slurmd", "sbatch", "squeue", "scancel", "sinfo"})
    if (!on_path(b)) return fmt::format("{} is not installed (apt-get install slurm-wlm munge; scripts/setup.sh --tests does)", b);
  return "";
}

SlurmCluster::SlurmCluster() {
  // Short and private: unix socket paths are limited to 107 bytes, and munged wants its key unreadable by others.
  char tmpl[] = "/tmp/mtb-slurm-XXXXXX";
  if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);  // sockets reachable
  fs::create_directories(dir_ / "state");
  fs::create_directories(dir_ / "spool");
  {
    std::random_device rd;
    std::ofstream key(dir_ / "munge.key", std::ios::binary);
    for (int i = 0; i < 1024; ++i) key.put(char(rd() & 0xff));
  }
  fs::permissions(dir_ / "munge.key", fs::perms::owner_read);
  const std::string d = dir_.string(), host = short_host();
  std::ofstream(dir_ / "slurm.conf") << fmt::format(
      "ClusterName=mtbtest\nSlurmctldHost={host}(127.0.0.1)\nSlurmctldPort={cport}\nSlurmdPort={dport}\n"
      "AuthType=auth/munge\nAuthInfo=socket={d}/munge.socket\nCredType=cred/munge\nSlurmUser=root\nSlurmdUser=root\n"
      "StateSaveLocation={d}/state\nSlurmdSpoolDir={d}/spool\nSlurmctldPidFile={d}/slurmctld.pid\n"
      "SlurmdPidFile={d}/slurmd.pid\nSlurmctldLogFile={d}/slurmctld.log\nSlurmdLogFile={d}/slurmd.log\n"
      "ProctrackType=proctrack/linuxproc\nTaskPlugin=task/none\nSchedulerType=sched/backfill\n"
      "SelectType=select/cons_tres\nSelectTypeParameters=CR_CPU\nReturnToService=2\nMpiDefault=none\n"
      "JobCompType=jobcomp/none\nAccountingStorageType=accounting_storage/none\nKillWait=5\nMinJobAge=600\n"
      // The host's own cores and memory; the array's four tasks share them (OverSubscribe) so they run at once.
      "NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={mem} State=UNKNOWN\n"
      "PartitionName=mtb Nodes={host} Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4\n",
      fmt::arg("host", host), fmt::arg("cport", free_port()), fmt::arg("dport", free_port()), fmt::arg("d", d),
      fmt::arg("cpus", std::thread::hardware_concurrency()), fmt::arg("mem", memory_mb() - 512));
  const std::string start = fmt::format(
      "munged --force --key-file={d}/munge.key --socket={d}/munge.socket --pid-file={d}/munged.pid "
      "--log-file={d}/munged.log --seed-file={d}/munged.seed && "
      "slurmctld -i -f {d}/slurm.conf && slurmd -f {d}/slurm.conf",
      fmt::arg("d", d));
  int code = 0;
  const std::string out = run(start, &code);
  if (code != 0) {
    const std::string l = logs();
    stop();
    throw std::runtime_error(fmt::format("the daemons did not start ({}):\n{}\n{}", code, out, l));
  }
  for (int i = 0; i < 100; ++i) {
    if (run("sinfo -h -o %T").find("idle") != std::string::npos) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const std::string l = logs();
  stop();
  throw std::runtime_error("the node did not become idle within 10 s:\n" + l);
}

SlurmCluster::~SlurmCluster() { stop(); }

void SlurmCluster::stop() {
  if (dir_.empty()) return;
  for (const char* daemon : kDaemons) {
    std::ifstream in(dir_ / (std::string(daemon) + ".pid"));
    pid_t pid = 0;
    if (!(in >> pid) || pid <= 1) continue;
    ::kill(pid, SIGTERM);
    for (int i = 0; i < 50 && ::kill(pid, 0) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (::kill(pid, 0) == 0) ::kill(pid, SIGKILL);  // five seconds were its chance to leave cleanly
  }
  std::error_code ec;
  fs::remove_all(dir_, ec);
  dir_.clear();
}

std::string SlurmCluster::env() const { return "SLURM_CONF=" + sh_quote((dir_ / "slurm.conf").string()); }

std::string SlurmCluster::run(const std::string& command, int* exit_code) const {
  const std::string cmd = env() + " bash -c " + sh_quote(command) + " 2>&1";
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) throw std::runtime_error("popen failed");
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int status = pclose(p);
  if (exit_code) *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return out;
}

bool SlurmCluster::job_listed(const std::string& job) const {
  return !run(fmt::format("squeue -h -j {} -o %i 2>/dev/null", job)).empty();
}

std::string SlurmCluster::logs() const {
  std::string s;
  for (const char* f : {"munged.log", "slurmctld.log", "slurmd.log"}) {
    std::string text = read_text(dir_ / f);
    if (text.size() > 3000) text = "..." + text.substr(text.size() - 3000);
    s += fmt::format("--- {} ---\n{}\n", f, text);
  }
  return s;
}

}  // namespace e2e
