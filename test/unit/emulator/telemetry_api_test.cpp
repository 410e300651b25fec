// The Telemetry API and the platform's event stream as the fake Lambda produces them: subscription
// validation, the order of a cold start, delivery rules (batches, retries, drops), the freeze and
// Shutdown (spec 3, 4, 5 and 6.7-6.18).
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
using emutest::epoch_ms_now;
using emutest::events_received;
using emutest::ExtensionScript;
using emutest::type_of;
namespace json = boost::json;

class TelemetryApi : public ::testing::Test {
 protected:
  TelemetryApi() {
    scenario.external_extensions = {"ext"};
    scenario.log_lines_per_invocation = 3;
    scenario.retry_backoff_initial = 5ms;
    scenario.retry_backoff_max = 20ms;
    EXPECT_FALSE(listener.listen());
  }

  FakeLambda& start() {
    lambda = std::make_unique<FakeLambda>(io.get_executor(), scenario);
    EXPECT_FALSE(lambda->listen());
    return *lambda;
  }
  ExtensionScript script() { return ExtensionScript(io.get_executor(), lambda->port()); }
  void run(asio::awaitable<void> body) { ltf::test::run_until_done(io, std::move(body), 20s); }

  // The listener has an event of `type` (for `request_id`, when given).
  bool arrived(const std::string& type, const std::string& request_id = "") const {
    for (const auto& event : events_received(listener)) {
      if (type_of(event) != type) continue;
      if (request_id.empty()) return true;
      const auto& record = event.at("record").as_object();
      if (record.contains("requestId") && record.at("requestId").as_string() == request_id)
        return true;
    }
    return false;
  }

  // A well-behaved extension: waits for its runtimeDone before each /next, exits on SHUTDOWN once
  // the last platform.report is in.
  asio::awaitable<void> patient_extension(std::vector<std::string>* request_ids = nullptr) {
    auto ext = script();
    co_await ext.register_as("ext");
    EXPECT_EQ((co_await ext.subscribe_to(listener.port())).status, 200u);
    for (;;) {
      auto event = co_await ext.next();
      if (event.field("eventType") != "INVOKE") break;
      const auto id = event.field("requestId");
      if (request_ids) request_ids->push_back(id);
      co_await listener.wait_until([&] { return arrived("platform.runtimeDone", id); });
    }
    co_await listener.wait_until([&] {
      return listener.events_of_type("platform.report") == lambda->report().invocations.size();
    });
    lambda->extension_exited("ext", 0);
  }

  asio::io_context io;
  Scenario scenario;
  std::unique_ptr<FakeLambda> lambda;
  RecordingSink listener{io.get_executor()};  // stands in for the extension's telemetry listener
};

std::string valid_subscription(const std::string& uri = "http://sandbox.localdomain:9999/t") {
  return R"({"schemaVersion":"2022-12-13","types":["platform"],"destination":{"protocol":"HTTP","URI":")" +
         uri + R"("}})";
}

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

TEST_F(TelemetryApi, ColdStartAndOneInvokeArriveInLambdaOrder) {
  auto& fake = start();
  run([&]() -> asio::awaitable<void> {
    auto report = co_await (fake.run() && patient_extension());
    EXPECT_EQ(report.init_status, "success");
    EXPECT_EQ(report.shutdown_reason, "spindown");
    EXPECT_TRUE(report.extension("ext")->exited_before_deadline);
  }());
  std::vector<std::string> types;
  for (const auto& event : events_received(listener)) {
    types.push_back(type_of(event));
    EXPECT_TRUE(emutest::is_utc_millis(event.at("time").as_string()));
  }
  EXPECT_EQ(types, (std::vector<std::string>{
                       "platform.initStart", "platform.telemetrySubscription",
                       "platform.initRuntimeDone", "platform.extension", "platform.initReport",
                       "platform.start", "function", "function", "function",
                       "platform.runtimeDone", "platform.report"}));
  const auto events = events_received(listener);
  const auto& report = events.back().at("record").as_object();
  EXPECT_EQ(report.at("status").as_string(), "success");
  EXPECT_TRUE(report.at("metrics").as_object().contains("initDurationMs"));
  EXPECT_TRUE(report.contains("tracing"));
  EXPECT_EQ(std::string(events[6].at("record").as_string()).substr(0, 21), "inv-000000 line-0000 ");
  EXPECT_EQ(lambda->report().function_lines.size(), 3u);
  EXPECT_EQ(lambda->report().events_delivered.at("function"), 3u);
  EXPECT_EQ(listener.account(lambda->report().function_lines).lost, 0u);
}

