// The log formatter: every record is one printable, bounded line, whatever a logged value holds.
#include "ltf/log.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace {

using ltf::log::one_line;

std::size_t lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

TEST(OneLine, PrintableTextIsUnchanged) {
  EXPECT_EQ(one_line("plain text, caf\xc3\xa9 \xe2\x9c\x93"), "plain text, caf\xc3\xa9 \xe2\x9c\x93");
}

TEST(OneLine, LineBreaksAndControlCharactersAreEscaped) {
  EXPECT_EQ(one_line("a\nb\r\nc\td"), "a\\nb\\r\\nc\\td");
  EXPECT_EQ(one_line(std::string("x\0y\x1b[31m\x7f", 9)), "x\\x00y\\x1b[31m\\x7f");
  EXPECT_EQ(one_line("a\xc2\x85" "b\xe2\x80\xa8" "c\xe2\x80\xa9"), "a\\u0085b\\u2028c\\u2029");
}

TEST(OneLine, LongTextIsCutAndMarkedWithoutHalfACharacter) {
  EXPECT_EQ(one_line(std::string(100, 'a'), 10), "aaaaaaa...");
  EXPECT_EQ(one_line("abcdef\xc3\xa9xyz", 10), "abcdef...");  // é would be cut in two
  EXPECT_EQ(one_line("abcdefgh\xc3\xa9", 10), "abcdefgh\xc3\xa9");  // exactly the limit
  EXPECT_EQ(one_line("abcdef\n\n\n", 10), "abcdef...");      // nor an escape
  EXPECT_EQ(one_line(std::string(20'000'000, 'x')).size(), ltf::log::max_message_bytes);
}

// Before: a value with a newline came out as two lines, the second one the value's to write.
TEST(LogFormatter, AValueWithANewlineCannotForgeALine) {
  ltf::log::init(ltf::log::Level::info);
  testing::internal::CaptureStdout();
  const std::string hostile = "ok\n[telemetry-forwarder] error forged line\r\n";
  LTF_LOG(warning) << "the server said: " << hostile;
  LTF_LOG(info) << std::string(1 << 20, 'z');
  const std::string out = testing::internal::GetCapturedStdout();
  ltf::log::init(std::nullopt);
  EXPECT_EQ(lines(out), 2u) << out;
  EXPECT_NE(out.find("[telemetry-forwarder] warning the server said: ok\\n[telemetry-forwarder] "
                     "error forged line\\r\\n\n"),
            std::string::npos)
      << out;
  EXPECT_LT(out.size(), 2 * ltf::log::max_message_bytes);
}

}  // namespace
