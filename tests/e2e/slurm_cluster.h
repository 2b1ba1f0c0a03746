// A real single-node Slurm cluster for a test, from Debian's slurm-wlm and munge: munged with a key
// made here, slurmctld and slurmd with a slurm.conf written here (this host as the one node with its
// cores and memory, proctrack/linuxproc, task/none), state, spool, sockets and logs in a temporary
// folder. The destructor stops the three daemons by their pids, however the test ends.
#pragma once
#include <filesystem>
#include <string>

namespace e2e {

class SlurmCluster {
 public:
  // Why no cluster can start here ("" when one can): not root, or a binary missing.
  static std::string why_not();

  SlurmCluster();  // starts the daemons and waits (10 s at most) for the node to be idle; throws with the logs
  ~SlurmCluster();
  SlurmCluster(const SlurmCluster&) = delete;
  SlurmCluster& operator=(const SlurmCluster&) = delete;

  // "SLURM_CONF=..." for a command line that talks to this cluster.
  std::string env() const;
  // Runs `command` (a shell line) against this cluster; its stdout and stderr, and its exit code.
  std::string run(const std::string& command, int* exit_code = nullptr) const;
  // Whether squeue still lists the job (any of its array tasks).
  bool job_listed(const std::string& job) const;
  // The daemons' logs, for a failure's message.
  std::string logs() const;
  std::filesystem::path dir() const { return dir_; }

 private:
  void stop();
  std::filesystem::path dir_;
};

}  // namespace e2e
