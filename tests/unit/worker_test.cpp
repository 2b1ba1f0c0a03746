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

TEST(Worker, HandsOverEachResultLineAsItArrivesAndTimesEachCase) {
  // Three results 0.3 s apart under a 1 s limit: the limit is per result line, not for the worker.
  std::vector<std::string> lines;
  const WorkerResult r = run_worker({"/bin/sh", "-c", "for i in 1 2 3 4; do echo \"case $i\" >&3; sleep 0.3; done"}, "", 1.0,
                                    false, {}, [&](const std::string& l) { lines.push_back(l); });
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(lines, (std::vector<std::string>{"case 1", "case 2", "case 3", "case 4"}));
  EXPECT_TRUE(r.result.empty());
}

TEST(Worker, ACaseThatOutlastsItsLimitEndsTheWorkerAfterTheLinesBeforeIt) {
  std::vector<std::string> lines;
  const WorkerResult r = run_worker({"/bin/sh", "-c", "echo done >&3; sleep 30"}, "", 0.5, false, {},
                                    [&](const std::string& l) { lines.push_back(l); });
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(lines, std::vector<std::string>{"done"});
  EXPECT_NE(r.failure_reason().find("timed out after"), std::string::npos) << r.failure_reason();
}

// The worker's own progress lines say where it was, not why it ended: the reason takes the last
// other line, or none.
TEST(Worker, AFailureReasonNeverCarriesAProgressLine) {
  WorkerResult r = run_worker({"/bin/sh", "-c", "echo 'out of cheese' >&2; echo '@progress rep 1/3' >&2; exit 4"}, "", 10, false);
  std::string why = r.failure_reason();
  EXPECT_EQ(why.find("@progress"), std::string::npos) << why;
  EXPECT_NE(why.find("code 4: out of cheese"), std::string::npos) << why;
  r = run_worker({"/bin/sh", "-c", "echo '@progress loading' >&2; echo '@progress rep 1/3' >&2; exit 4"}, "", 10, false);
  why = r.failure_reason();
  EXPECT_EQ(why, "worker exited with code 4");
}
