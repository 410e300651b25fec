// The forwarder, in-process, driven by the in-process fake Lambda, delivering to a recording sink.
// Each test names the behaviour; the assertions are on what Lambda saw and what the sink received.

#include "harness.hpp"
#include "support/await.hpp"

#include "ltf/defaults.hpp"
#include "ltf/net.hpp"
#include "ltf/telemetry.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json/parse.hpp>

#include <algorithm>
#include <set>

#include <gtest/gtest.h>

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using ltf::emulator::SinkFault;
using ltf::test::Harness;
using ltf::test::kExtensionName;

const ltf::emulator::ExtensionReport& forwarder_report(const ltf::emulator::Report& report) {
  const auto* ext = report.extension(kExtensionName);
  EXPECT_NE(ext, nullptr);
  static const ltf::emulator::ExtensionReport none;
  return ext ? *ext : none;
}

// The sink fails with `fault` from invocation `from` until invocation `until` begins.
void fail_sink_between(Harness& h, int from, int until, SinkFault fault) {
  h.before_invocation = [&h, from, until, fault](int index) {
    if (index == from) h.sink.set_fault(fault);
    if (index == until) h.sink.set_fault(SinkFault::ok());
  };
}

void expect_nothing_lost(const Harness& h, const ltf::emulator::Report& report) {
  auto lines = h.sink.account(report.function_lines);
  EXPECT_EQ(lines.produced, report.function_lines.size());
  EXPECT_EQ(lines.lost, 0u);
  EXPECT_EQ(lines.duplicated, 0u);
  EXPECT_EQ(lines.unexpected, 0u);
}

TEST(Forwarder, ColdStartRegistersSubscribesAndDeliversEverything) {
  Harness h;
  h.scenario.invocations = 1;
  auto outcome = h.run();
  const auto& ext = forwarder_report(outcome.report);
  EXPECT_EQ(outcome.report.init_status, "success");
  EXPECT_TRUE(ext.registered);
  EXPECT_EQ(ext.events, (std::vector<std::string>{"INVOKE", "SHUTDOWN"}));
  EXPECT_EQ(ext.subscribed_types, (std::vector<std::string>{"platform", "function", "extension"}));
  EXPECT_EQ(ext.schema_version, "2025-01-29") << "the latest schema by default";
  EXPECT_TRUE(ext.init_time.has_value());
  EXPECT_TRUE(ext.received_shutdown);
  EXPECT_TRUE(ext.exited_before_deadline);
  EXPECT_EQ(outcome.exit_code, 0);
  expect_nothing_lost(h, outcome.report);
  // Platform events of Init and of the invocation arrive too, the last report during Shutdown.
  for (const char* type : {"platform.initStart", "platform.start", "platform.runtimeDone",
                           "platform.report"})
    EXPECT_EQ(h.sink.events_of_type(type), outcome.report.events_produced.at(type)) << type;
}

TEST(Forwarder, LogsOfAnInvocationAreDeliveredBeforeTheNextInvocationBegins) {
  Harness h;
  h.scenario.invocations = 20;
  h.scenario.log_lines_per_invocation = 7;
  // Invocations back to back would make `auto` go periodic, which trades this for speed.
  h.env["LTF_FLUSH_STRATEGY"] = "end-of-invocation";
  std::vector<std::uint64_t> delivered_before;  // lines at the sink when invocation i starts
  h.before_invocation = [&](int) { delivered_before.push_back(h.sink.lines()); };
  auto outcome = h.run();
  ASSERT_EQ(delivered_before.size(), 20u);
  for (std::size_t i = 0; i < delivered_before.size(); ++i)
    EXPECT_EQ(delivered_before[i], i * 7) << "invocation " << i;
  EXPECT_EQ(outcome.report.timed_out_invocations(), 0u);
  expect_nothing_lost(h, outcome.report);
}

// Every event the sink accepted, in arrival order (these tests send uncompressed bodies).
std::vector<boost::json::object> accepted_events(const ltf::emulator::RecordingSink& sink) {
  std::vector<boost::json::object> out;
  for (const auto& request : sink.received()) {
    if (request.status < 200 || request.status >= 300) continue;
    const auto body = boost::json::parse(request.body);
    for (const auto& event : body.as_array()) out.push_back(event.as_object());
  }
  return out;
}

