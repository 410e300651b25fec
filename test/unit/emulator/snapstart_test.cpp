// SnapStart in the emulator: Init once, then each restore cuts the extensions' connections (the
// parked /event/next among them), moves the events' wall clock forward and sends the restore
// events once every extension is back in /event/next.
#include "telemetry_api_fixture.hpp"

#include <ctime>

namespace ltf::emulator::emutest {
namespace {

// Seconds since the epoch of an event time ("2022-10-12T00:00:15.064Z"), to the second.
std::int64_t seconds_of(std::string_view time) {
  std::tm tm{};
  const std::string text(time.substr(0, 19));
  if (!::strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return -1;
  return static_cast<std::int64_t>(::timegm(&tm));
}

std::string time_of(const std::vector<json::object>& events, const std::string& type) {
  for (const auto& event : events)
    if (type_of(event) == type) return std::string(event.at("time").as_string());
  return {};
}

class SnapStart : public TelemetryApi {
 protected:
  SnapStart() {
    scenario.snapstart_restores = 1;
    scenario.initialization_type = "snap-start";
    scenario.invocations = 2;
  }
};

TEST_F(SnapStart, ARestoreCutsTheParkedNextAndSendsItsEventsOnceTheExtensionAsksAgain) {
  auto& fake = start();
  Answer cut;
  int invokes = 0;
  run([&]() -> asio::awaitable<void> {
    auto ext = [&]() -> asio::awaitable<void> {
      auto e = script();
      co_await e.register_as("ext");
      co_await e.subscribe_to(listener.port(), 25, R"(["platform","function"])", "2025-01-29");
      cut = co_await e.next();  // parked when Init ends: the snapshot
      for (;;) {
        auto event = co_await e.next();
        if (event.field("eventType") != "INVOKE") break;
        ++invokes;
      }
      co_await listener.wait_until([&] { return listener.events_of_type("platform.report") == 2; });
      fake.extension_exited("ext", 0);
    };
    co_await (fake.run() && ext());
  }());
  EXPECT_EQ(cut.status, 0u) << "the long-poll's connection was cut, no answer came";
  EXPECT_EQ(invokes, 2);
  const auto& report = lambda->report();
  EXPECT_EQ(report.restores, 1);
  EXPECT_EQ(report.shutdown_reason, "spindown");
  EXPECT_EQ(report.api_errors_of_type("Extension.InvalidExtensionState"), 0u)
      << "asking again after the cut is not a second parked /next";

  const auto events = events_received(listener);
  std::vector<std::string> order;
  for (const auto& event : events)
    if (type_of(event).starts_with("platform.restore") || type_of(event) == "platform.start")
      order.push_back(type_of(event));
  EXPECT_EQ(order, (std::vector<std::string>{"platform.restoreStart", "platform.restoreRuntimeDone",
                                             "platform.restoreReport", "platform.start",
                                             "platform.start"}));
  // The snapshot's clock resumed an hour later, as far as event times show.
  const auto init = seconds_of(time_of(events, "platform.initStart"));
  const auto restored = seconds_of(time_of(events, "platform.restoreStart"));
  ASSERT_GT(init, 0);
  EXPECT_GE(restored - init, 3600);
  EXPECT_LT(restored - init, 3600 + 60);
  for (const auto& event : events) {
    if (type_of(event) == "platform.initStart" && event.at("record").at("initializationType") != "snap-start")
      ADD_FAILURE() << "Init of a SnapStart function is snap-start";
    if (type_of(event) == "platform.restoreReport") {
      EXPECT_EQ(event.at("record").at("status"), "success");
      EXPECT_TRUE(event.at("record").at("metrics").at("durationMs").is_double());
    }
  }
  // The first invocation after the restore pays for it, and no invocation for an Init.
  std::vector<json::object> reports;
  for (const auto& event : events)
    if (type_of(event) == "platform.report") reports.push_back(event.at("record").as_object());
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_TRUE(reports[0].at("metrics").as_object().contains("restoreDurationMs"));
  EXPECT_TRUE(reports[0].at("metrics").as_object().contains("billedRestoreDurationMs"));
  EXPECT_FALSE(reports[1].at("metrics").as_object().contains("restoreDurationMs"));
  for (const auto& r : reports) EXPECT_FALSE(r.at("metrics").as_object().contains("initDurationMs"));
}

TEST_F(SnapStart, RestoresAreSpreadEvenlyAmongTheInvocations) {
  scenario.snapstart_restores = 3;
  scenario.invocations = 6;
  auto& fake = start();
  run([&]() -> asio::awaitable<void> {
    auto ext = [&]() -> asio::awaitable<void> {
      auto e = script();
      co_await e.register_as("ext");
      co_await e.subscribe_to(listener.port(), 25, R"(["platform"])", "2025-01-29");
      // A cut long-poll on a kept-alive connection is resent by the client on a new one (it
      // cannot tell it from a connection closed while idle); the first one's is seen.
      for (;;) {
        auto event = co_await e.next();
        if (event.status != 0 && event.field("eventType") != "INVOKE") break;
      }
      co_await listener.wait_until([&] { return listener.events_of_type("platform.report") == 6; });
      fake.extension_exited("ext", 0);
    };
    co_await (fake.run() && ext());
  }());
  std::vector<std::string> order;
  for (const auto& event : events_received(listener))
    if (type_of(event) == "platform.restoreStart" || type_of(event) == "platform.start")
      order.push_back(type_of(event) == "platform.start" ? "invoke" : "restore");
  EXPECT_EQ(order, (std::vector<std::string>{"restore", "invoke", "invoke", "restore", "invoke",
                                             "invoke", "restore", "invoke", "invoke"}));
  EXPECT_EQ(lambda->report().restores, 3);
  EXPECT_EQ(lambda->report().api_errors_of_type("Extension.InvalidExtensionState"), 0u);
}

TEST_F(SnapStart, AnExtensionThatDoesNotAskAgainTimesTheRestoreOut) {
  scenario.restore_timeout = std::chrono::milliseconds(200);
  auto& fake = start();
  run([&]() -> asio::awaitable<void> {
    auto ext = [&]() -> asio::awaitable<void> {
      auto e = script();
      co_await e.register_as("ext");
      co_await e.subscribe_to(listener.port(), 25, R"(["platform"])", "2025-01-29");
      co_await e.next();  // cut; this extension does not come back until Shutdown
      co_await fake.wait_until([&] { return fake.phase() == Phase::shutdown; });
      EXPECT_EQ((co_await e.next()).field("eventType"), "SHUTDOWN");
      fake.extension_exited("ext", 0);
    };
    co_await (fake.run() && ext());
  }());
  const auto& report = lambda->report();
  EXPECT_TRUE(report.invocations.empty());
  EXPECT_EQ(report.shutdown_reason, "timeout");
  bool timed_out = false;
  for (const auto& event : events_received(listener))
    if (type_of(event) == "platform.restoreReport")
      timed_out = event.at("record").at("status") == "timeout";
  EXPECT_TRUE(timed_out);
}

}  // namespace
}  // namespace ltf::emulator::emutest
