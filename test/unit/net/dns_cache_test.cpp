// DnsCache, the resolver's policy, alone with a made-up clock: what a caller is told to do about
// a host at each moment (answer, fail, look up, refresh), and when a look-up is started.
#include "ltf/resolver.hpp"

#include <gtest/gtest.h>

namespace {

using ltf::net::DnsCache;
using ltf::net::DnsError;
using Action = DnsCache::Action;
using namespace std::chrono_literals;

const auto t0 = ltf::net::DnsClock::time_point{} + 1000h;
const std::vector<boost::asio::ip::address> seven{boost::asio::ip::make_address("10.0.0.7")};

TEST(DnsCache, AnUnknownHostIsLookedUpByTheFirstCallerAndJoinedByTheOthers) {
  DnsCache cache;
  auto first = cache.decide("a.test", t0);
  EXPECT_EQ(first.action, Action::look_up);
  EXPECT_TRUE(first.start);
  cache.started("a.test");
  auto second = cache.decide("a.test", t0);
  EXPECT_EQ(second.action, Action::look_up);
  EXPECT_FALSE(second.start) << "a second look-up of a host already being looked up";
}

TEST(DnsCache, AnAnswerIsUsedForItsTtlThenRefreshed) {
  DnsCache cache;
  cache.started("a.test");
  cache.answered("a.test", seven, 30s, t0);
  auto fresh = cache.decide("a.test", t0 + 29s);
  EXPECT_EQ(fresh.action, Action::answer);
  EXPECT_EQ(fresh.addresses, seven);
  EXPECT_FALSE(fresh.stale);
  auto expired = cache.decide("a.test", t0 + 30s);
  EXPECT_EQ(expired.action, Action::refresh);
  EXPECT_TRUE(expired.start);
  EXPECT_EQ(expired.addresses, seven) << "kept, to be used if the refresh is late or fails";
}

TEST(DnsCache, TtlsAreKeptWithinTheirBounds) {
  DnsCache cache;
  cache.answered("zero.test", seven, 0s, t0);
  EXPECT_EQ(cache.decide("zero.test", t0 + DnsCache::kMinimumTtl - 1ms).action, Action::answer);
  EXPECT_EQ(cache.decide("zero.test", t0 + DnsCache::kMinimumTtl).action, Action::refresh);
  cache.answered("day.test", seven, 86400s, t0);
  EXPECT_EQ(cache.decide("day.test", t0 + DnsCache::kMaximumTtl).action, Action::refresh);
}

TEST(DnsCache, AFailureIsRememberedForAFewSecondsThenAskedAgain) {
  DnsCache cache;
  cache.started("a.test");
  cache.failed("a.test", DnsError::no_answer, t0);
  auto soon = cache.decide("a.test", t0 + DnsCache::kFailureMemory - 1ms);
  EXPECT_EQ(soon.action, Action::fail);
  EXPECT_EQ(soon.error, DnsError::no_answer);
  EXPECT_FALSE(soon.start);
  auto later = cache.decide("a.test", t0 + DnsCache::kFailureMemory);
  EXPECT_EQ(later.action, Action::look_up);
  EXPECT_TRUE(later.start);
}

TEST(DnsCache, AStaleAnswerIsUsedWhileItsRefreshFailureIsRemembered) {
  DnsCache cache;
  cache.answered("a.test", seven, 10s, t0);
  cache.started("a.test");
  cache.failed("a.test", DnsError::no_answer, t0 + 10s);
  auto d = cache.decide("a.test", t0 + 11s);
  EXPECT_EQ(d.action, Action::answer);
  EXPECT_TRUE(d.stale);
  EXPECT_EQ(d.addresses, seven);
  EXPECT_FALSE(d.start);
  // Once the failure is forgotten, the refresh is tried again, the old answer still in hand.
  EXPECT_EQ(cache.decide("a.test", t0 + 10s + DnsCache::kFailureMemory).action, Action::refresh);
}

TEST(DnsCache, FinishedLookUpsAreCountedSoWaitersKnowTheirsEnded) {
  DnsCache cache;
  EXPECT_EQ(cache.finished("a.test"), 0u);
  cache.started("a.test");
  EXPECT_TRUE(cache.in_flight("a.test"));
  cache.answered("a.test", seven, 10s, t0);
  EXPECT_FALSE(cache.in_flight("a.test"));
  EXPECT_EQ(cache.finished("a.test"), 1u);
  cache.started("a.test");
  cache.failed("a.test", DnsError::not_found, t0);
  EXPECT_EQ(cache.finished("a.test"), 2u);
}

TEST(DnsCache, ClearForgetsAnswersAndFailures) {
  DnsCache cache;
  cache.answered("a.test", seven, 60s, t0);
  cache.failed("b.test", DnsError::not_found, t0);
  cache.clear();
  EXPECT_EQ(cache.decide("a.test", t0).action, Action::look_up);
  EXPECT_EQ(cache.decide("b.test", t0).action, Action::look_up);
}

}  // namespace