// Whether the extension had this invocation's runtimeDone when it called /next, per invocation.
std::vector<bool> waited_for_runtime_done(const ltf::emulator::Report& report) {
  std::vector<bool> out;
  for (const auto& invocation : report.invocations)
    out.push_back(invocation.post_runtime_after_arrival.has_value());
  return out;
}

// Whether a periodic extension waited only to catch up: the invocations whose runtimeDone it had
// before its /next are at most one in catch_up_lag + 1 (fake-lambda delivers telemetry only
// while the extension is thawed, so without waiting the lag would grow at every invocation).
void expect_waits_only_to_catch_up(const std::vector<bool>& waited) {
  const auto waits = static_cast<std::size_t>(std::count(waited.begin(), waited.end(), true));
  EXPECT_LE(waits, waited.size() / (ltf::defaults::catch_up_lag + 1) + 1);
  for (std::size_t i = 1; i < waited.size(); ++i)
    EXPECT_FALSE(waited[i - 1] && waited[i]) << "invocations " << i - 1 << " and " << i;
}

TEST(Forwarder, PeriodicFlushingWaitsOnlyToCatchUpAndLosesNothing) {
  Harness h;
  h.scenario.invocations = 30;
  h.scenario.log_lines_per_invocation = 5;
  h.env["LTF_FLUSH_STRATEGY"] = "periodic";
  h.env["LTF_FLUSH_INTERVAL_MS"] = "10";
  auto outcome = h.run();
  expect_waits_only_to_catch_up(waited_for_runtime_done(outcome.report));
  EXPECT_EQ(outcome.report.timed_out_invocations(), 0u);
  expect_nothing_lost(h, outcome.report);
  EXPECT_EQ(h.sink.events_of_type("platform.report"), 30u);
}

// Short invocations full of lines, each followed by a freeze: Lambda delivers only while the
// sandbox is thawed, so its backlog for the extension grows unless the extension takes each batch
// at once and, when it still lags far behind, catches up (FlushPolicy's catch_up, decided by unit
// tests; in Release builds under fake-lambda, 20 x 4000 lines of 500 B lost 16,165 lines without
// it and none with it, see docs/design.md). Here: nothing is dropped or lost with a backlog that
// holds little more than three invocations' lines.
TEST(Forwarder, PeriodicFlushingLosesNothingFromInvocationsFullOfLines) {
  Harness h;
  h.scenario.invocations = 20;
  h.scenario.log_lines_per_invocation = 700;
  h.scenario.subscriber_backlog_events = 3000;
  h.env["LTF_FLUSH_STRATEGY"] = "periodic";
  auto outcome = h.run();
  EXPECT_EQ(outcome.report.dropped_records, 0u) << "Lambda dropped lines for the extension";
  EXPECT_EQ(outcome.report.timed_out_invocations(), 0u);
  expect_nothing_lost(h, outcome.report);
}

TEST(Forwarder, AutoFlushesAtTheEndOfInvocationsUntilTheRateShowsABusyFunction) {
  Harness h;
  h.scenario.invocations = 30;  // back to back: far more often than every LTF_BUSY_BELOW_MS
  h.scenario.log_lines_per_invocation = 5;
  h.env["LTF_BUSY_BELOW_MS"] = "60000";
  auto outcome = h.run();
  const auto waited = waited_for_runtime_done(outcome.report);
  ASSERT_EQ(waited.size(), 30u);
  // The rate is judged over 10 invocations: the first 9 are flushed at their end, and from
  // the 10th on the extension waits only to catch up.
  EXPECT_EQ(std::vector<bool>(waited.begin(), waited.begin() + 9), std::vector<bool>(9, true));
  expect_waits_only_to_catch_up(std::vector<bool>(waited.begin() + 9, waited.end()));
  expect_nothing_lost(h, outcome.report);
}

