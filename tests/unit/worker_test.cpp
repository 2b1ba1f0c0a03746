#include <gtest/gtest.h>

#include "core/worker.h"

using namespace mtb;

TEST(Worker, PassesInputAndCollectsTheResult) {
  const WorkerResult r = run_worker({"/bin/sh", "-c", "read line; echo \"got $line\" >&3; echo log line"}, "hello\n", 10, false);
  EXPECT_TRUE(r.exited);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.result, "got hello\n");
  EXPECT_NE(r.log_tail.find("log line"), std::string::npos);
}

TEST(Worker, ReportsACrashWithTheLastLogLine) {
  const WorkerResult r = run_worker({"/bin/sh", "-c", "echo 'GGML_ASSERT(x) failed' >&2; kill -SEGV $$"}, "", 10, false);
  EXPECT_TRUE(r.result.empty());
  EXPECT_EQ(r.signal, SIGSEGV);
  const std::string why = r.failure_reason();
  EXPECT_NE(why.find("crashed: signal"), std::string::npos) << why;
  EXPECT_NE(why.find("GGML_ASSERT(x) failed"), std::string::npos) << why;
}

TEST(Worker, SigkillReadsAsOutOfMemoryOrKilled) {
  const WorkerResult r = run_worker({"/bin/sh", "-c", "kill -KILL $$"}, "", 10, false);
  EXPECT_NE(r.failure_reason().find("SIGKILL"), std::string::npos);
}

TEST(Worker, TimeoutKillsTheWholeGroup) {
  const WorkerResult r = run_worker({"/bin/sh", "-c", "sleep 30 & sleep 30"}, "", 0.5, false);
  EXPECT_TRUE(r.timed_out);
  EXPECT_LT(r.wall_s, 10);
  EXPECT_NE(r.failure_reason().find("timed out"), std::string::npos);
}

TEST(Worker, NonZeroExitIsAFailure) {
  const WorkerResult r = run_worker({"/bin/sh", "-c", "exit 4"}, "", 10, false);
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_NE(r.failure_reason().find("code 4"), std::string::npos);
}

TEST(Worker, MissingExecutableIsReported) {
  const WorkerResult r = run_worker({"/nonexistent/mtb"}, "", 10, false);
  EXPECT_EQ(r.exit_code, 127);
  EXPECT_NE(r.failure_reason().find("cannot execute"), std::string::npos) << r.failure_reason();
}
