// net::gunzip: what a server accepting Content-Encoding: gzip bodies needs from it.
#include "ltf/net.hpp"

#include <gtest/gtest.h>

namespace {

using ltf::net::gunzip;
using ltf::net::gzip;
using Status = ltf::net::Inflated::Status;

std::string telemetry_text(int lines) {
  std::string text;
  for (int i = 0; i < lines; ++i)
    text += R"({"create":{"_index":"lambda-function","_id":")" + std::to_string(i) + "\"}}\n";
  return text;
}

TEST(Gunzip, InflatesWhatGzipProduced) {
  const auto text = telemetry_text(5000);  // several 64 KiB output chunks
  const auto inflated = gunzip(gzip(text), text.size());
  ASSERT_TRUE(inflated.ok());
  EXPECT_EQ(inflated.data, text);
  const auto empty = gunzip(gzip(""), 0);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty.data, "");
}

TEST(Gunzip, InflatesConcatenatedMembersAsOneBody) {
  const auto inflated = gunzip(gzip("first\n") + gzip("second\n", 9), 1024);
  ASSERT_TRUE(inflated.ok());
  EXPECT_EQ(inflated.data, "first\nsecond\n");
}

TEST(Gunzip, RefusesOutputBeyondTheLimit) {
  const auto text = telemetry_text(1000);
  EXPECT_EQ(gunzip(gzip(text), text.size() - 1).status, Status::too_large);
  EXPECT_TRUE(gunzip(gzip(text), text.size() - 1).data.empty());
  EXPECT_TRUE(gunzip(gzip(text), text.size()).ok());
}

TEST(Gunzip, RefusesWhatIsNotACompleteGzipStream) {
  const auto packed = gzip(telemetry_text(100));
  EXPECT_EQ(gunzip("plain text, not gzip", 1 << 20).status, Status::invalid);
  EXPECT_EQ(gunzip("", 1 << 20).status, Status::invalid);
  EXPECT_EQ(gunzip(packed.substr(0, packed.size() / 2), 1 << 20).status, Status::invalid);
  auto corrupt = packed;
  corrupt[corrupt.size() - 5] ^= 0x55;  // inside the CRC-32 trailer
  EXPECT_EQ(gunzip(corrupt, 1 << 20).status, Status::invalid);
  EXPECT_EQ(gunzip(packed + "trailing junk", 1 << 20).status, Status::invalid);
}

}  // namespace
