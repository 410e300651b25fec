// parse_http_url: what a destination URL may be, and errors that say what to fix.
#include "ltf/url.hpp"

#include <gtest/gtest.h>

namespace ltf {
namespace {

std::string why_not(std::string_view text) {
  std::string why;
  EXPECT_FALSE(parse_http_url(text, &why)) << text;
  return why;
}

TEST(Url, TakesAnAbsoluteHttpsUrlApart) {
  auto url = parse_http_url("https://logs.example.com/ingest?x=1");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->scheme, "https");
  EXPECT_EQ(url->host, "logs.example.com");
  EXPECT_EQ(url->port, "443");
  EXPECT_EQ(url->target, "/ingest?x=1");
}

TEST(Url, FillsInThePortAndTheRootTarget) {
  auto url = parse_http_url("http://127.0.0.1:8080");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->port, "8080");
  EXPECT_EQ(url->target, "/");
  EXPECT_EQ(parse_http_url("http://h")->port, "80");
}

TEST(Url, APortAbove65535IsRefusedNotWrapped) {
  // Boost.URL's 16-bit port number would turn 83616 into 18080.
  EXPECT_NE(why_not("http://127.0.0.1:83616/").find("1-65535"), std::string::npos);
  EXPECT_NE(why_not("http://127.0.0.1:0/").find("1-65535"), std::string::npos);
  EXPECT_EQ(parse_http_url("http://127.0.0.1:65535/")->port, "65535");
}

TEST(Url, ErrorsSayWhatToFixNotBoostsWords) {
  const auto not_url = why_not("not a url");
  EXPECT_EQ(not_url.find("mismatch"), std::string::npos);
  EXPECT_NE(not_url.find("https://"), std::string::npos);
  EXPECT_EQ(why_not("logs.example.com/x").find("mismatch"), std::string::npos);
  EXPECT_NE(why_not("ftp://x/").find("http:// or https://"), std::string::npos);
  EXPECT_NE(why_not("http://user:secret@host/").find("credentials"), std::string::npos);
  EXPECT_NE(why_not("").find("empty"), std::string::npos);
}

TEST(Url, TextThatIsNotPrintableAsciiIsRefusedBeforeParsing) {
  EXPECT_NE(why_not("http://h\xff\xfe/x").find("non-ASCII"), std::string::npos);
  EXPECT_NE(why_not("http://h\xc3\xa9.example/").find("non-ASCII"), std::string::npos);
  EXPECT_FALSE(parse_http_url("http://h/a b"));
  EXPECT_FALSE(parse_http_url("http://h/\nX-Forged: 1"));
}

TEST(Url, CredentialsNeverAppearInTheError) {
  EXPECT_EQ(why_not("http://user:hunter2@host/").find("hunter2"), std::string::npos);
}

}  // namespace
}  // namespace ltf
