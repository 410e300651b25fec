// Header lists (LTF_HEADERS, LTF_OTLP_HEADERS): OTEL_EXPORTER_OTLP_HEADERS' syntax, percent-
// decoding, and every header checked so that no value can split a request or take over its
// framing; errors name the header, never its value.
#include "ltf/config.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using ltf::HttpHeaders;
using ltf::parse_header_list;

ltf::Environment base_env() {
  return {{"AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"}, {"DISPATCH_POST_URI", "http://127.0.0.1:8080/"}};
}

std::string why_not(std::string_view text) {
  std::string why;
  EXPECT_FALSE(parse_header_list(text, &why)) << text;
  return why;
}

TEST(HeaderList, NamesAndValuesAsOpenTelemetryWritesThem) {
  auto headers = parse_header_list("api-key=k1,X-Scope-OrgID=tenant-7");
  ASSERT_TRUE(headers);
  EXPECT_EQ(*headers, (HttpHeaders{{"api-key", "k1"}, {"X-Scope-OrgID", "tenant-7"}}));
}

TEST(HeaderList, ValuesArePercentDecodedAndAPlusStaysAPlus) {
  auto headers = parse_header_list("Authorization=Basic%20dXNlcjpw+YXNz%3D%3D,x-b=a%2Cb%3Dc");
  ASSERT_TRUE(headers);
  EXPECT_EQ(*headers,
            (HttpHeaders{{"Authorization", "Basic dXNlcjpw+YXNz=="}, {"x-b", "a,b=c"}}));
}

TEST(HeaderList, SpacesAroundMembersAreDroppedAndEmptyMembersSkipped) {
  auto headers = parse_header_list(" a = 1 ,\t,b=2=3;q , ");
  ASSERT_TRUE(headers);
  // The value is everything after the first '=', a ';' included (no Baggage properties here).
  EXPECT_EQ(*headers, (HttpHeaders{{"a", "1"}, {"b", "2=3;q"}}));
  EXPECT_EQ(parse_header_list("")->size(), 0u);
  EXPECT_EQ(parse_header_list("empty=")->front().value, "");
}

TEST(HeaderList, AMemberWithoutANameOrAnEqualsSignIsRefusedWithoutQuotingIt) {
  EXPECT_EQ(why_not("a=1,Bearer-s3cr3t"), "member 2 has no '=' (name=value)");
  EXPECT_EQ(why_not("=s3cr3t"), "member 1 has no name before '='");
  EXPECT_EQ(why_not("a=s3cr3t%2"), "member 1 has a '%' not followed by two hex digits");
  EXPECT_EQ(why_not("a=s3cr3t%zz"), "member 1 has a '%' not followed by two hex digits");
  EXPECT_EQ(why_not("a=%"), "member 1 has a '%' not followed by two hex digits");
}

TEST(HeaderList, CrLfOrNulInAValueCannotSplitTheRequest) {
  for (const char* text : {"a=x%0D%0AHost: evil", "a=x%0Ab", "a=x%00", "a=x%7F"}) {
    const std::string why = why_not(text);
    EXPECT_EQ(why, "header 1 (a) has a control character in its value (CR, LF, NUL, ...)") << text;
  }
  EXPECT_EQ(why_not(std::string("a=x\r\nb", 7)),
            "header 1 (a) has a control character in its value (CR, LF, NUL, ...)");
  EXPECT_EQ(parse_header_list("a=x%09y")->front().value, "x\ty");  // a tab is a legal value byte
}

TEST(HeaderList, ANameMustBeATokenAndIsNotQuotedWhenItIsNot) {
  for (const char* text : {"Authorization: Bearer s3cr3t=1", "a%0Ab=1", "a b=1", "caf%C3%A9=1",
                           "(x)=1"}) {
    const std::string why = why_not(text);
    EXPECT_NE(why.find("'s name is not a header name"), std::string::npos) << text;
    EXPECT_EQ(why.find("s3cr3t"), std::string::npos) << why;
  }
  EXPECT_TRUE(parse_header_list("x!#$&'*+-.^_`|~9=1"));
}

TEST(HeaderList, HeadersTheRequestFramingOwnsAreRefused) {
  for (const char* name : {"Host", "content-length", "Content-Type", "Transfer-Encoding",
                           "Content-Encoding", "Connection", "TE", "Upgrade", "Expect"}) {
    const std::string why = why_not(std::string(name) + "=x");
    EXPECT_NE(why.find("is set by the extension itself"), std::string::npos) << name;
  }
}

