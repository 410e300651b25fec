// The end of an invocation and of the sandbox as the fake Lambda drives them: a timed-out invoke,
// Shutdown's kills and deadline, and buffered telemetry delivered before SHUTDOWN.
#include "telemetry_api_fixture.hpp"

namespace ltf::emulator {
namespace {

using namespace emutest;

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

// Lambda (and the RIE) deliver what is buffered before SHUTDOWN: an extension that exits as soon
// as it gets SHUTDOWN still has the last invocation's lines and its platform.report. The 30 s
// window keeps every batch open, so only that flush can have delivered them.
TEST_F(TelemetryApi, BufferedTelemetryIsDeliveredBeforeShutdown) {
  scenario.invocations = 2;
  scenario.shutdown_budget = 2000ms;
  auto& fake = start();
  std::uint64_t lines_at_shutdown = 0, reports_at_shutdown = 0;
  run([&]() -> asio::awaitable<void> {
    auto hasty = [&]() -> asio::awaitable<void> {
      auto ext = script();
      co_await ext.register_as("ext");
      EXPECT_EQ((co_await ext.subscribe_to(listener.port(), 30000)).status, 200u);
      while ((co_await ext.next()).field("eventType") == "INVOKE") {
      }
      lines_at_shutdown = listener.lines();
      reports_at_shutdown = listener.events_of_type("platform.report");
      fake.extension_exited("ext", 0);
    };
    auto report = co_await (fake.run() && hasty());
    EXPECT_TRUE(report.problems.empty()) << report.problems.front();
  }());
  EXPECT_EQ(lines_at_shutdown, 6u);
  EXPECT_EQ(reports_at_shutdown, 2u);
}

// A listener that stops answering cannot hold SHUTDOWN back for longer than its share of the
// budget: the extension still gets SHUTDOWN well before its deadline, and the report says why
// the flush was cut short.
TEST_F(TelemetryApi, AFlushThatCannotFinishIsCutShortAndReported) {
  scenario.shutdown_budget = 1000ms;
  scenario.runtime_shutdown_share = 0ms;
  scenario.delivery_timeout = 5000ms;
  auto& fake = start();
  std::int64_t deadline_ms = 0, received_at_ms = 0;
  run([&]() -> asio::awaitable<void> {
    auto stuck = [&]() -> asio::awaitable<void> {
      auto ext = script();
      co_await ext.register_as("ext");
      co_await ext.subscribe_to(listener.port(), 30000);
      co_await ext.next();  // INVOKE
      listener.set_fault(SinkFault::hang());
      auto shutdown = co_await ext.next();
      received_at_ms = epoch_ms_now();
      deadline_ms = shutdown.body.as_object().at("deadlineMs").as_int64();
      fake.extension_exited("ext", 0);
    };
    auto report = co_await (fake.run() && stuck());
    CO_ASSERT_EQ(report.problems.size(), 1u);
    EXPECT_NE(report.problems[0].find("telemetry still buffered at SHUTDOWN"), std::string::npos);
  }());
  listener.set_fault(SinkFault::refuse());  // releases the hung request
  EXPECT_GE(deadline_ms - received_at_ms, 350);  // half the budget was left for the extension
  EXPECT_LE(deadline_ms - received_at_ms, 550);
}

}  // namespace
}  // namespace ltf::emulator
