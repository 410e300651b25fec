// The real executables under fake-lambda when the extension process dies: SIGKILLed at the
// Shutdown deadline, or killed mid-run and started again as Lambda does after a crash. What the
// forwarder had spilled to its /tmp directory must reach the sink through its successor; what it
// only held in memory is lost, and counted. Assertions read fake-lambda's JSON report.
//
// The spill directory plays the sandbox's /tmp: it outlives the process, and is shared by
// consecutive runs where a test says so.

#include "harness.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

// A sandbox's /tmp for spilled events, removed with the test.
class Sandbox {
 public:
  Sandbox() {
    std::string pattern = (fs::temp_directory_path() / "ltf-sandbox-XXXXXX").string();
    dir_ = ::mkdtemp(pattern.data()) ? pattern : "";
    EXPECT_FALSE(dir_.empty());
  }
  ~Sandbox() {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  const std::string& spill_dir() const { return dir_; }

 private:
  std::string dir_;
};

struct Run {
  int exit_code = -1;
  json::value report;

  std::int64_t number(const char* pointer) const {
    boost::system::error_code ec;
    const auto* value = report.find_pointer(pointer, ec);
    if (!value) throw std::runtime_error(std::string("the report has no ") + pointer);
    return value->to_number<std::int64_t>();
  }
  bool flag(const char* pointer) const {
    boost::system::error_code ec;
    const auto* value = report.find_pointer(pointer, ec);
    if (!value || !value->is_bool()) throw std::runtime_error(std::string("the report has no ") + pointer);
    return value->as_bool();
  }
};

// fake-lambda running telemetry-forwarder with a recording sink, spilling into `sandbox`.
Run run_fake_lambda(const Sandbox& sandbox, const std::string& args) {
  const auto report_path = fs::path(sandbox.spill_dir()).parent_path() /
                           (fs::path(sandbox.spill_dir()).filename().string() + "-report.json");
  const std::string command = std::string(LTF_FAKE_LAMBDA_BIN) + " --extension " +
                              LTF_FORWARDER_BIN + " --sink --report " + report_path.string() +
                              " --env LTF_SPILL_DIR=" + sandbox.spill_dir() +
                              " --env LTF_LISTENER_PORT=" + std::to_string(ltf::test::free_port()) +
                              " " + args + " > /dev/null 2>&1";
  Run run;
  const int status = std::system(command.c_str());
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream in(report_path);
  std::stringstream text;
  text << in.rdbuf();
  fs::remove(report_path);
  boost::system::error_code ec;
  run.report = json::parse(text.str(), ec);
  EXPECT_FALSE(ec) << "no JSON report from: " << command;
  return run;
}

// Function lines past LTF_BUFFER_MAX_BYTES's smallest value (64 KiB) on their own: the forwarder
// writes each one to disk the moment it arrives, so none is ever only in memory.
constexpr const char* spilled_at_once = " --line-bytes 70000 --env LTF_BUFFER_MAX_BYTES=65536";

TEST(ProcessFaults, SigkillAtTheShutdownDeadlineLosesNothingTheForwarderHadSpilled) {
  Sandbox sandbox;
  // The sink hangs throughout, and Shutdown leaves the extension no time at all (the runtime's
  // 300 ms are the whole budget): it is killed the moment Shutdown begins.
  auto killed = run_fake_lambda(sandbox, std::string("--invocations 4 --lines 5 --sink-fault hang "
                                                     "--shutdown-budget-ms 300") +
                                             spilled_at_once);
  ASSERT_EQ(killed.exit_code, 6);  // fake-lambda: its lines did not reach the sink (yet)
  EXPECT_TRUE(killed.flag("/extensions/0/killed"));
  EXPECT_FALSE(killed.flag("/extensions/0/exited_before_deadline"));
  EXPECT_EQ(killed.number("/sink/lines/received"), 0);

  // The next process in the sandbox, with the destination back: different line lengths tell its
  // own lines from its predecessor's.
  auto next = run_fake_lambda(sandbox, "--invocations 2 --lines 5 --line-bytes 60000");
  ASSERT_EQ(next.exit_code, 0);
  EXPECT_EQ(next.number("/sink/lines/lost"), 0);
  EXPECT_EQ(next.number("/sink/lines/duplicated"), 0);
  // Every one of the killed run's 20 lines, each exactly once.
  EXPECT_EQ(next.number("/sink/lines/unexpected"), 20);
  EXPECT_EQ(next.number("/sink/lines/unexpected_distinct"), 20);
}

// The request of invocation 1's flush still hangs when Shutdown's time runs out: its batch, taken
// from memory, is neither in the buffer nor on disk unless Shutdown keeps a copy of it.
TEST(ProcessFaults, HangingSinkAtShutdownLeavesEverythingOnDiskForTheNextProcess) {
  Sandbox sandbox;
  // Default memory budget: the lines are in memory, and a request to the sink is hanging when
  // Shutdown's time runs out. The forwarder must put all of it on disk before it goes.
  auto first = run_fake_lambda(sandbox, "--invocations 4 --lines 5 --line-bytes 90 "
                                        "--sink-fault hang --shutdown-budget-ms 1000");
  ASSERT_EQ(first.exit_code, 6);  // fake-lambda: its lines did not reach the sink (yet)
  EXPECT_EQ(first.number("/sink/lines/received"), 0);

  auto next = run_fake_lambda(sandbox, "--invocations 2 --lines 5 --line-bytes 100");
  ASSERT_EQ(next.exit_code, 0);
  EXPECT_EQ(next.number("/sink/lines/lost"), 0);
  EXPECT_EQ(next.number("/sink/lines/unexpected"), 20);
  EXPECT_EQ(next.number("/sink/lines/unexpected_distinct"), 20);
}

TEST(ProcessFaults, KilledMidRunAndStartedAgainItsSuccessorDeliversEverythingItHadSpilled) {
  Sandbox sandbox;
  // The sink is down for invocations 1-4; the extension is killed after invocation 4 and Lambda
  // starts it again (Init runs anew) before invocation 5, with the sink back.
  auto run = run_fake_lambda(sandbox, std::string("--invocations 8 --lines 5 --sink-down 1-4 "
                                                  "--kill-extension-at 4") +
                                          spilled_at_once);
  ASSERT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.number("/extensions/0/restarts"), 1);
  EXPECT_TRUE(run.flag("/extensions/0/exited_before_deadline"));  // the successor, at Shutdown
  EXPECT_EQ(run.number("/sink/lines/produced"), 40);
  EXPECT_EQ(run.number("/sink/lines/lost"), 0);
  EXPECT_EQ(run.number("/sink/lines/duplicated"), 0);
  EXPECT_EQ(run.number("/sink/lines/unexpected"), 0);
}

