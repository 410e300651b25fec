// The Extensions API as the fake Lambda serves it: register, identifiers, init/exit errors and the
// /event/next long-poll (spec 1.2-1.5, 6.1-6.6).
#include "extension_script.hpp"
#include "support/await.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>


namespace ltf::emulator {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using namespace boost::asio::experimental::awaitable_operators;
using emutest::Answer;
using emutest::epoch_ms_now;
using emutest::ExtensionScript;
using http = boost::beast::http::verb;

constexpr const char* register_path = "/2020-01-01/extension/register";

class ExtensionsApi : public ::testing::Test {
 protected:
  ExtensionsApi() { scenario.external_extensions = {"ext-a", "ext-b"}; }

  FakeLambda& start() {
    lambda = std::make_unique<FakeLambda>(io.get_executor(), scenario);
    EXPECT_FALSE(lambda->listen());
    return *lambda;
  }
  ExtensionScript script() { return ExtensionScript(io.get_executor(), lambda->port()); }
  void run(asio::awaitable<void> body) { ltf::test::run_until_done(io, std::move(body), 20s); }

  asio::io_context io;
  Scenario scenario;
  std::unique_ptr<FakeLambda> lambda;
};

TEST_F(ExtensionsApi, RegisterWithoutNameIsInvalidExtensionName) {
  start();
  run([&]() -> asio::awaitable<void> {
    auto ext = script();
    auto answer = co_await ext.call(http::post, register_path, R"({"events":["INVOKE"]})");
    EXPECT_EQ(answer.status, 403u);
    EXPECT_EQ(answer.error_type(), "Extension.InvalidExtensionName");
    EXPECT_EQ(answer.error_message(), "Empty extension name");
  }());
  EXPECT_EQ(lambda->report().api_errors_of_type("Extension.InvalidExtensionName"), 1u);
}

TEST_F(ExtensionsApi, RegisterWithEmptyOrInvalidOrDeprecatedBodyIsInvalidRequestFormat) {
  start();
  run([&]() -> asio::awaitable<void> {
    auto ext = script();
    for (const char* body : {"", "{not json", "[]", R"({"configurationKeys":["A"]})"}) {
      auto answer = co_await ext.register_as("ext-a", body);
      EXPECT_EQ(answer.status, 403u) << body;
      EXPECT_EQ(answer.error_type(), "InvalidRequestFormat") << body;
    }
  }());
}

TEST_F(ExtensionsApi, RegisterWithUnknownEventIsInvalidEventType) {
  start();
  run([&]() -> asio::awaitable<void> {
    auto ext = script();
    auto answer = co_await ext.register_as("ext-a", R"({"events":["INVOKE","RESTORE"]})");
    EXPECT_EQ(answer.status, 403u);
    EXPECT_EQ(answer.error_type(), "Extension.InvalidEventType");
  }());
}

TEST_F(ExtensionsApi, ExternalExtensionRegistersWithUuidAndFunctionDetails) {
  scenario.function_name = "checkout";
  start();
  run([&]() -> asio::awaitable<void> {
    auto ext = script();
    auto answer = co_await ext.register_as("ext-a");
    EXPECT_EQ(answer.status, 200u);
    EXPECT_TRUE(emutest::is_uuid_v4(ext.id)) << ext.id;
    EXPECT_EQ(answer.field("functionName"), "checkout");
    EXPECT_EQ(answer.field("functionVersion"), "$LATEST");
    EXPECT_FALSE(answer.body.as_object().contains("accountId"));
  }());
  const auto* entry = lambda->report().extension("ext-a");
  ASSERT_NE(entry, nullptr);
  EXPECT_TRUE(entry->registered);
  EXPECT_TRUE(entry->external);
  EXPECT_EQ(entry->events, (std::vector<std::string>{"INVOKE", "SHUTDOWN"}));
}

TEST_F(ExtensionsApi, AccountIdOnlyWithTheAcceptFeatureHeader) {
  start();
  run([&]() -> asio::awaitable<void> {
    auto ext = script();
    auto answer = co_await ext.register_as("ext-a", R"({"events":["INVOKE"]})", " foo , accountId");
    EXPECT_EQ(answer.field("accountId"), scenario.account_id);
  }());
}

TEST_F(ExtensionsApi, SecondRegisterOfTheSameExternalIsInvalidExtensionState) {
  start();
  run([&]() -> asio::awaitable<void> {
    auto first = script();
    auto second = script();
    EXPECT_EQ((co_await first.register_as("ext-a")).status, 200u);
    auto answer = co_await second.register_as("ext-a");
    EXPECT_EQ(answer.status, 403u);
    EXPECT_EQ(answer.error_type(), "Extension.InvalidExtensionState");
    EXPECT_NE(answer.error_message().find("Registered to Registered"), std::string::npos);
  }());
}

TEST_F(ExtensionsApi, UnknownNameIsInternalAndMayNotAskForShutdown) {
  start();
  run([&]() -> asio::awaitable<void> {
    auto ext = script();
    auto refused = co_await ext.register_as("typo-name", R"({"events":["INVOKE","SHUTDOWN"]})");
    EXPECT_EQ(refused.status, 403u);
    EXPECT_EQ(refused.error_type(), "Extension.InvalidEventType");
    auto internal = co_await ext.register_as("typo-name", R"({"events":["INVOKE"]})");
    EXPECT_EQ(internal.status, 200u);
    auto again = co_await script().register_as("typo-name", R"({"events":["INVOKE"]})");
    EXPECT_EQ(again.status, 403u);
    EXPECT_EQ(again.error_type(), "Extension.InvalidExtensionState");
  }());
  const auto* entry = lambda->report().extension("typo-name");
  ASSERT_NE(entry, nullptr);
  EXPECT_FALSE(entry->external);
}

TEST_F(ExtensionsApi, EleventhExtensionIsTooManyExtensions) {
  scenario.external_extensions.clear();
  start();
  run([&]() -> asio::awaitable<void> {
    for (int i = 0; i < 10; ++i) {
      auto answer = co_await script().register_as("internal-" + std::to_string(i), R"({"events":[]})");
      EXPECT_EQ(answer.status, 200u);
    }
    auto answer = co_await script().register_as("internal-10", R"({"events":[]})");
    EXPECT_EQ(answer.status, 403u);
    EXPECT_EQ(answer.error_type(), "Extension.TooManyExtensions");
  }());
}

TEST_F(ExtensionsApi, IdentifierMissingMalformedOrUnknownIsRefusedOnEveryEndpoint) {
  start();
  run([&]() -> asio::awaitable<void> {
    auto ext = script();
    const std::vector<std::pair<http, std::string>> endpoints{
        {http::get, "/2020-01-01/extension/event/next"},
        {http::post, "/2020-01-01/extension/init/error"},
        {http::post, "/2020-01-01/extension/exit/error"},
        {http::put, "/2022-07-01/telemetry"}};
    for (const auto& [method, path] : endpoints) {
      auto missing = co_await ext.call(method, path, "{}");
      EXPECT_EQ(missing.status, 403u) << path;
      EXPECT_EQ(missing.error_type(), "Extension.MissingExtensionIdentifier") << path;
      auto malformed = co_await ext.call(method, path, "{}", emutest::identified_as("abc"));
      EXPECT_EQ(malformed.error_type(), "Extension.InvalidExtensionIdentifier") << path;
      auto stranger = emutest::identified_as("3da1f2dc-3222-475e-9205-e2e6c6318895");
      auto unknown = co_await ext.call(method, path, "{}", stranger);
      EXPECT_EQ(unknown.status, 403u) << path;
      EXPECT_EQ(unknown.error_type(), "Extension.UnknownExtensionIdentifier") << path;
      EXPECT_TRUE(unknown.body.as_object().contains("errorMessage"));
    }
  }());
}

TEST_F(ExtensionsApi, UnknownPathIs404AndWrongMethodIs405) {
  start();
  run([&]() -> asio::awaitable<void> {
    auto ext = script();
    EXPECT_EQ((co_await ext.call(http::post, "/2020-01-01/extension/nope", "{}")).status, 404u);
    EXPECT_EQ((co_await ext.call(http::get, register_path, "")).status, 405u);
  }());
}

TEST_F(ExtensionsApi, InitErrorNeedsTheErrorTypeHeaderThenFailsInit) {
  scenario.external_extensions = {"ext-a"};
  auto& fake = start();
  run([&]() -> asio::awaitable<void> {
    auto extension = [&]() -> asio::awaitable<void> {
      auto ext = script();
      co_await ext.register_as("ext-a");
      auto missing = co_await ext.report_error("init/error", "");
      EXPECT_EQ(missing.status, 403u);
      EXPECT_EQ(missing.error_type(), "Extension.MissingHeader");
      auto accepted = co_await ext.report_error("init/error", "Extension.ConfigInvalid");
      EXPECT_EQ(accepted.status, 202u);
      EXPECT_EQ(accepted.field("status"), "OK");
      auto next = co_await ext.next();
      EXPECT_EQ(next.status, 403u);
      EXPECT_EQ(next.error_type(), "Extension.InvalidExtensionState");
      fake.extension_exited("ext-a", 1);
    };
    auto report = co_await (fake.run() && extension());
    EXPECT_EQ(report.init_status, "error");
    EXPECT_EQ(report.init_error_type, "Extension.InitError");
    EXPECT_EQ(report.shutdown_reason, "failure");
    EXPECT_TRUE(report.invocations.empty());
    EXPECT_EQ(report.extension("ext-a")->error_type, "Extension.ConfigInvalid");
  }());
}

TEST_F(ExtensionsApi, ExitErrorDuringAnInvokeResetsTheSandbox) {
  scenario.external_extensions = {"ext-a"};
  scenario.invocations = 3;
  auto& fake = start();
  run([&]() -> asio::awaitable<void> {
    auto extension = [&]() -> asio::awaitable<void> {
      auto ext = script();
      co_await ext.register_as("ext-a");
      auto invoke = co_await ext.next();
      EXPECT_EQ(invoke.field("eventType"), "INVOKE");
      EXPECT_EQ((co_await ext.report_error("exit/error", "Extension.Broken")).status, 202u);
      EXPECT_EQ((co_await ext.next()).error_type(), "Extension.InvalidExtensionState");
      fake.extension_exited("ext-a", 1);
    };
    auto report = co_await (fake.run() && extension());
    CO_ASSERT_EQ(report.invocations.size(), 1u);
    EXPECT_EQ(report.invocations[0].status, "error");
    EXPECT_EQ(report.shutdown_reason, "failure");
  }());
}

TEST_F(ExtensionsApi, NextLongPollsUntilInitIsCompleteAndTheInvokeStarts) {
  scenario.include_tracing = false;
  scenario.invoke_timeout = 5000ms;
  auto& fake = start();
  bool a_got_event = false;
  run([&]() -> asio::awaitable<void> {
    auto ext_a = [&]() -> asio::awaitable<void> {
      auto ext = script();
      co_await ext.register_as("ext-a", R"({"events":["INVOKE"]})");
      auto invoke = co_await ext.next();
      a_got_event = true;
      EXPECT_EQ(invoke.status, 200u);
      EXPECT_EQ(fake.phase(), Phase::invoke);
      EXPECT_EQ(invoke.field("eventType"), "INVOKE");
      EXPECT_FALSE(invoke.body.as_object().contains("tracing"));
      const auto deadline = invoke.body.as_object().at("deadlineMs").as_int64();
      const auto now = epoch_ms_now();
      EXPECT_GT(deadline, now + 4000);
      EXPECT_LE(deadline, now + 5000);
      co_await ext.next();  // parked until the sandbox is killed at Shutdown
    };
    auto ext_b = [&]() -> asio::awaitable<void> {
      // ext-a is parked in /next; Init cannot end without ext-b, so ext-a must still wait.
      co_await fake.wait_until([&] { return fake.report().extension("ext-a")->init_time.has_value(); });
      EXPECT_FALSE(a_got_event);
      EXPECT_EQ(fake.phase(), Phase::init);
      auto ext = script();
      co_await ext.register_as("ext-b", R"({"events":["INVOKE"]})");
      co_await ext.next();
      co_await ext.next();
    };
    auto report = co_await (fake.run() && ext_a() && ext_b());
    EXPECT_TRUE(a_got_event);
    EXPECT_EQ(report.init_status, "success");
    EXPECT_EQ(report.invocations.size(), 1u);
    // Neither asked for SHUTDOWN: both were killed at once, and their /next answered 500.
    EXPECT_TRUE(report.extension("ext-a")->killed);
    EXPECT_TRUE(report.extension("ext-b")->killed);
  }());
}

TEST_F(ExtensionsApi, InitTimesOutWhenAnExternalNeverRegisters) {
  scenario.external_extensions = {"never-starts"};
  scenario.init_timeout = 100ms;
  auto& fake = start();
  run([&]() -> asio::awaitable<void> {
    auto report = co_await fake.run();
    EXPECT_EQ(report.init_status, "timeout");
    EXPECT_EQ(report.shutdown_reason, "timeout");
    EXPECT_FALSE(report.extension("never-starts")->registered);
  }());
}

TEST_F(ExtensionsApi, InternalRegistrationClosesOnceTheRuntimeIsReady) {
  scenario.external_extensions = {"ext-a"};
  auto& fake = start();
  run([&]() -> asio::awaitable<void> {
    auto extension = [&]() -> asio::awaitable<void> {
      auto ext = script();
      co_await ext.register_as("ext-a", R"({"events":["INVOKE","SHUTDOWN"]})");
      co_await ext.next();
      auto late = co_await script().register_as("late-internal", R"({"events":["INVOKE"]})");
      EXPECT_EQ(late.status, 403u);
      EXPECT_EQ(late.error_type(), "Extension.RegistrationClosed");
      auto shutdown = co_await ext.next();
      EXPECT_EQ(shutdown.field("eventType"), "SHUTDOWN");
      fake.extension_exited("ext-a", 0);
    };
    co_await (fake.run() && extension());
  }());
}

TEST_F(ExtensionsApi, ExitOutsideShutdownIsACrash) {
  scenario.external_extensions = {"ext-a"};
  scenario.invocations = 2;
  auto& fake = start();
  run([&]() -> asio::awaitable<void> {
    auto extension = [&]() -> asio::awaitable<void> {
      auto ext = script();
      co_await ext.register_as("ext-a");
      co_await ext.next();
      fake.extension_exited("ext-a", 0);
    };
    auto report = co_await (fake.run() && extension());
    EXPECT_EQ(report.extension("ext-a")->error_type, "Extension.Crash");
    EXPECT_EQ(report.shutdown_reason, "failure");
    CO_ASSERT_EQ(report.invocations.size(), 1u);
    EXPECT_EQ(report.invocations[0].status, "error");
  }());
}

}  // namespace
}  // namespace ltf::emulator