TEST(Forwarder, CountersGoToTheSinkAtShutdownAndAccountForEveryEvent) {
  Harness h;
  h.scenario.invocations = 3;
  auto outcome = h.run();
  expect_nothing_lost(h, outcome.report);
  std::vector<boost::json::object> counters;
  for (auto& event : accepted_events(h.sink))
    if (event.at("type").as_string() == ltf::telemetry::counters_event_type) counters.push_back(event);
  ASSERT_EQ(counters.size(), 1u) << "one at shutdown (the periodic one is a minute away)";
  const auto& record = counters[0].at("record").as_object();
  EXPECT_EQ(record.at("reason").as_string(), "shutdown");
  std::uint64_t produced = 0;
  for (const auto& [type, count] : outcome.report.events_produced) produced += count;
  // Everything Lambda sent before the SHUTDOWN's flush, minus what was still to come then (the
  // last platform.report and the extension's own shutdown log lines, which arrive later).
  EXPECT_GT(record.at("received").to_number<std::uint64_t>(), 0u);
  EXPECT_LE(record.at("received").to_number<std::uint64_t>(), produced);
  EXPECT_EQ(record.at("lost").to_number<std::uint64_t>(), 0u);
  EXPECT_EQ(record.at("shed").to_number<std::uint64_t>(), 0u);
  EXPECT_EQ(record.at("delivered").to_number<std::uint64_t>() + record.at("buffered").to_number<std::uint64_t>(),
            record.at("received").to_number<std::uint64_t>());
}

TEST(Forwarder, EveryEventCarriesItsIdAndAGaplessSandboxSequence) {
  Harness h;
  h.scenario.invocations = 5;
  auto outcome = h.run();
  expect_nothing_lost(h, outcome.report);
  std::vector<std::uint64_t> sequences;
  std::set<std::string> ids;
  std::set<std::string> sandboxes;
  for (auto& event : accepted_events(h.sink)) {
    sequences.push_back(event.at("sequence").to_number<std::uint64_t>());
    ids.insert(std::string(event.at("eventId").as_string()));
    sandboxes.insert(std::string(event.at("sandbox").as_string()));
  }
  ASSERT_EQ(sandboxes.size(), 1u) << "one sandbox, one name";
  EXPECT_EQ(sandboxes.begin()->size(), 16u);
  ASSERT_FALSE(sequences.empty());
  std::sort(sequences.begin(), sequences.end());  // batches may overtake each other on retries
  for (std::size_t i = 0; i < sequences.size(); ++i) ASSERT_EQ(sequences[i], i + 1);
  EXPECT_EQ(ids.size(), sequences.size()) << "one distinct id per event";
}

TEST(Forwarder, AThousandInvocationsLoseAndDuplicateNothing) {
  Harness h;
  h.scenario.invocations = 1000;
  h.scenario.log_lines_per_invocation = 5;
  auto outcome = h.run();
  ASSERT_EQ(outcome.report.invocations.size(), 1000u);
  EXPECT_EQ(outcome.report.timed_out_invocations(), 0u);
  EXPECT_EQ(outcome.exit_code, 0);
  EXPECT_TRUE(forwarder_report(outcome.report).exited_before_deadline);
  expect_nothing_lost(h, outcome.report);
  EXPECT_EQ(h.sink.events_of_type("platform.report"), 1000u);
}

TEST(Forwarder, ShutdownFlushesEverythingStillBuffered) {
  Harness h;
  h.scenario.invocations = 4;
  h.env["DISPATCH_MIN_BATCH_SIZE"] = "100000";  // never enough to flush on INVOKE
  std::vector<std::uint64_t> delivered_before;
  h.before_invocation = [&](int) { delivered_before.push_back(h.sink.events()); };
  auto outcome = h.run();
  EXPECT_EQ(delivered_before, (std::vector<std::uint64_t>{0, 0, 0, 0}));
  EXPECT_TRUE(forwarder_report(outcome.report).exited_before_deadline);
  expect_nothing_lost(h, outcome.report);
  EXPECT_EQ(h.sink.events_of_type("platform.report"), 4u);  // the last one arrives at Shutdown
}