TEST_F(TelemetryApi, ReportArrivesOnlyAtTheNextThawAndNothingIsDeliveredWhileFrozen) {
  scenario.invocations = 2;
  scenario.idle_between_invocations = 60ms;  // longer than the 25 ms batching window
  auto& fake = start();
  std::uint64_t reports_at_freeze = 99, reports_at_thaw = 99, requests_at_freeze = 0,
                requests_at_thaw = 0;
  int freezes = 0, thaws = 0;
  fake.on_freeze = [&] {
    ++freezes;
    if (freezes == 2) {  // the first freeze follows Init; the second follows invoke 0
      reports_at_freeze = listener.events_of_type("platform.report");
      requests_at_freeze = listener.requests();
    }
  };
  fake.on_thaw = [&] {
    ++thaws;
    if (thaws == 2) {
      requests_at_thaw = listener.requests();
      reports_at_thaw = listener.events_of_type("platform.report");
    }
  };
  std::vector<std::string> ids;
  run([&]() -> asio::awaitable<void> {
    auto report = co_await (fake.run() && patient_extension(&ids));
    CO_ASSERT_EQ(report.invocations.size(), 2u);
    for (const auto& invocation : report.invocations) {
      EXPECT_FALSE(invocation.timed_out);
      CO_ASSERT_EQ(invocation.extensions.size(), 1u);
      EXPECT_TRUE(invocation.extensions[0].after_runtime_done_arrived.has_value());
      EXPECT_TRUE(invocation.post_runtime_after_arrival.has_value());
      EXPECT_GE(invocation.post_runtime, *invocation.post_runtime_after_arrival);
    }
  }());
  EXPECT_EQ(reports_at_freeze, 0u);
  EXPECT_EQ(reports_at_thaw, 0u);
  EXPECT_EQ(requests_at_thaw, requests_at_freeze);
  ASSERT_EQ(ids.size(), 2u);
  // Each report follows its own invoke's events; the first came only once invoke 1 thawed.
  std::vector<std::string> order;
  for (const auto& event : events_received(listener)) {
    const auto type = type_of(event);
    if (type != "platform.start" && type != "platform.report") continue;
    order.push_back(type + " " + std::string(event.at("record").as_object().at("requestId").as_string()));
  }
  EXPECT_EQ(order, (std::vector<std::string>{"platform.start " + ids[0], "platform.report " + ids[0],
                                             "platform.start " + ids[1],
                                             "platform.report " + ids[1]}));
}

