// log_excerpt: backend text bounded and on one line, whatever bytes the backend chose.
#include "ltf/sinks.hpp"

#include <gtest/gtest.h>

namespace {

using ltf::sinks::log_excerpt;

TEST(LogExcerpt, ControlCharactersAndUnicodeLineBreaksBecomeSpaces) {
  EXPECT_EQ(log_excerpt("a\nb\r\nc\x1b[31m\x7f"), "a b  c [31m ");
  EXPECT_EQ(log_excerpt("a\xc2\x85" "b\xe2\x80\xa8" "c\xe2\x80\xa9" "d"), "a b c d");
  EXPECT_EQ(log_excerpt("caf\xc3\xa9"), "caf\xc3\xa9");
}

// Before: a cut could leave half of a UTF-8 character (or of a line break) at the end.
TEST(LogExcerpt, ACutNeverLeavesHalfACharacter) {
  EXPECT_EQ(log_excerpt("abcde\xc3\xa9xyz", 9), "abcde...");
  EXPECT_EQ(log_excerpt("abcde\xe2\x80\xa8xyz", 9), "abcde...");
  EXPECT_EQ(log_excerpt(std::string(1000, 'x'), 10), "xxxxxxx...");
  EXPECT_EQ(log_excerpt("a\nbc", 2), "");  // no room for text and the mark: nothing raw
}

}  // namespace
