#include "ltf/sinks.hpp"

#include <gtest/gtest.h>

namespace {

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

TEST(RetryAfter, GarbageIsIgnored) {
  EXPECT_FALSE(parse_retry_after("soon", kNow));
  EXPECT_FALSE(parse_retry_after("-5", kNow));
  EXPECT_FALSE(parse_retry_after("", kNow));
  EXPECT_FALSE(parse_retry_after("Sun, 06 Nov 1994 08:50:07 GMT trailing", kNow));
}

TEST(RetryAfter, AbsurdDelaysAreCappedAtADay) {
  EXPECT_EQ(parse_retry_after("99999999", kNow), std::chrono::milliseconds(24 * 3600 * 1000));
}

}  // namespace