TEST_F(TelemetryApi, JsonLogFormatGivesObjectRecordsExceptOnTheOldSchema) {
  scenario.log_format = LogFormat::json;
  scenario.log_lines_per_invocation = 1;
  scenario.external_extensions = {"ext", "old"};
  auto& fake = start();
  RecordingSink old_listener(io.get_executor());
  ASSERT_FALSE(old_listener.listen());
  run([&]() -> asio::awaitable<void> {
    auto old = [&]() -> asio::awaitable<void> {
      auto ext = script();
      co_await ext.register_as("old", R"({"events":["SHUTDOWN"]})");
      co_await ext.subscribe_to(old_listener.port(), 25, R"(["function"])", "2022-07-01");
      co_await ext.next();
      co_await old_listener.wait_for_lines(1);
      fake.extension_exited("old", 0);
    };
    co_await (fake.run() && patient_extension() && old());
  }());
  auto modern = events_received(listener);
  auto function = std::find_if(modern.begin(), modern.end(),
                               [](const auto& e) { return type_of(e) == "function"; });
  ASSERT_NE(function, modern.end());
  const auto& record = function->at("record").as_object();
  EXPECT_EQ(record.at("level").as_string(), "INFO");
  EXPECT_EQ(record.at("message").as_string(), lambda->report().function_lines[0]);
  auto legacy = events_received(old_listener);
  ASSERT_EQ(legacy.size(), 1u);
  EXPECT_TRUE(legacy[0].at("record").is_string());
  EXPECT_EQ(old_listener.account(lambda->report().function_lines).lost, 0u);
}

TEST_F(TelemetryApi, FailedPostsAreRetriedUntilTheListenerAccepts) {
  listener.set_fault(SinkFault::status_code(503));
  auto& fake = start();
  run([&]() -> asio::awaitable<void> {
    auto recover = [&]() -> asio::awaitable<void> {
      co_await listener.wait_for_requests(3);
      listener.set_fault(SinkFault::ok());
    };
    co_await (fake.run() && patient_extension() && recover());
  }());
  const auto& entry = *lambda->report().extension("ext");
  EXPECT_GE(entry.failed_posts, 3u);
  EXPECT_EQ(listener.events_of_type("platform.initStart"), 1u);
  EXPECT_EQ(listener.account(lambda->report().function_lines).duplicated, 0u);
}

TEST_F(TelemetryApi, BacklogOverflowDropsLogsAndSaysSo) {
  scenario.log_lines_per_invocation = 50;
  scenario.subscriber_backlog_events = 10;
  listener.set_fault(SinkFault::refuse());
  auto& fake = start();
  run([&]() -> asio::awaitable<void> {
    auto extension = [&]() -> asio::awaitable<void> {
      auto ext = script();
      co_await ext.register_as("ext");
      co_await ext.subscribe_to(listener.port());
      co_await ext.next();  // INVOKE: the lines pile up behind the refused listener
      co_await fake.wait_until([&] { return fake.report().dropped_records > 0 &&
                                            fake.report().events_produced.count("platform.runtimeDone"); });
      listener.set_fault(SinkFault::ok());
      co_await listener.wait_until([&] { return listener.events_of_type("platform.logsDropped") > 0; });
      co_await ext.next();  // SHUTDOWN
      fake.extension_exited("ext", 0);
    };
    co_await (fake.run() && extension());
  }());
  std::uint64_t dropped = 0;
  for (const auto& event : events_received(listener))
    if (type_of(event) == "platform.logsDropped")
      dropped += event.at("record").as_object().at("droppedRecords").to_number<std::uint64_t>();
  EXPECT_EQ(dropped, lambda->report().dropped_records);
  EXPECT_EQ(listener.account(lambda->report().function_lines).lost, dropped);
}

TEST_F(TelemetryApi, BatchesHonourMaxItems) {
  scenario.log_lines_per_invocation = 2500;
  scenario.log_line_bytes = 16;
  auto& fake = start();
  run([&]() -> asio::awaitable<void> { co_await (fake.run() && patient_extension()); }());
  EXPECT_EQ(listener.account(lambda->report().function_lines).lost, 0u);
  for (const auto& request : listener.received())
    EXPECT_LE(json::parse(request.body).as_array().size(), 1000u);
  EXPECT_GE(listener.requests(), 3u);
}

