// Inputs the fuzzers (fuzz/) found that broke configuration loading, each kept as its test.
// Each was a crash found by fuzzing, and is fixed.
#include "ltf/config.hpp"

#include <gtest/gtest.h>

#include <variant>

namespace {

// fuzz_config: URL=LTF:<byte 0xC9> reached Boost.URL's assertion `nseg == 0' (detail/path.hpp)
// through net::parse_http_url; debug builds abort in load_config. The same root as
// NetFuzzRegressions.UrlWithANonAsciiByteAfterTheSchemeIsRefusedNotAsserted: fixed in
// src/net/url.cpp (helper dns), after which this reports a bad URL instead.
TEST(ConfigFuzzRegressions, UrlWithANonAsciiByteIsAConfigErrorNotACrash) {
  const ltf::Environment env{{"AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"}, {"URL", "LTF:\xc9"}};
  const auto loaded = ltf::load_config(env);
  const auto* errors = std::get_if<std::vector<ltf::ConfigError>>(&loaded);
  ASSERT_NE(errors, nullptr);
  ASSERT_FALSE(errors->empty());
  EXPECT_EQ(errors->front().variable, "URL");
}

}  // namespace
