#include "ltf/policies.hpp"

#include <gtest/gtest.h>

namespace {

using ltf::pipeline::RetryPolicy;
using namespace std::chrono_literals;

const ltf::pipeline::Clock::time_point t0{std::chrono::hours(1)};

RetryPolicy::Options options() { return {100ms, 2000ms, 4, 30000ms, 60000ms}; }

TEST(RetryPolicy, FreshPolicyMaySendAtOnce) {
  RetryPolicy policy(options());
  EXPECT_TRUE(policy.may_send(t0));
  EXPECT_FALSE(policy.circuit_open());
}

TEST(RetryPolicy, BackoffGrowsWithJitterAndIsCapped) {
  RetryPolicy policy({100ms, 800ms, 100, 30000ms});
  std::vector<std::chrono::milliseconds> waits;
  for (int i = 0; i < 6; ++i) {
    policy.failed(t0, std::nullopt);
    waits.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(policy.next_attempt() - t0));
  }
  // Each wait lies in [ceiling/2, ceiling] with ceiling = 100, 200, 400, 800, 800, 800 ms.
  const std::int64_t ceilings[] = {100, 200, 400, 800, 800, 800};
  for (std::size_t i = 0; i < waits.size(); ++i) {
    EXPECT_GE(waits[i].count(), ceilings[i] / 2) << i;
    EXPECT_LE(waits[i].count(), ceilings[i]) << i;
  }
  EXPECT_FALSE(policy.may_send(t0 + waits.back() - 1ms));
  EXPECT_TRUE(policy.may_send(t0 + waits.back()));
}

TEST(RetryPolicy, RetryAfterIsHonouredWhenLongerThanTheBackoff) {
  RetryPolicy policy(options());
  policy.failed(t0, 5000ms);
  EXPECT_EQ(policy.next_attempt(), t0 + 5000ms);
}

TEST(RetryPolicy, RetryAfterIsCappedSoOneAnswerCannotStopDeliveryUntilShutdown) {
  RetryPolicy policy(options());
  policy.failed(t0, std::chrono::hours(24 * 365));  // an HTTP-date a year ahead
  EXPECT_EQ(policy.next_attempt(), t0 + 60000ms);
}

TEST(RetryPolicy, TheDefaultRetryAfterCapIsAtMostTwoMinutes) {
  EXPECT_LE(RetryPolicy::Options{}.retry_after_max, 120s);
  EXPECT_EQ(RetryPolicy::Options{}.cooldown, ltf::defaults::circuit_cooldown.fallback)
      << "one default for the circuit's cooldown";
}

TEST(RetryPolicy, CircuitOpensAfterRepeatedFailuresAndASuccessClosesIt) {
  RetryPolicy policy(options());
  for (int i = 0; i < 4; ++i) policy.failed(t0, std::nullopt);
  EXPECT_TRUE(policy.circuit_open());
  EXPECT_EQ(policy.next_attempt(), t0 + 30000ms);
  EXPECT_FALSE(policy.may_send(t0 + 29999ms));
  EXPECT_TRUE(policy.may_send(t0 + 30000ms));  // one probe after the cooldown
  policy.failed(t0 + 30000ms, std::nullopt);    // the probe failed: open again
  EXPECT_EQ(policy.next_attempt(), t0 + 60000ms);
  policy.succeeded();
  EXPECT_FALSE(policy.circuit_open());
  EXPECT_EQ(policy.consecutive_failures(), 0u);
  EXPECT_TRUE(policy.may_send(t0));
}

TEST(RetryPolicy, SameSeedSameWaits) {
  RetryPolicy a(options(), 42), b(options(), 42);
  for (int i = 0; i < 3; ++i) {
    a.failed(t0, std::nullopt);
    b.failed(t0, std::nullopt);
    EXPECT_EQ(a.next_attempt(), b.next_attempt());
  }
}

}  // namespace
