// Headers for the HTTP destination, end to end: the forwarder in-process on the fake Lambda,
// tokens from the fake Secrets Manager, a recording sink that answers 401 without the right
// header. A rotated token costs one fetch and one retry, nothing is lost or doubled, and no log
// line (even at debug level) holds a header's value.

#include "harness.hpp"

#include "ltf/fake_aws.hpp"
#include "ltf/log.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using ltf::emulator::FakeSecretsManager;
using ltf::test::Harness;

void expect_every_line_once(const Harness& h, const ltf::emulator::Report& report) {
  const auto lines = h.sink.account(report.function_lines);
  EXPECT_GT(lines.produced, 0u);
  EXPECT_EQ(lines.lost, 0u);
  EXPECT_EQ(lines.duplicated, 0u);
  EXPECT_EQ(lines.unexpected, 0u);
}

struct HeadersTest : ::testing::Test {
  HeadersTest() : secrets(h.io.get_executor()) {
    EXPECT_FALSE(secrets.listen({boost::asio::ip::make_address("127.0.0.1"), 0}));
    secrets.start();
    ltf::test::give_role_credentials(process, h.scenario.region);
    h.env["AWS_ENDPOINT_URL_SECRETS_MANAGER"] = secrets.url();
    h.env["LTF_RETRY_INITIAL_MS"] = "10";
  }
  ~HeadersTest() override { secrets.stop(); }

  // Runs the scenario with the forwarder logging at trace level; returns what it logged.
  std::string run_capturing_log(ltf::test::Outcome& outcome) {
    testing::internal::CaptureStdout();
    ltf::log::init(ltf::log::Level::trace);  // the most it ever says
    outcome = h.run();
    ltf::log::init(ltf::log::Level::warning);
    return testing::internal::GetCapturedStdout();
  }

  Harness h;
  ltf::test::ScopedProcessEnv process;
  FakeSecretsManager secrets;
};

TEST_F(HeadersTest, ATokenFromASecretReachesTheDestinationAndARotationCostsOneFetchAndOneRetry) {
  h.scenario.invocations = 8;
  secrets.put_secret("intake-token", R"({"Authorization":"Bearer tok-first-7Qx"})");
  h.sink.require_header("Authorization", "Bearer tok-first-7Qx");
  h.env["LTF_HEADERS_SECRET"] = "intake-token";
  h.before_invocation = [&](int index) {
    if (index != 4) return;
    secrets.put_secret("intake-token", R"({"Authorization":"Bearer tok-second-9Zy"})");
    h.sink.require_header("Authorization", "Bearer tok-second-9Zy");
  };

  ltf::test::Outcome outcome;
  const std::string log = run_capturing_log(outcome);
  EXPECT_EQ(outcome.exit_code, 0);
  expect_every_line_once(h, outcome.report);
  EXPECT_EQ(h.sink.refused_headers(), 1u) << "one 401, after the rotation";
  EXPECT_EQ(secrets.get_secret_value_requests(), 2u) << "fetched once, then once after the 401";
  bool rotated = false;
  for (const auto& request : h.sink.received()) {
    if (request.status == 401) {
      EXPECT_EQ(request.authorization, "Bearer tok-first-7Qx");
      rotated = true;
    } else {
      EXPECT_EQ(request.authorization, rotated ? "Bearer tok-second-9Zy" : "Bearer tok-first-7Qx");
    }
  }
  EXPECT_TRUE(rotated);

  EXPECT_NE(log.find("headers from secret 'intake-token'"), std::string::npos) << log;
  for (const char* token : {"tok-first-7Qx", "tok-second-9Zy"})
    EXPECT_EQ(log.find(token), std::string::npos) << "a header value was logged:\n" << log;
}

TEST_F(HeadersTest, FixedHeadersAndBasicAuthFromAuthSecretReachTheDestination) {
  secrets.put_secret("intake-login", R"({"username":"ingest","password":"pw-Zx81"})");
  h.sink.require_header("Authorization", "Basic aW5nZXN0OnB3LVp4ODE=");  // ingest:pw-Zx81
  h.sink.require_header("X-Scope-OrgID", "tenant 7");
  h.env["AUTH_SECRET"] = "intake-login";
  h.env["LTF_HEADERS"] = "X-Scope-OrgID=tenant%207";

  ltf::test::Outcome outcome;
  const std::string log = run_capturing_log(outcome);
  EXPECT_EQ(outcome.exit_code, 0);
  expect_every_line_once(h, outcome.report);
  EXPECT_EQ(h.sink.refused_headers(), 0u);
  EXPECT_EQ(secrets.get_secret_value_requests(), 1u);
  for (const char* value : {"pw-Zx81", "aW5nZXN0OnB3LVp4ODE="})
    EXPECT_EQ(log.find(value), std::string::npos) << "a credential was logged:\n" << log;
}

TEST_F(HeadersTest, ASecretThatIsNotAnObjectOfStringsKeepsTheEventsAndIsFetchedABoundedNumberOfTimes) {
  h.scenario.invocations = 4;
  secrets.put_secret("intake-token", R"({"Authorization":["Bearer tok-list-3Kp"]})");
  h.env["LTF_HEADERS_SECRET"] = "intake-token";

  ltf::test::Outcome outcome;
  const std::string log = run_capturing_log(outcome);
  EXPECT_EQ(outcome.exit_code, 0) << "a bad secret costs deliveries, not the function";
  EXPECT_EQ(h.sink.requests(), 0u) << "nothing is sent without its headers";
  EXPECT_LE(secrets.get_secret_value_requests(), 2u) << "not fetched on every retry";
  EXPECT_NE(log.find("LTF_HEADERS_SECRET 'intake-token': the secret's \"Authorization\" is not a string"),
            std::string::npos)
      << log;
  EXPECT_EQ(log.find("tok-list-3Kp"), std::string::npos) << log;
}

}  // namespace
