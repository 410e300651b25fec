// The real executables under fake-lambda on the kinds of Lambda its flags emulate: JSON log
// format with a tenant, a Lambda that knows only an older schema, SnapStart. Assertions read
// fake-lambda's JSON report and what it echoed of the extension's output (--verbose).

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
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

struct Run {
  int exit_code = -1;
  json::value report;
  std::string output;  // stdout and stderr

  std::int64_t number(const char* pointer) const {
    boost::system::error_code ec;
    const auto* value = report.find_pointer(pointer, ec);
    if (!value) throw std::runtime_error(std::string("the report has no ") + pointer);
    return value->to_number<std::int64_t>();
  }
};

std::string slurp(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// fake-lambda running telemetry-forwarder, its extension output echoed (--verbose).
Run run_fake_lambda(const std::string& args) {
  std::string pattern = (fs::temp_directory_path() / "ltf-kinds-XXXXXX").string();
  const fs::path dir = ::mkdtemp(pattern.data()) ? pattern : "";
  EXPECT_FALSE(dir.empty());
  const std::string command = std::string(LTF_FAKE_LAMBDA_BIN) + " --extension " + LTF_FORWARDER_BIN +
                              " --verbose --report " + (dir / "report.json").string() +
                              " --env LTF_SPILL_DIR=" + (dir / "tmp").string() +
                              " --env LTF_LISTENER_PORT=" + std::to_string(ltf::test::free_port()) +
                              " " + args + " > " + (dir / "out.txt").string() + " 2>&1";
  Run run;
  const int status = std::system(command.c_str());
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.output = slurp(dir / "out.txt");
  boost::system::error_code ec;
  run.report = json::parse(slurp(dir / "report.json"), ec);
  EXPECT_FALSE(ec) << "no JSON report from: " << command << "\n" << run.output;
  fs::remove_all(dir);
  return run;
}

void expect_every_line_once(const Run& run, std::int64_t lines) {
  EXPECT_EQ(run.number("/sink/lines/produced"), lines);
  EXPECT_EQ(run.number("/sink/lines/lost"), 0);
  EXPECT_EQ(run.number("/sink/lines/duplicated"), 0);
}

TEST(ProcessKinds, JsonLogsOfATenantReachTheSinkEveryLineOnce) {
  const auto run = run_fake_lambda("--sink --json-logs --tenant-id t1 --invocations 20 --lines 10");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  expect_every_line_once(run, 200);
  EXPECT_NE(run.output.find("(json)"), std::string::npos);
  EXPECT_NE(run.output.find("tenant t1"), std::string::npos);
}

TEST(ProcessKinds, JsonLogsOfATenantReachOpenSearchEveryLineOnce) {
  const auto run =
      run_fake_lambda("--opensearch --json-logs --tenant-id t1 --invocations 20 --lines 10");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(run.number("/opensearch/indices/lambda-function/documents"), 200);
  EXPECT_EQ(run.number("/opensearch/indices/lambda-function/duplicates"), 0);
  EXPECT_EQ(run.number("/opensearch/item_errors"), 0);
}

TEST(ProcessKinds, OnALambdaThatKnowsOnly2022_12_13TheForwarderFallsBackOnce) {
  const auto run = run_fake_lambda("--sink --schema 2022-12-13 --json-logs --invocations 5");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(run.report.at_pointer("/extensions/0/schema_version").as_string(), "2022-12-13");
  expect_every_line_once(run, 50);
}

TEST(ProcessKinds, SnapStartRestoreIsNoticedTheLongPollAskedAgainAndEveryLineDeliveredOnce) {
  const auto run = run_fake_lambda("--sink --snapstart --invocations 10 --lines 10");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(run.number("/restores"), 1);
  expect_every_line_once(run, 100);
  // Its parked /event/next was cut: it was asked again (by the HTTP client, which resends a
  // request whose kept-alive connection closed unanswered, or by the lifecycle's retry) and every
  // invocation reached it, with no second parked /next refused.
  EXPECT_TRUE(run.report.at_pointer("/api_errors").as_array().empty()) << run.output;
  EXPECT_EQ(run.report.at_pointer("/invocations").as_array().size(), 10u);
  EXPECT_NE(run.output.find("restored from a SnapStart snapshot"), std::string::npos) << run.output;
  EXPECT_EQ(run.number("/events_delivered/platform.restoreStart"), 1);
}

TEST(ProcessKinds, TwoRestoresOfTheSameProcessesLoseNothing) {
  const auto run = run_fake_lambda("--sink --snapstart --restores 2 --invocations 10 --lines 10");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(run.number("/restores"), 2);
  EXPECT_EQ(run.number("/sink/lines/produced"), 100);
  EXPECT_EQ(run.number("/sink/lines/lost"), 0);
  // A flush in flight when the second snapshot froze it loses its answer with the cut connection
  // and is sent again: the same events, which a backend drops by id, never re-made ones.
  EXPECT_EQ(run.number("/sink/lines/altered_duplicates"), 0);
}

}  // namespace
