// The Telemetry API's subscriptions as the fake Lambda validates them: every rule, duplicates, and
// the end of subscriptions with Init (spec 3 and 6).
#include "telemetry_api_fixture.hpp"

namespace ltf::emulator {
namespace {

using namespace emutest;

TEST_F(TelemetryApi, InvalidSubscriptionIs400WithEveryProblemListed) {
  start();
  run([&]() -> asio::awaitable<void> {
    auto ext = script();
    co_await ext.register_as("ext");
    auto answer = co_await ext.subscribe(
        R"({"schemaVersion":"2020-01-01","types":[],"buffering":{"maxItems":10,"timeoutMs":5},)"
        R"("destination":{"protocol":"HTTP","URI":"http://sandbox.localdomain/x"}})");
    EXPECT_EQ(answer.status, 400u);
    EXPECT_EQ(answer.error_type(), "ValidationError");
    const auto message = answer.error_message();
    EXPECT_EQ(message,
              "schemaVersion must be one of 2022-07-01, 2022-12-13, 2025-01-29; "
              "types should not be empty; URI port is not provided; "
              "buffering.maxItems must be an integer between 1000 and 10000; "
              "buffering.timeoutMs must be an integer between 25 and 30000");
  }());
}

TEST_F(TelemetryApi, SubscriptionRulesOneByOne) {
  start();
  run([&]() -> asio::awaitable<void> {
    auto ext = script();
    co_await ext.register_as("ext");
    struct Case {
      std::string body;
      std::string message;
    };
    const std::vector<Case> cases{
        {valid_subscription("http://localhost:8080/"), "URI host must be sandbox.localdomain or sandbox"},
        {valid_subscription("https://sandbox:8080/"), "URI scheme must be http"},
        {R"({"schemaVersion":"2022-12-13","types":["platform","metrics"],"destination":{"protocol":"HTTP","URI":"http://sandbox:1/"}})",
         "types may contain only platform, function and extension"},
        {R"({"schemaVersion":"2022-12-13","types":["platform"],"destination":{"protocol":"UDP","URI":"http://sandbox:1/"}})",
         "destination.protocol must be HTTP or TCP"},
        {R"({"schemaVersion":"2022-12-13","types":["platform"],"buffering":{"maxBytes":2000000},"destination":{"protocol":"HTTP","URI":"http://sandbox:1/"}})",
         "buffering.maxBytes must be an integer between 262144 and 1048576"},
        {R"({"types":["platform"],"destination":{"protocol":"HTTP","URI":"http://sandbox:1/"}})",
         "schemaVersion is required"},
        {"not json", "request body must be a JSON object"},
    };
    for (const auto& c : cases) {
      auto answer = co_await ext.subscribe(c.body);
      EXPECT_EQ(answer.status, 400u) << c.body;
      EXPECT_EQ(answer.error_message(), c.message) << c.body;
    }
    auto ok = co_await ext.subscribe(valid_subscription("http://sandbox:9999"));
    EXPECT_EQ(ok.status, 200u);
    EXPECT_EQ(ok.body, json::value("OK"));
  }());
}

TEST_F(TelemetryApi, DuplicateSubscribeIsIdempotentOrAnErrorAsConfigured) {
  scenario.duplicate_subscribe_ok = false;
  start();
  run([&]() -> asio::awaitable<void> {
    auto ext = script();
    co_await ext.register_as("ext");
    EXPECT_EQ((co_await ext.subscribe(valid_subscription())).status, 200u);
    EXPECT_EQ((co_await ext.subscribe(valid_subscription())).status, 500u);
    auto id = emutest::identified_as(ext.id);
    auto logs = co_await ext.call(boost::beast::http::verb::put, "/2020-08-15/logs", "{}", id);
    EXPECT_EQ(logs.status, 400u);  // Logs API after the Telemetry API
  }());
}

TEST_F(TelemetryApi, SubscriptionClosesWhenInitEnds) {
  auto& fake = start();
  run([&]() -> asio::awaitable<void> {
    auto extension = [&]() -> asio::awaitable<void> {
      auto ext = script();
      co_await ext.register_as("ext");
      co_await ext.next();
      auto late = co_await ext.subscribe(valid_subscription());
      EXPECT_EQ(late.status, 403u);
      EXPECT_EQ(late.error_type(), "Telemetry.SubscriptionClosed");
      co_await ext.next();
      fake.extension_exited("ext", 0);
    };
    co_await (fake.run() && extension());
  }());
}

}  // namespace
}  // namespace ltf::emulator