TEST(Forwarder, MalformedAndOversizedBatchesAreRefusedAndNothingElseIsLost) {
  Harness h;
  h.scenario.invocations = 3;
  h.env["LTF_LISTENER_MAX_BODY_BYTES"] = std::to_string(2 * 1048576 + 65536);
  const auto port = h.env["LTF_LISTENER_PORT"];
  std::vector<unsigned> answers;
  h.before_invocation = [&](int index) {
    if (index != 1) return;
    // Between invocations 0 and 1 the listener is up: feed it junk directly.
    asio::co_spawn(h.io, [&]() -> asio::awaitable<void> {
      auto ex = co_await asio::this_coro::executor;
      for (std::string body : {std::string("{not json"), std::string(R"({"an":"object"})"),
                               std::string(3 * 1048576, '[')}) {
        ltf::net::HttpClient client(ex, "127.0.0.1", port);
        ltf::net::Request request{http::verb::post, "/", 11};
        request.body() = body;
        auto exchange = co_await client.send(std::move(request), std::chrono::seconds(10));
        answers.push_back(exchange.ok() ? exchange.response.result_int() : 0);
      }
    }, asio::detached);
  };
  auto outcome = h.run();
  EXPECT_EQ(answers, (std::vector<unsigned>{400, 400, 413}));
  EXPECT_EQ(outcome.exit_code, 0);
  expect_nothing_lost(h, outcome.report);
}

TEST(Forwarder, SinkDownForSomeInvocationsNeverBlocksThemAndLosesNothingBuffered) {
  Harness h;
  h.scenario.invocations = 12;
  fail_sink_between(h, 3, 8, SinkFault::refuse());
  auto outcome = h.run();
  EXPECT_EQ(outcome.report.timed_out_invocations(), 0u);
  EXPECT_EQ(outcome.exit_code, 0);
  expect_nothing_lost(h, outcome.report);
}

TEST(Forwarder, SinkAnswering5xxKeepsTheEventsForTheNextFlush) {
  Harness h;
  h.scenario.invocations = 8;
  fail_sink_between(h, 2, 5, SinkFault::status_code(503));
  auto outcome = h.run();
  EXPECT_EQ(outcome.report.timed_out_invocations(), 0u);
  EXPECT_GT(h.sink.requests(), h.sink.accepted_requests());  // the 503s really happened
  expect_nothing_lost(h, outcome.report);
}

TEST(Forwarder, HangingSinkCostsEachInvocationAtMostTheFlushBudget) {
  Harness h;
  h.scenario.invocations = 6;
  h.scenario.invoke_timeout = std::chrono::milliseconds(3000);
  h.env["LTF_SINK_TIMEOUT_MS"] = "300";
  h.env["LTF_FLUSH_BUDGET_MS"] = "50";
  fail_sink_between(h, 1, 4, SinkFault::hang());
  auto outcome = h.run();
  EXPECT_EQ(outcome.report.timed_out_invocations(), 0u);
  EXPECT_TRUE(forwarder_report(outcome.report).exited_before_deadline);
  EXPECT_EQ(outcome.exit_code, 0);
  expect_nothing_lost(h, outcome.report);
}

TEST(Forwarder, SinkAnsweringGarbageIsRetriedLater) {
  Harness h;
  h.scenario.invocations = 5;
  fail_sink_between(h, 1, 3, SinkFault::garbage());
  auto outcome = h.run();
  EXPECT_EQ(outcome.report.timed_out_invocations(), 0u);
  expect_nothing_lost(h, outcome.report);
}