TEST(ProcessFaults, KilledMidRunDuringAnOutageLosesNothingEvenWithRoomInMemory) {
  Sandbox sandbox;
  // The same with small lines, well within the memory budget: while the sink fails, the
  // forwarder keeps what it receives on disk from the start, so the kill finds nothing that
  // exists only in memory.
  auto run = run_fake_lambda(sandbox, "--invocations 8 --lines 5 --line-bytes 100 "
                                      "--sink-down 1-4 --kill-extension-at 4");
  ASSERT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.number("/extensions/0/restarts"), 1);
  EXPECT_EQ(run.number("/sink/lines/produced"), 40);
  EXPECT_EQ(run.number("/sink/lines/lost"), 0);
  EXPECT_EQ(run.number("/sink/lines/duplicated"), 0);
}

TEST(ProcessFaults, BackoffAcrossARealFreezeIsRetriedAfterTheThawAndLosesNothing) {
  Sandbox sandbox;
  // SIGSTOPped for 600 ms between invocations, longer than the backoff after invocation 2's 503s.
  auto run = run_fake_lambda(sandbox, "--invocations 6 --lines 5 --idle-ms 600 "
                                      "--sink-fault status:503 --sink-fault-during 2-2 "
                                      "--env LTF_RETRY_INITIAL_MS=400 --env LTF_RETRY_MAX_MS=400");
  ASSERT_EQ(run.exit_code, 0);
  EXPECT_GT(run.number("/sink/requests"), run.number("/sink/accepted_requests"));
  EXPECT_EQ(run.number("/sink/lines/lost"), 0);
  EXPECT_EQ(run.number("/sink/lines/duplicated"), 0);
}

TEST(ProcessFaults, SinkResettingMidAnswerOnlyDuplicatesAndAlwaysAsTheSameEvent) {
  Sandbox sandbox;
  auto run = run_fake_lambda(sandbox, "--invocations 20 --lines 5 --sink-fault reset "
                                      "--sink-fault-during 5-10");
  ASSERT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.number("/sink/lines/lost"), 0);
  EXPECT_GT(run.number("/sink/lines/duplicated"), 0);
  EXPECT_EQ(run.number("/sink/lines/altered_duplicates"), 0);
  EXPECT_EQ(run.number("/sink/lines/unexpected"), 0);
}

}  // namespace
