// The real executables: telemetry-forwarder run as a process by fake-lambda, frozen with SIGSTOP
// between invocations, killed at the deadline if it overstays. Assertions read fake-lambda's JSON
// report.

#include "harness.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace {

namespace json = boost::json;

struct Run {
  int exit_code = -1;
  json::value report;
};

Run run_fake_lambda(const std::string& args) {
  const auto report_path = std::filesystem::temp_directory_path() /
                           ("ltf-report-" + std::to_string(::getpid()) + ".json");
  // A sandbox of its own: its /tmp for spilled events starts empty.
  const auto spill_dir = std::filesystem::temp_directory_path() /
                         ("ltf-spill-" + std::to_string(::getpid()));
  std::filesystem::remove_all(spill_dir);
  const std::string command = std::string(LTF_FAKE_LAMBDA_BIN) + " --extension " +
                              LTF_FORWARDER_BIN + " --sink --report " + report_path.string() +
                              " --env LTF_SPILL_DIR=" + spill_dir.string() +
                              " --env LTF_LISTENER_PORT=" + std::to_string(ltf::test::free_port()) + " " +
                              args +
                              " > /dev/null 2>&1";
  Run run;
  const int status = std::system(command.c_str());
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream in(report_path);
  std::stringstream text;
  text << in.rdbuf();
  std::filesystem::remove(report_path);
  std::filesystem::remove_all(spill_dir);
  boost::system::error_code ec;
  run.report = json::parse(text.str(), ec);
  EXPECT_FALSE(ec) << "no JSON report from: " << command;
  return run;
}

const json::value& at(const json::value& v, std::initializer_list<std::string_view> path) {
  const json::value* cur = &v;
  for (auto key : path) {
    const auto* next = cur->is_object() ? cur->get_object().if_contains(key) : nullptr;
    if (!next) throw std::runtime_error("report has no " + std::string(key));
    cur = next;
  }
  return *cur;
}

TEST(Process, FrozenBetweenInvocationsItDeliversEveryLineAndExitsBeforeTheDeadline) {
  auto run = run_fake_lambda("--invocations 50 --lines 10 --line-bytes 80");
  ASSERT_EQ(run.exit_code, 0);
  const auto& lines = at(run.report, {"sink", "lines"});
  EXPECT_EQ(at(lines, {"produced"}).to_number<std::int64_t>(), 500);
  EXPECT_EQ(at(lines, {"lost"}).to_number<std::int64_t>(), 0);
  EXPECT_EQ(at(lines, {"duplicated"}).to_number<std::int64_t>(), 0);
  const auto& extension = at(run.report, {"extensions"}).as_array().at(0);
  EXPECT_EQ(at(extension, {"name"}).as_string(), "telemetry-forwarder");
  EXPECT_TRUE(at(extension, {"exited_before_deadline"}).as_bool());
  EXPECT_EQ(at(extension, {"exit_status"}).to_number<std::int64_t>(), 0);
}

TEST(Process, SinkDownForAStretchOfInvocationsCostsNoInvocationItsDeadline) {
  auto run = run_fake_lambda("--invocations 40 --lines 5 --sink-down 10-25");
  ASSERT_EQ(run.exit_code, 0);  // 4 would mean an invocation timed out
  EXPECT_EQ(at(run.report, {"sink", "lines", "lost"}).to_number<std::int64_t>(), 0);
}

// fake-lambda's own flags: a token from a secret reaches a sink that requires it; when the
// secret and the sink's token rotate together mid-run, one 401 costs one more fetch and a retry.
TEST(Process, ARotatedHeaderTokenCostsOne401OneFetchAndNoLine) {
  auto run = run_fake_lambda(
      "--invocations 20 --lines 5 --env LTF_HEADERS_SECRET=intake "
      "--secret 'intake={\"Authorization\":\"Bearer one\"}' "
      "--sink-require-header 'Authorization=Bearer one' "
      "--rotate-secret '10:intake={\"Authorization\":\"Bearer two\"}' "
      "--sink-require-header '10:Authorization=Bearer two'");
  ASSERT_EQ(run.exit_code, 0);
  EXPECT_EQ(at(run.report, {"sink", "lines", "produced"}).to_number<std::int64_t>(), 100);
  EXPECT_EQ(at(run.report, {"sink", "lines", "lost"}).to_number<std::int64_t>(), 0);
  EXPECT_EQ(at(run.report, {"sink", "lines", "duplicated"}).to_number<std::int64_t>(), 0);
  EXPECT_EQ(at(run.report, {"sink", "refused_headers"}).to_number<std::int64_t>(), 1);
  EXPECT_EQ(at(run.report, {"secrets", "get_secret_value"}).to_number<std::int64_t>(), 2);
}

}  // namespace
