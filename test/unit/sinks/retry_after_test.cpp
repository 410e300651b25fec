// Retry-After in both forms, capped by one limit; hostile dates neither overflow nor stall delivery.
#include "ltf/sinks.hpp"

#include <gtest/gtest.h>

namespace {

using ltf::sinks::default_retry_after_max;
using ltf::sinks::parse_retry_after;
using namespace std::chrono_literals;

// 1994-11-06T08:49:37Z, the RFC's example date.
const auto kNow = std::chrono::system_clock::from_time_t(784111777);

TEST(RetryAfter, DelaySeconds) {
  EXPECT_EQ(parse_retry_after("120", kNow), 120000ms);
  EXPECT_EQ(parse_retry_after(" 0 ", kNow), 0ms);
}

TEST(RetryAfter, HttpDateRelativeToNow) {
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", kNow), 30000ms);
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", kNow), 0ms);  // in the past
}

TEST(RetryAfter, TheObsoleteDateFormsAreUnderstoodToo) {
  EXPECT_EQ(parse_retry_after("Sunday, 06-Nov-94 08:50:07 GMT", kNow), 30000ms);  // RFC 850
  EXPECT_EQ(parse_retry_after("Sun Nov  6 08:50:07 1994", kNow), 30000ms);        // asctime
}

TEST(RetryAfter, GarbageIsIgnored) {
  EXPECT_FALSE(parse_retry_after("soon", kNow));
  EXPECT_FALSE(parse_retry_after("-5", kNow));
  EXPECT_FALSE(parse_retry_after("", kNow));
  EXPECT_FALSE(parse_retry_after("Sun, 06 Nov 1994 08:50:07 GMT trailing", kNow));
  EXPECT_FALSE(parse_retry_after("Sun, 31 Feb 1994 08:50:07 GMT", kNow));  // no such day
  EXPECT_FALSE(parse_retry_after("12abc", kNow));
}

TEST(RetryAfter, TheDefaultLimitIsAtMostTwoMinutes) {
  EXPECT_LE(default_retry_after_max, 2min);
  EXPECT_GT(default_retry_after_max, 0ms);
}

TEST(RetryAfter, HugeSecondsAreCappedAtTheLimit) {
  EXPECT_EQ(parse_retry_after("99999999", kNow), default_retry_after_max);
  EXPECT_EQ(parse_retry_after("18446744073709551615", kNow), default_retry_after_max);  // 2^64-1
  EXPECT_EQ(parse_retry_after("99999999999999999999999999", kNow), default_retry_after_max);
  EXPECT_EQ(parse_retry_after("9223372036854775808", kNow, 5s), 5s);
}

TEST(RetryAfter, ADateFarAheadIsCappedLikeTheSecondsForm) {
  EXPECT_EQ(parse_retry_after("Mon, 07 Nov 1994 08:49:37 GMT", kNow), default_retry_after_max);
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", kNow, 10s), 10s);
}

// Before: system_clock's nanoseconds overflowed past 2262 (UBSan: signed-integer-overflow).
TEST(RetryAfter, TheYear9999NeitherOverflowsNorStallsDelivery) {
  EXPECT_EQ(parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", kNow), default_retry_after_max);
  EXPECT_EQ(parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", kNow, 1500ms), 1500ms);
}

// Before: nanoseconds underflowed before 1677.
TEST(RetryAfter, DatesLongPastAreZero) {
  EXPECT_EQ(parse_retry_after("Mon, 01 Jan 0001 00:00:00 GMT", kNow), 0ms);
  EXPECT_EQ(parse_retry_after("Sat, 01 Jan 0000 00:00:00 GMT", kNow), 0ms);
  EXPECT_EQ(parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT", kNow), 0ms);
  EXPECT_FALSE(parse_retry_after("Mon, 01 Jan -001 00:00:00 GMT", kNow));
}

TEST(RetryAfter, TheLimitIsAParameter) {
  EXPECT_EQ(parse_retry_after("30", kNow, 10min), 30s);
  EXPECT_EQ(parse_retry_after("3000", kNow, 10min), 10min);
  EXPECT_EQ(parse_retry_after("30", kNow, 0ms), 0ms);
}

}  // namespace
