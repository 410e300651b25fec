// Telemetry delivery as the fake Lambda does it: the order of a cold start, nothing while frozen,
// JSON log records, retries, backlog drops and batch sizes (spec 4, 5 and 6.7-6.18).
#include "telemetry_api_fixture.hpp"

namespace ltf::emulator {
namespace {

using namespace emutest;

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

}  // namespace
}  // namespace ltf::emulator