TEST(Forwarder, WhatASinkOutageLeavesOnDiskIsSentFirstByTheNextProcessInTheSandbox) {
  Harness first;
  first.scenario.invocations = 10;
  first.scenario.log_lines_per_invocation = 40;
  first.scenario.log_line_bytes = 200;  // ~90 KB in all: more than the memory budget
  first.env["LTF_BUFFER_MAX_BYTES"] = "65536";
  first.sink.set_fault(SinkFault::refuse());
  auto down = first.run();
  EXPECT_EQ(down.exit_code, 0);
  EXPECT_EQ(down.report.timed_out_invocations(), 0u);
  EXPECT_EQ(first.sink.lines(), 0u);

  // A new extension process in the same sandbox (same /tmp), with the destination back.
  Harness second;
  second.env["LTF_SPILL_DIR"] = first.spill_dir();
  second.scenario.invocations = 2;
  auto up = second.run();
  EXPECT_EQ(up.exit_code, 0);
  std::vector<std::string> both = down.report.function_lines;
  both.insert(both.end(), up.report.function_lines.begin(), up.report.function_lines.end());
  auto lines = second.sink.account(both);
  EXPECT_EQ(lines.lost, 0u);
  EXPECT_EQ(lines.duplicated, 0u);
  EXPECT_EQ(lines.unexpected, 0u);
  // The first process's events went before the second's own.
  ASSERT_FALSE(second.sink.received().empty());
  EXPECT_NE(second.sink.received().front().body.find(down.report.function_lines.front()),
            std::string::npos);
}

TEST(Forwarder, ListenerPortAlreadyTakenIsReportedAsAnInitError) {
  Harness h;
  asio::ip::tcp::acceptor squatter(h.io, {asio::ip::make_address("0.0.0.0"), 0});
  h.env["LTF_LISTENER_PORT"] = std::to_string(squatter.local_endpoint().port());
  auto outcome = h.run();
  EXPECT_EQ(outcome.exit_code, ltf::exit_init_failed);
  EXPECT_EQ(forwarder_report(outcome.report).error_type, "Extension.ListenerFailed");
  EXPECT_NE(outcome.report.init_status, "success");
}

TEST(Forwarder, BadConfigurationIsReportedThroughInitError) {
  Harness h;
  h.env["LTF_TELEMETRY_TIMEOUT_MS"] = "5";
  auto outcome = h.run();
  EXPECT_EQ(outcome.exit_code, ltf::exit_init_failed);
  EXPECT_EQ(forwarder_report(outcome.report).error_type, "Extension.ConfigInvalid");
  EXPECT_NE(outcome.report.init_status, "success");
}

TEST(Forwarder, ALambdaThatRefusesTheLatestSchemaGetsThePreviousOneOnce) {
  Harness h;
  h.scenario.schema_versions = {"2022-12-13"};
  auto outcome = h.run();
  EXPECT_EQ(outcome.exit_code, ltf::exit_ok);
  EXPECT_EQ(outcome.report.api_errors_of_type("ValidationError"), 1u);
  EXPECT_EQ(forwarder_report(outcome.report).schema_version, "2022-12-13");
  expect_nothing_lost(h, outcome.report);
}

TEST(Forwarder, SubscriptionRefusedIsReportedAsAnInitError) {
  Harness h;
  // A Lambda that accepts neither of our schemas answers each with 400.
  h.scenario.schema_versions = {"2022-07-01"};
  auto outcome = h.run();
  EXPECT_EQ(outcome.exit_code, ltf::exit_init_failed);
  EXPECT_EQ(outcome.report.api_errors_of_type("ValidationError"), 2u) << "one fallback, no more";
  EXPECT_EQ(forwarder_report(outcome.report).error_type, "Extension.SubscriptionFailed");
  EXPECT_NE(outcome.report.init_status, "success");
}

TEST(Forwarder, RegistrationRefusedExitsNonZero) {
  Harness h;
  // Lambda knows no external extension by our name: we register as an internal one, and an
  // internal extension may not ask for SHUTDOWN (403 Extension.InvalidEventType).
  h.scenario.external_extensions = {"someone-else"};
  auto outcome = h.run();
  EXPECT_EQ(outcome.exit_code, ltf::exit_lambda_error);
  EXPECT_EQ(outcome.report.api_errors_of_type("Extension.InvalidEventType"), 1u);
}

TEST(Forwarder, WithoutADestinationEventsAreDiscardedAndTheLifecycleRuns) {
  Harness h;
  h.env.erase("DISPATCH_POST_URI");
  auto outcome = h.run();
  EXPECT_EQ(outcome.exit_code, 0);
  EXPECT_EQ(outcome.report.timed_out_invocations(), 0u);
  EXPECT_EQ(h.sink.requests(), 0u);
}

}  // namespace