TEST_F(TelemetryApi, InvokeTimesOutWhenTheExtensionDoesNotComeBack) {
  scenario.invoke_timeout = 150ms;
  auto& fake = start();
  run([&]() -> asio::awaitable<void> {
    auto extension = [&]() -> asio::awaitable<void> {
      auto ext = script();
      co_await ext.register_as("ext");
      co_await ext.subscribe_to(listener.port());
      co_await ext.next();  // INVOKE, then "forgets" to come back until Shutdown
      co_await fake.wait_until([&] { return fake.phase() == Phase::shutdown; });
      auto shutdown = co_await ext.next();
      EXPECT_EQ(shutdown.field("shutdownReason"), "timeout");
      co_await listener.wait_until([&] { return arrived("platform.report"); });
      fake.extension_exited("ext", 0);
    };
    auto report = co_await (fake.run() && extension());
    CO_ASSERT_EQ(report.invocations.size(), 1u);
    EXPECT_TRUE(report.invocations[0].timed_out);
    EXPECT_EQ(report.timed_out_invocations(), 1u);
  }());
  for (const auto& event : events_received(listener)) {
    if (type_of(event) == "platform.report") {
      EXPECT_EQ(event.at("record").as_object().at("status").as_string(), "timeout");
    }
  }
}

TEST_F(TelemetryApi, ShutdownKillsNonSubscribersAtOnceAndSurvivorsAtTheDeadline) {
  scenario.external_extensions = {"quits", "lingers", "deaf"};
  scenario.shutdown_budget = 400ms;
  scenario.runtime_shutdown_share = 100ms;
  auto& fake = start();
  std::vector<std::string> killed;
  bool deadline_hook = false;
  fake.on_kill = [&](const std::string& name) { killed.push_back(name); };
  fake.on_shutdown_deadline = [&] { deadline_hook = true; };
  std::int64_t deadline_ms = 0, received_at_ms = 0;
  run([&]() -> asio::awaitable<void> {
    auto quits = [&]() -> asio::awaitable<void> {
      auto ext = script();
      co_await ext.register_as("quits", R"({"events":["SHUTDOWN"]})");
      auto shutdown = co_await ext.next();
      received_at_ms = epoch_ms_now();
      EXPECT_EQ(shutdown.field("eventType"), "SHUTDOWN");
      EXPECT_EQ(shutdown.field("shutdownReason"), "spindown");
      deadline_ms = shutdown.body.as_object().at("deadlineMs").as_int64();
      EXPECT_TRUE(killed == std::vector<std::string>{"deaf"});  // already, before SHUTDOWN came
      fake.extension_exited("quits", 0);
    };
    auto lingers = [&]() -> asio::awaitable<void> {
      auto ext = script();
      co_await ext.register_as("lingers", R"({"events":["INVOKE","SHUTDOWN"]})");
      while ((co_await ext.next()).field("eventType") == "INVOKE") {
      }
      co_await fake.wait_until([&] { return deadline_hook; });  // never exits on its own
    };
    auto deaf = [&]() -> asio::awaitable<void> {
      auto ext = script();
      co_await ext.register_as("deaf", R"({"events":["INVOKE"]})");
      while ((co_await ext.next()).status == 200) {
      }
    };
    auto report = co_await (fake.run() && quits() && lingers() && deaf());
    EXPECT_TRUE(report.extension("quits")->exited_before_deadline);
    EXPECT_TRUE(report.extension("quits")->received_shutdown);
    EXPECT_TRUE(report.extension("lingers")->killed);
    EXPECT_FALSE(report.extension("lingers")->exited_before_deadline);
    EXPECT_TRUE(report.extension("deaf")->killed);
    EXPECT_FALSE(report.extension("deaf")->received_shutdown);
    EXPECT_GE(report.shutdown_duration, 290ms);
  }());
  EXPECT_TRUE(deadline_hook);
  EXPECT_EQ(killed, (std::vector<std::string>{"deaf", "lingers"}));
  EXPECT_GT(deadline_ms, received_at_ms + 200);
  EXPECT_LE(deadline_ms, received_at_ms + 300);
}

}  // namespace
}  // namespace ltf::emulator
