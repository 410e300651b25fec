// Inputs the fuzzers (fuzz/) found that broke a sink's parser, each kept as the test it became.
// Each was a crash found by fuzzing, and is fixed.
#include "ltf/sinks.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>

namespace {

using namespace std::chrono_literals;
using ltf::sinks::parse_retry_after;

// fuzz_retry_after, first input: the year 9999 overflowed std::chrono's nanoseconds (UBSan:
// "signed integer overflow: 253402300799 * 1000000000" in chrono.h, from system_clock::from_time_t).
// Fixed in src/sinks/retry_after.cpp: a far date is capped like the
// seconds form, without overflow. Run it under the asan preset to see the overflow itself.
TEST(SinksFuzzRegressions, RetryAfterDateInYear9999IsCappedNotOverflowed) {
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1767225600));
  const auto delay = parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now);
  ASSERT_TRUE(delay);
  // Far ahead is a long wait, capped: not zero, which is what the wrapped-around value gives.
  EXPECT_GT(*delay, 0ms);
  EXPECT_LE(*delay, std::chrono::milliseconds(2min)) << "issue 10: capped at two minutes at most";
}

// fuzz_retry_after, later inputs: a two-digit year (94 AD) overflows the other way; and the text
// after a NUL byte was never looked at (strptime stops at the NUL of c_str()), so a value with
// garbage after a NUL was taken as a date. Same owner and file as above.
TEST(SinksFuzzRegressions, RetryAfterDateInYear94IsInThePastAndANulEndsNothing) {
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1767225600));
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 94 08:49:37 GMT", now), std::optional(0ms));
  const std::string with_nul("Sun, 06 Nov 1994 08:49:37 GMT\0\0\0112;", 35);
  EXPECT_FALSE(parse_retry_after(with_nul, now)) << "bytes after a NUL are not part of a date";
}

}  // namespace
