// The pieces of the Secrets Manager client that need no network: deriving the AWS JSON 1.1 error
// code (the Smithy awsJson1_1 response cases in shared/specs/smithy-awsjson1_1/errors.smithy),
// reading GetSecretValue's answer, and turning a secret into basic-auth credentials. None of the
// error messages may quote a secret.
#include "ltf/secrets.hpp"

#include <boost/beast/http/status.hpp>
#include <gtest/gtest.h>

namespace {

namespace http = ltf::net::http;

ltf::net::Response response(std::string body, std::string error_type_header = {}) {
  ltf::net::Response r{http::status::bad_request, 11};
  if (!error_type_header.empty()) r.set("X-Amzn-Errortype", error_type_header);
  r.body() = std::move(body);
  return r;
}

TEST(AwsJsonErrorCode, FollowsTheSmithyAwsJson11Rules) {
  using ltf::aws::aws_json_error_code;
  // AwsJson11FooErrorUsingXAmznErrorType, ...WithUri, ...WithUriAndNamespace
  EXPECT_EQ(aws_json_error_code(response("", "FooError")), "FooError");
  EXPECT_EQ(aws_json_error_code(response(
                "", "FooError:http://internal.amazon.com/coral/com.amazon.coral.validate/")),
            "FooError");
  EXPECT_EQ(aws_json_error_code(response(
                "", "aws.protocoltests.json#FooError:http://internal.amazon.com/coral/"
                    "com.amazon.coral.validate/")),
            "FooError");
  // ...UsingCode, ...UsingCodeAndNamespace, ...UsingCodeUriAndNamespace
  EXPECT_EQ(aws_json_error_code(response(R"({"code":"FooError"})")), "FooError");
  EXPECT_EQ(aws_json_error_code(response(R"({"code":"aws.protocoltests.json#FooError"})")),
            "FooError");
  EXPECT_EQ(aws_json_error_code(response(
                R"({"code":"aws.protocoltests.json#FooError:http://internal.amazon.com/coral/com.amazon.coral.validate/"})")),
            "FooError");
  // ...WithDunderType, ...AndNamespace, ...AndDifferentNamespace, ...UriAndNamespace
  EXPECT_EQ(aws_json_error_code(response(R"({"__type":"FooError"})")), "FooError");
  EXPECT_EQ(aws_json_error_code(response(R"({"__type":"aws.protocoltests.json#FooError"})")),
            "FooError");
  EXPECT_EQ(aws_json_error_code(response(R"({"__type":"aws.different.namespace#FooError"})")),
            "FooError");
  EXPECT_EQ(aws_json_error_code(response(
                R"({"__type":"aws.protocoltests.json#FooError:http://internal.amazon.com/coral/com.amazon.coral.validate/"})")),
            "FooError");
  // The header wins over the body; "code" over "__type"; a nested __type is someone else's.
  EXPECT_EQ(aws_json_error_code(response(R"({"__type":"Other"})", "FooError")), "FooError");
  EXPECT_EQ(aws_json_error_code(response(R"({"__type":"Other","code":"FooError"})")), "FooError");
  EXPECT_EQ(aws_json_error_code(response(R"({"Nested":{"__type":"Inner"}})")), "");
  EXPECT_EQ(aws_json_error_code(response("<html>bad gateway</html>")), "");
}

TEST(ParseGetSecretValue, ReadsTheServicesAnswer) {
  std::string why;
  const auto secret = ltf::aws::parse_get_secret_value(
      R"({"ARN":"arn:aws:secretsmanager:us-east-1:123456789012:secret:os-AbCdEf","Name":"os",)"
      R"("VersionId":"v1","SecretString":"{\"username\":\"u\",\"password\":\"p\"}",)"
      R"("VersionStages":["AWSCURRENT"],"CreatedDate":1.523477145713E9})",
      &why);
  ASSERT_TRUE(secret) << why;
  EXPECT_EQ(secret->name, "os");
  EXPECT_EQ(secret->version_id, "v1");
  EXPECT_EQ(secret->string, R"({"username":"u","password":"p"})");
  EXPECT_FALSE(secret->is_binary());

  const auto binary = ltf::aws::parse_get_secret_value(R"({"Name":"b","SecretBinary":"AAEC"})");
  ASSERT_TRUE(binary);
  EXPECT_TRUE(binary->is_binary());
  EXPECT_EQ(binary->binary, "AAEC");
}

TEST(ParseGetSecretValue, SaysWhatIsWrongWithoutQuotingTheBody) {
  const std::string secret_text = "hunter2-very-secret";
  struct Case {
    std::string body;
    std::string expected;
  };
  const Case cases[] = {
      {"{\"SecretString\": \"" + secret_text, "not JSON"},
      {"[\"" + secret_text + "\"]", "not a JSON object"},
      {R"({"Name":"x"})", "neither SecretString nor SecretBinary"},
      {R"({"SecretString":42})", "\"SecretString\" is not a string"},
  };
  for (const Case& c : cases) {
    std::string why;
    EXPECT_FALSE(ltf::aws::parse_get_secret_value(c.body, &why)) << c.body;
    EXPECT_NE(why.find(c.expected), std::string::npos) << why;
    EXPECT_EQ(why.find(secret_text), std::string::npos) << why;
  }
}

TEST(BasicAuthSecret, GivesUsernamePasswordAndTheAuthorizationHeader) {
  std::string why;
  const auto auth =
      ltf::aws::parse_basic_auth_secret(R"({"username":"admin","password":"open sesame"})", &why);
  ASSERT_TRUE(auth) << why;
  EXPECT_EQ(auth->username, "admin");
  EXPECT_EQ(auth->password, "open sesame");
  EXPECT_EQ(auth->authorization(), "Basic YWRtaW46b3BlbiBzZXNhbWU=");  // base64("admin:open sesame")
}

TEST(BasicAuthSecret, NamesTheMissingOrBadKeyWithoutEchoingValues) {
  const std::string password = "S3cr3t-Passw0rd";
  struct Case {
    std::string secret;
    std::string expected;
  };
  const Case cases[] = {
      {R"({"username":"admin"})", "no \"password\" key"},
      {R"({"password":")" + password + R"("})", "no \"username\" key"},
      {R"({"username":"admin","password":7})", "\"password\" is not a string"},
      {R"({"username":"","password":")" + password + R"("})", "\"username\" is empty"},
      {R"({"username":"a:b","password":")" + password + R"("})", "contains ':'"},
      {password, "not JSON"},
      {R"([")" + password + R"("])", "not a JSON object"},
  };
  for (const Case& c : cases) {
    std::string why;
    EXPECT_FALSE(ltf::aws::parse_basic_auth_secret(c.secret, &why)) << c.expected;
    EXPECT_NE(why.find(c.expected), std::string::npos) << why;
    EXPECT_EQ(why.find(password), std::string::npos) << why;
  }
}

TEST(SecretError, DescribesCodeStatusAndMessageAndKnowsWhatIsWorthRetrying) {
  ltf::aws::SecretError refused{ltf::aws::SecretError::Kind::service, 400,
                                "ResourceNotFoundException",
                                "Secrets Manager can't find the specified secret."};
  EXPECT_EQ(refused.describe(),
            "the secret was refused: ResourceNotFoundException (HTTP 400): Secrets Manager can't "
            "find the specified secret.");
  EXPECT_FALSE(refused.retryable());
  ltf::aws::SecretError throttled{ltf::aws::SecretError::Kind::service, 400,
                                  "ThrottlingException", "Rate exceeded"};
  EXPECT_TRUE(throttled.retryable());
  ltf::aws::SecretError down{ltf::aws::SecretError::Kind::service, 503, "", "unavailable"};
  EXPECT_TRUE(down.retryable());
  ltf::aws::SecretError timeout{ltf::aws::SecretError::Kind::transport, 0, "", "timed out"};
  EXPECT_TRUE(timeout.retryable());
  ltf::aws::SecretError setup{ltf::aws::SecretError::Kind::setup, 0, "", "no credentials"};
  EXPECT_FALSE(setup.retryable());
}

// LTF_HEADERS_SECRET: a JSON object of header names to values.
TEST(HeaderSecret, AnObjectOfStringsGivesItsHeaders) {
  auto headers = ltf::aws::parse_header_secret(
      R"({"Authorization":"Bearer tok-91","X-Scope-OrgID":"tenant 7"})");
  ASSERT_TRUE(headers);
  EXPECT_EQ(*headers, (ltf::HttpHeaders{{"Authorization", "Bearer tok-91"},
                                        {"X-Scope-OrgID", "tenant 7"}}));
}

TEST(HeaderSecret, ASecretOfAnotherShapeIsRefusedWithoutQuotingIt) {
  const std::pair<const char*, const char*> cases[] = {
      {"Bearer tok-91", "the secret is not JSON"},
      {R"(["Bearer tok-91"])", "the secret is not a JSON object"},
      {R"("Bearer tok-91")", "the secret is not a JSON object"},
      {R"({})", "the secret is an empty object"},
      {R"({"Authorization":{"token":"tok-91"}})", "the secret's \"Authorization\" is not a string"},
      {R"({"Authorization":91})", "the secret's \"Authorization\" is not a string"},
      {R"({"Bearer tok-91":1})", "the secret's member is not a string"},
      {R"({"X-Token":"tok-91\r\nHost: evil"})", "the secret's header 1 (X-Token) has a control"},
      {R"({"Bad Name tok-91":"v"})", "the secret's header 1's name is not a header name"},
      {R"({"Content-Length":"0"})", "is set by the extension itself"},
      {R"({"x-a":"1","X-A":"2"})", "is given twice"},
  };
  for (const auto& [secret, expected] : cases) {
    std::string why;
    EXPECT_FALSE(ltf::aws::parse_header_secret(secret, &why)) << secret;
    EXPECT_NE(why.find(expected), std::string::npos) << secret << " -> " << why;
    EXPECT_EQ(why.find("tok-91"), std::string::npos) << why;
  }
}

TEST(HeaderSecret, AHugeSecretIsRefusedBeforeItIsParsed) {
  const std::string huge = R"({"X-Token":")" + std::string(64 * 1024, 'v') + R"("})";
  std::string why;
  EXPECT_FALSE(ltf::aws::parse_header_secret(huge, &why));
  EXPECT_NE(why.find("too large for headers"), std::string::npos) << why;
  const std::string deep = std::string(20000, '[') + std::string(20000, ']');
  EXPECT_FALSE(ltf::aws::parse_header_secret(deep, &why));
  const std::string big = R"({"X-Token":")" + std::string(9000, 'v') + R"("})";
  EXPECT_FALSE(ltf::aws::parse_header_secret(big, &why));
  EXPECT_NE(why.find("at most 8192"), std::string::npos) << why;
}

}  // namespace
