#include "ltf/pipeline.hpp"

#include <gtest/gtest.h>

namespace {

using ltf::pipeline::FlushPolicy;
using ltf::pipeline::FlushStrategy;
using namespace std::chrono_literals;
using Clock = FlushPolicy::Clock;

const Clock::time_point t0{};

FlushPolicy automatic(std::uint64_t min_batch = 0) {
  FlushPolicy::Options options;
  options.min_batch_size = min_batch;
  options.interval = 1000ms;
  options.busy_below = 2000ms;
  options.window = 4;
  return FlushPolicy(options);
}

TEST(FlushPolicy, RarelyCalledFunctionsFlushAtTheEndOfEachInvocation) {
  auto policy = automatic();
  for (int i = 0; i < 10; ++i) {
    policy.invoked(t0 + i * 5s);
    EXPECT_FALSE(policy.periodic()) << i;
  }
}

TEST(FlushPolicy, BusyFunctionsSwitchToPeriodicOnceTheWindowShowsIt) {
  auto policy = automatic();
  policy.invoked(t0);
  policy.invoked(t0 + 100ms);
  policy.invoked(t0 + 200ms);
  EXPECT_FALSE(policy.periodic()) << "three invocations are too few to judge";
  policy.invoked(t0 + 300ms);
  EXPECT_TRUE(policy.periodic());
}

TEST(FlushPolicy, SwitchesBackOnlyWellAboveTheThreshold) {
  auto policy = automatic();
  auto t = t0;
  for (int i = 0; i < 4; ++i) policy.invoked(t += 100ms);
  ASSERT_TRUE(policy.periodic());
  // A mean of 3 s is above busy_below but not above twice it: stays periodic (no flapping).
  for (int i = 0; i < 4; ++i) policy.invoked(t += 3s);
  EXPECT_TRUE(policy.periodic());
  for (int i = 0; i < 4; ++i) policy.invoked(t += 5s);
  EXPECT_FALSE(policy.periodic());
}

TEST(FlushPolicy, APeriodicFlushIsDueAtMostOncePerInterval) {
  auto policy = automatic();
  EXPECT_TRUE(policy.periodic_flush_due(t0, 5));
  EXPECT_FALSE(policy.periodic_flush_due(t0 + 999ms, 5));
  EXPECT_TRUE(policy.periodic_flush_due(t0 + 1000ms, 5));
  EXPECT_FALSE(policy.periodic_flush_due(t0 + 5000ms, 0)) << "nothing buffered, nothing due";
  EXPECT_TRUE(policy.periodic_flush_due(t0 + 5001ms, 1));
}

TEST(FlushPolicy, MinBatchSizeHoldsInBothModes) {
  auto policy = automatic(3);
  EXPECT_FALSE(policy.flush_on_invoke(3)) << "DISPATCH_MIN_BATCH_SIZE means more than";
  EXPECT_TRUE(policy.flush_on_invoke(4));
  EXPECT_FALSE(policy.periodic_flush_due(t0, 3));
  EXPECT_TRUE(policy.periodic_flush_due(t0, 4));
  EXPECT_TRUE(policy.flush_on_shutdown(1));
}

TEST(FlushPolicy, AFixedStrategyIgnoresTheRate) {
  FlushPolicy::Options options;
  options.strategy = FlushStrategy::end_of_invocation;
  options.window = 2;
  FlushPolicy end(options);
  for (int i = 0; i < 5; ++i) end.invoked(t0 + i * 1ms);
  EXPECT_FALSE(end.periodic());
  options.strategy = FlushStrategy::periodic;
  FlushPolicy periodic(options);
  periodic.invoked(t0);
  EXPECT_TRUE(periodic.periodic());
}

}  // namespace
