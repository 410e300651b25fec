// Sinks that fail half-way (a reset in the middle of the answer, an answer dripped out too slowly),
// throttle with Retry-After, or fail just before the sandbox freezes: the forwarder in-process on
// the in-process fake Lambda. Assertions are on what the sink recorded and what Lambda saw.

#include "harness.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <optional>

namespace {

using namespace std::chrono_literals;
using ltf::emulator::ReceivedRequest;
using ltf::emulator::SinkFault;
using ltf::test::Harness;
using ltf::test::kExtensionName;

// The sink fails with `fault` from invocation `from` until invocation `until` begins.
void fail_sink_between(Harness& h, int from, int until, SinkFault fault) {
  h.before_invocation = [&h, from, until, fault](int index) {
    if (index == from) h.sink.set_fault(fault);
    if (index == until) h.sink.set_fault(SinkFault::ok());
  };
}

std::size_t cut_short_requests(const Harness& h) {
  const auto& received = h.sink.received();
  return static_cast<std::size_t>(
      std::count_if(received.begin(), received.end(), [](const auto& r) { return r.cut_short; }));
}

void expect_clean_exit(const ltf::test::Outcome& outcome) {
  EXPECT_EQ(outcome.exit_code, 0);
  EXPECT_EQ(outcome.report.timed_out_invocations(), 0u);
  const auto* extension = outcome.report.extension(kExtensionName);
  ASSERT_NE(extension, nullptr);
  EXPECT_TRUE(extension->exited_before_deadline);
}

TEST(Faults, SinkResettingMidAnswerGetsTheBatchAgainAsTheSameEventsAndNothingIsLost) {
  Harness h;
  h.scenario.invocations = 8;
  fail_sink_between(h, 1, 4, SinkFault::reset());
  auto outcome = h.run();
  expect_clean_exit(outcome);
  // The sink had those batches but the forwarder could not know: it sent them again.
  EXPECT_GT(cut_short_requests(h), 0u);
  const auto lines = h.sink.account(outcome.report.function_lines);
  EXPECT_EQ(lines.lost, 0u);
  EXPECT_GT(lines.duplicated, 0u);
  EXPECT_EQ(lines.altered_duplicates, 0u);  // every duplicate is the same event, same event id
  EXPECT_EQ(lines.unexpected, 0u);
  // It kept working afterwards: the last invocation's lines arrived exactly once.
  const auto& last = outcome.report.function_lines.back();
  ASSERT_TRUE(h.sink.line_counts().count(last));
  EXPECT_EQ(h.sink.line_counts().at(last), 1u);
}

TEST(Faults, SinkDrippingItsAnswerTimesOutTheRequestWhichIsRetriedWithoutHoldingUpInvocations) {
  Harness h;
  h.scenario.invocations = 8;
  // Were the forwarder to wait for the dripped answer (about 100 bytes at one per 100 ms: ten
  // seconds), every invocation with a flush would miss this deadline.
  h.scenario.invoke_timeout = 1500ms;
  h.env["LTF_SINK_TIMEOUT_MS"] = "200";
  h.env["LTF_FLUSH_BUDGET_MS"] = "50";
  fail_sink_between(h, 1, 5, SinkFault::drip(100ms));
  auto outcome = h.run();
  expect_clean_exit(outcome);
  EXPECT_GT(cut_short_requests(h), 0u);
  const auto lines = h.sink.account(outcome.report.function_lines);
  EXPECT_EQ(lines.lost, 0u);
  EXPECT_GT(lines.duplicated, 0u);  // the sink had recorded what the timed-out request carried
  EXPECT_EQ(lines.altered_duplicates, 0u);
  EXPECT_EQ(lines.unexpected, 0u);
}

TEST(Faults, ThrottledWithRetryAfterTheNextAttemptComesNoSooner) {
  Harness h;
  h.scenario.invocations = 7;
  // Frozen time between invocations: the run outlasts the Retry-After by far, so the retry is
  // made by an invocation's flush (Shutdown, which ignores any backoff, comes later still).
  h.scenario.idle_between_invocations = 300ms;
  fail_sink_between(h, 1, 2, SinkFault::throttled(1s));
  auto outcome = h.run();
  expect_clean_exit(outcome);

  const auto& received = h.sink.received();
  const auto throttled = std::find_if(received.begin(), received.end(),
                                      [](const ReceivedRequest& r) { return r.status == 429; });
  ASSERT_NE(throttled, received.end());
  ASSERT_NE(throttled + 1, received.end()) << "never retried";
  // Only a bound from below: a slow machine makes the retry later, never sooner.
  EXPECT_GE((throttled + 1)->at, throttled->at + 1s)
      << "retried after "
      << std::chrono::duration_cast<std::chrono::milliseconds>((throttled + 1)->at - throttled->at).count()
      << " ms";
  EXPECT_EQ((throttled + 1)->status, 200u);
  const auto lines = h.sink.account(outcome.report.function_lines);
  EXPECT_EQ(lines.lost, 0u);
  EXPECT_EQ(lines.duplicated, 0u);
}

TEST(Faults, BackoffThatRunsOutWhileFrozenIsRetriedAtTheFirstFlushAfterTheThaw) {
  Harness h;
  h.scenario.invocations = 5;
  h.scenario.log_lines_per_invocation = 4;
  h.scenario.idle_between_invocations = 600ms;  // frozen, longer than any backoff below
  h.env["LTF_RETRY_INITIAL_MS"] = "400";
  h.env["LTF_RETRY_MAX_MS"] = "400";
  std::optional<ReceivedRequest> last_before_thaw;
  std::size_t requests_before_thaw = 0;
  std::uint64_t lines_when_third_began = 0;
  h.before_invocation = [&](int index) {
    if (index == 1) h.sink.set_fault(SinkFault::status_code(503));
    if (index == 2) {  // the sandbox is about to thaw
      requests_before_thaw = h.sink.received().size();
      if (!h.sink.received().empty()) last_before_thaw = h.sink.received().back();
      h.sink.set_fault(SinkFault::ok());
    }
    if (index == 3) lines_when_third_began = h.sink.lines();
  };
  auto outcome = h.run();
  expect_clean_exit(outcome);
  // Invocation 1's flush failed and backoff began; nothing was tried while frozen.
  ASSERT_TRUE(last_before_thaw.has_value());
  EXPECT_EQ(last_before_thaw->status, 503u);
  // The backoff ran out during the freeze: invocation 2's flush retried at once and delivered
  // invocations 1 and 2 before invocation 3 began.
  ASSERT_GT(h.sink.received().size(), requests_before_thaw);
  EXPECT_EQ(h.sink.received()[requests_before_thaw].status, 200u);
  EXPECT_EQ(lines_when_third_began, 3u * 4u);
  const auto lines = h.sink.account(outcome.report.function_lines);
  EXPECT_EQ(lines.lost, 0u);
  EXPECT_EQ(lines.duplicated, 0u);
}

}  // namespace