TEST(HeaderList, TheSameNameTwiceIsRefusedWhateverItsCase) {
  EXPECT_EQ(why_not("X-Key=1,x-key=2"), "header 2 (x-key) is given twice");
}

TEST(HeaderList, HugeListsAreRefusedWithinBounds) {
  std::string many;
  for (int i = 0; i < 1000; ++i) many += "h" + std::to_string(i) + "=v,";
  EXPECT_NE(why_not(many).find("at most 32 are allowed"), std::string::npos);
  const std::string long_value = "a=" + std::string(9000, 'v');
  EXPECT_NE(why_not(long_value).find("bytes of names and values, at most 8192"), std::string::npos);
  const std::string enormous = "a=" + std::string(10'000'000, 'v');
  EXPECT_NE(why_not(enormous).find("bytes long, at most 16384"), std::string::npos);
  std::string separators(100'000, ',');
  EXPECT_NE(why_not(separators).find("bytes long"), std::string::npos);
}

TEST(HeaderList, CheckHeadersAppliesTheSameRulesToHeadersFromElsewhere) {
  EXPECT_EQ(ltf::check_headers({{"X-Token", "t"}}), "");
  EXPECT_EQ(ltf::check_headers({{"", "t"}}), "header 1 has an empty name");
  EXPECT_NE(ltf::check_headers({{"X-Token", "a\nb"}}).find("control character"), std::string::npos);
}

TEST(HeadersConfig, LtfHeadersAndTheSecretAreRead) {
  auto env = base_env();
  env["LTF_HEADERS"] = "X-Api-Key=k%2B1, X-Tenant=t";
  env["LTF_HEADERS_SECRET"] = "intake-token";
  auto loaded = ltf::read_config(env);
  EXPECT_TRUE(loaded.errors.empty()) << ltf::describe(loaded.errors);
  EXPECT_EQ(loaded.config.http_headers, (HttpHeaders{{"X-Api-Key", "k+1"}, {"X-Tenant", "t"}}));
  EXPECT_EQ(loaded.config.headers_secret, "intake-token");
}

TEST(HeadersConfig, ABadListIsAnInitErrorThatNamesTheVariableNotTheValue) {
  auto env = base_env();
  env["LTF_HEADERS"] = "Authorization=Bearer%20s3cr3t%0A";
  const std::string errors = ltf::describe(ltf::read_config(env).errors);
  EXPECT_EQ(errors, "LTF_HEADERS header 1 (Authorization) has a control character in its value "
                    "(CR, LF, NUL, ...)");
}

TEST(HeadersConfig, HeadersForOpenSearchOrTwoSourcesOfAuthorizationAreRefused) {
  auto env = base_env();
  env.erase("DISPATCH_POST_URI");
  env["URL"] = "https://search.example.com";
  env["LTF_HEADERS"] = "a=b";
  env["LTF_HEADERS_SECRET"] = "s";
  std::string errors = ltf::describe(ltf::read_config(env).errors);
  EXPECT_NE(errors.find("LTF_HEADERS applies to DISPATCH_POST_URI"), std::string::npos) << errors;
  EXPECT_NE(errors.find("LTF_HEADERS_SECRET applies to DISPATCH_POST_URI"), std::string::npos);

  env = base_env();
  env["LTF_HEADERS"] = "authorization=Bearer x";
  env["AUTH_SECRET"] = "creds";
  errors = ltf::describe(ltf::read_config(env).errors);
  EXPECT_NE(errors.find("LTF_HEADERS sets Authorization and AUTH_SECRET"), std::string::npos) << errors;

  env = base_env();
  env["AUTH_SECRET"] = "creds";
  env["LTF_SIGV4_SERVICE"] = "execute-api";
  env["AWS_ACCESS_KEY_ID"] = "AKID";
  env["AWS_SECRET_ACCESS_KEY"] = "secret";
  env["AWS_REGION"] = "eu-west-1";
  errors = ltf::describe(ltf::read_config(env).errors);
  EXPECT_NE(errors.find("AUTH_SECRET asks for basic auth to DISPATCH_POST_URI"), std::string::npos)
      << errors;
}

TEST(HeadersConfig, AuthSecretBesideDispatchPostUriIsKept) {
  auto env = base_env();
  env["AUTH_SECRET"] = "intake-login";
  auto loaded = ltf::read_config(env);
  EXPECT_TRUE(loaded.errors.empty()) << ltf::describe(loaded.errors);
  EXPECT_EQ(loaded.config.opensearch_auth_secret, "intake-login");
}

}  // namespace
