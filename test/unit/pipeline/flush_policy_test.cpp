// FlushPolicy with a fake clock: one decision per INVOKE, and one once its runtimeDone arrived.
#include "ltf/policies.hpp"

#include <gtest/gtest.h>

namespace {

using ltf::FlushStrategy;
using ltf::pipeline::Clock;
using ltf::pipeline::FlushPolicy;
using ltf::pipeline::InvokeAction;
using namespace std::chrono_literals;

const Clock::time_point t0{std::chrono::hours(1)};

FlushPolicy::Options options(std::uint64_t min_batch = 0) {
  FlushPolicy::Options o;
  o.min_batch_size = min_batch;
  o.interval = 1000ms;
  o.busy_below = 2000ms;
  o.window = 4;
  return o;
}

TEST(FlushPolicy, RarelyCalledFunctionsWaitForRuntimeDoneThenFlush) {
  FlushPolicy policy(options());
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(policy.on_invoke(t0 + i * 5s, 3), InvokeAction::wait_for_runtime_done) << i;
    EXPECT_EQ(policy.after_runtime_done(3), InvokeAction::flush_then_next);
  }
  EXPECT_FALSE(policy.periodic());
}

TEST(FlushPolicy, WithoutRuntimeDoneComingItFlushesAtOnce) {
  auto o = options();
  o.runtime_done_expected = false;  // not subscribed to platform events, or Lambda answered 202
  FlushPolicy policy(o);
  EXPECT_EQ(policy.on_invoke(t0, 3), InvokeAction::flush_then_next);
  EXPECT_EQ(policy.on_invoke(t0 + 10s, 0), InvokeAction::next_at_once);
}

TEST(FlushPolicy, BusyFunctionsSwitchToPeriodicOnceTheWindowShowsIt) {
  FlushPolicy policy(options());
  EXPECT_EQ(policy.on_invoke(t0, 1), InvokeAction::wait_for_runtime_done);
  EXPECT_EQ(policy.on_invoke(t0 + 100ms, 1), InvokeAction::wait_for_runtime_done);
  EXPECT_EQ(policy.on_invoke(t0 + 200ms, 1), InvokeAction::wait_for_runtime_done)
      << "three invocations are too few to judge";
  EXPECT_EQ(policy.on_invoke(t0 + 300ms, 1), InvokeAction::flush_in_background);
  EXPECT_TRUE(policy.periodic());
}

TEST(FlushPolicy, SwitchesBackOnlyWellAboveTheThreshold) {
  FlushPolicy policy(options());
  auto t = t0;
  for (int i = 0; i < 4; ++i) policy.on_invoke(t += 100ms, 0);
  ASSERT_TRUE(policy.periodic());
  // A mean of 3 s is above busy_below but not above twice it: stays periodic (no flapping).
  for (int i = 0; i < 4; ++i) policy.on_invoke(t += 3s, 0);
  EXPECT_TRUE(policy.periodic());
  for (int i = 0; i < 4; ++i) policy.on_invoke(t += 5s, 0);
  EXPECT_FALSE(policy.periodic());
}

TEST(FlushPolicy, APeriodicFlushStartsAtMostOncePerIntervalAndNeverWaits) {
  auto o = options();
  o.strategy = FlushStrategy::periodic;
  FlushPolicy policy(o);
  EXPECT_EQ(policy.on_invoke(t0, 5), InvokeAction::flush_in_background);
  EXPECT_EQ(policy.on_invoke(t0 + 999ms, 5), InvokeAction::next_at_once);
  EXPECT_EQ(policy.on_invoke(t0 + 1000ms, 5), InvokeAction::flush_in_background);
  EXPECT_EQ(policy.on_invoke(t0 + 5000ms, 0), InvokeAction::next_at_once) << "nothing buffered";
  EXPECT_EQ(policy.on_invoke(t0 + 5001ms, 1), InvokeAction::flush_in_background);
}

