// Inputs the fuzzers (fuzz/) found that broke net's parsers, each kept as the test it became.
// Each was a crash found by fuzzing, and is fixed.
#include "ltf/net.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

// fuzz_url, first input: "http:" then the byte 0xE4 (not UTF-8, not a URL character) trips
// Boost.URL's assertion `nseg == 0' in detail/path.hpp (debug builds abort; release builds go on
// with an inconsistent url_view). To be fixed in src/net/url.cpp (helper dns): refuse bytes a URL
// cannot hold before Boost.URL sees them.
TEST(NetFuzzRegressions, UrlWithANonAsciiByteAfterTheSchemeIsRefusedNotAsserted) {
  std::string why;
  EXPECT_FALSE(ltf::net::parse_http_url("http:\xe4", &why));
  EXPECT_FALSE(why.empty());
}

}  // namespace

namespace {

// fuzz_url: a scheme, a colon and "]" ("txl:]") tripped Boost.URL 1.81's assertion `nseg == 0` in
// detail/path.hpp (debug builds). Only http(s):// text reaches Boost.URL now.
TEST(NetFuzzRegressions, ASchemeWithoutAuthorityIsRefusedBeforeBoostUrl) {
  std::string why;
  EXPECT_FALSE(ltf::parse_http_url("txl:]", &why));
  EXPECT_FALSE(ltf::parse_http_url("http:]", &why));
  EXPECT_FALSE(ltf::parse_http_url("x://]", &why));
  EXPECT_TRUE(ltf::parse_http_url("HTTP://h/"));
}

}  // namespace