TEST(FlushPolicy, ManagedInstancesFlushByTimeAtEveryIntervalWithSomethingToSend) {
  FlushPolicy policy(options());
  EXPECT_EQ(policy.on_tick(t0, 2), InvokeAction::flush_in_background);
  EXPECT_EQ(policy.on_tick(t0 + 500ms, 2), InvokeAction::next_at_once) << "within the interval";
  EXPECT_EQ(policy.on_tick(t0 + 1000ms, 0), InvokeAction::next_at_once) << "nothing buffered";
  EXPECT_EQ(policy.on_tick(t0 + 1001ms, 1), InvokeAction::flush_in_background);
}

TEST(FlushPolicy, MinBatchSizeHoldsInBothModes) {
  FlushPolicy end_of_invocation(options(3));
  EXPECT_EQ(end_of_invocation.after_runtime_done(3), InvokeAction::next_at_once)
      << "DISPATCH_MIN_BATCH_SIZE means more than";
  EXPECT_EQ(end_of_invocation.after_runtime_done(4), InvokeAction::flush_then_next);
  auto o = options(3);
  o.strategy = FlushStrategy::periodic;
  FlushPolicy periodic(o);
  EXPECT_EQ(periodic.on_invoke(t0, 3), InvokeAction::next_at_once);
  EXPECT_EQ(periodic.on_invoke(t0, 4), InvokeAction::flush_in_background);
}

TEST(FlushPolicy, AFixedStrategyIgnoresTheRate) {
  auto o = options();
  o.strategy = FlushStrategy::end_of_invocation;
  o.window = 2;
  FlushPolicy end(o);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(end.on_invoke(t0 + i * 1ms, 1), InvokeAction::wait_for_runtime_done);
  EXPECT_FALSE(end.periodic());
  o.strategy = FlushStrategy::periodic;
  FlushPolicy periodic(o);
  periodic.on_invoke(t0, 0);
  EXPECT_TRUE(periodic.periodic());
}

}  // namespace

TEST(FlushPolicy, PeriodicCatchesUpWhenLambdaHoldsManyEventsForUs) {
  auto o = options();
  o.strategy = FlushStrategy::periodic;
  o.catch_up_events = 2000;
  FlushPolicy policy(o);
  EXPECT_EQ(policy.on_invoke(t0, 5, /*lagging_events=*/2000), InvokeAction::catch_up);
  // Once caught up, the periodic decision as usual: due, so a background flush.
  EXPECT_EQ(policy.after_catching_up(t0 + 50ms, 5), InvokeAction::flush_in_background);
  EXPECT_EQ(policy.on_invoke(t0 + 100ms, 5, /*lagging_events=*/0), InvokeAction::next_at_once)
      << "not behind, and the interval has not passed";
  EXPECT_EQ(policy.on_invoke(t0 + 200ms, 5, /*lagging_events=*/50'000), InvokeAction::catch_up);
  EXPECT_EQ(policy.after_catching_up(t0 + 250ms, 5), InvokeAction::next_at_once)
      << "caught up, and still within the interval";
}

TEST(FlushPolicy, AFewLaggingEventsAreNoReasonToWait) {
  // A busy function with few lines lags as many invocations as any other: waiting would cost
  // it a freeze's worth of billed time for nothing.
  auto o = options();
  o.strategy = FlushStrategy::periodic;
  o.catch_up_events = 2000;
  FlushPolicy policy(o);
  EXPECT_EQ(policy.on_invoke(t0, 5, /*lagging_events=*/1999), InvokeAction::flush_in_background);
  EXPECT_EQ(policy.on_invoke(t0 + 10ms, 5, /*lagging_events=*/25), InvokeAction::next_at_once);
}

TEST(FlushPolicy, CatchingUpNeedsARuntimeDoneToWaitFor) {
  auto o = options();
  o.strategy = FlushStrategy::periodic;
  o.runtime_done_expected = false;
  FlushPolicy policy(o);
  EXPECT_EQ(policy.on_invoke(t0, 5, /*lagging_events=*/50'000), InvokeAction::flush_in_background);
}

TEST(FlushPolicy, EndOfInvocationIsNeverBehindSinceItWaitsForEachRuntimeDone) {
  FlushPolicy policy(options());
  EXPECT_EQ(policy.on_invoke(t0, 5, /*lagging_events=*/50'000), InvokeAction::wait_for_runtime_done);
}
