// The aws module's own behaviour beyond the vectors: credentials from the environment, secrets
// kept out of messages, and sign_request() on a Beast request.
#include "ltf/aws.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace {

namespace http = ltf::net::http;
using namespace std::chrono;
using ltf::aws::Credentials;
using ltf::aws::SigningParams;

const std::string kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const std::string kToken = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN/+=EXAMPLE";

SigningParams es_params() {
  SigningParams p;
  p.region = "us-east-1";
  p.service = "es";
  p.time = sys_days{2015y / 8 / 30} + 12h + 36min;
  return p;
}

TEST(AwsEnvironment, ReadsLambdaCredentialsAndRegion) {
  const ltf::Environment env = {{"AWS_ACCESS_KEY_ID", "ASIAEXAMPLEKEYID1234"},
                                {"AWS_SECRET_ACCESS_KEY", kSecret},
                                {"AWS_SESSION_TOKEN", kToken},
                                {"AWS_REGION", "eu-west-3"},
                                {"AWS_DEFAULT_REGION", "us-west-2"}};
  const auto result = ltf::aws::aws_from_environment(env);
  ASSERT_TRUE(std::holds_alternative<ltf::aws::AwsEnvironment>(result));
  const auto& aws = std::get<ltf::aws::AwsEnvironment>(result);
  EXPECT_EQ(aws.credentials.access_key_id, "ASIAEXAMPLEKEYID1234");
  EXPECT_EQ(aws.credentials.secret_access_key, kSecret);
  EXPECT_EQ(aws.credentials.session_token, kToken);
  EXPECT_EQ(aws.region, "eu-west-3");  // AWS_REGION wins over AWS_DEFAULT_REGION
}

TEST(AwsEnvironment, FallsBackToDefaultRegionAndAllowsNoToken) {
  const ltf::Environment env = {{"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"},
                                {"AWS_SECRET_ACCESS_KEY", kSecret},
                                {"AWS_DEFAULT_REGION", "us-west-2"}};
  const auto result = ltf::aws::aws_from_environment(env);
  ASSERT_TRUE(std::holds_alternative<ltf::aws::AwsEnvironment>(result));
  EXPECT_EQ(std::get<ltf::aws::AwsEnvironment>(result).region, "us-west-2");
  EXPECT_TRUE(std::get<ltf::aws::AwsEnvironment>(result).credentials.session_token.empty());
}

TEST(AwsEnvironment, NamesEveryMissingVariableWithoutLeakingValues) {
  const ltf::Environment env = {{"AWS_SECRET_ACCESS_KEY", kSecret}, {"AWS_SESSION_TOKEN", kToken}};
  const auto result = ltf::aws::aws_from_environment(env);
  ASSERT_TRUE(std::holds_alternative<std::vector<ltf::ConfigError>>(result));
  const auto& errors = std::get<std::vector<ltf::ConfigError>>(result);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].variable, "AWS_ACCESS_KEY_ID");
  EXPECT_EQ(errors[1].variable, "AWS_REGION");
  const std::string text = ltf::describe(errors);
  EXPECT_EQ(text.find(kSecret), std::string::npos);
  EXPECT_EQ(text.find(kToken), std::string::npos);
}

TEST(Credentials, DescribeNeverShowsTheSecretOrTheToken) {
  const Credentials credentials{"ASIAEXAMPLEKEYID1234", kSecret, kToken};
  const std::string text = credentials.describe();
  EXPECT_EQ(text.find(kSecret), std::string::npos);
  EXPECT_EQ(text.find(kToken), std::string::npos);
  EXPECT_EQ(text.find("ASIAEXAMPLEKEYID1234"), std::string::npos);
  EXPECT_NE(text.find("1234"), std::string::npos);  // enough to tell two roles apart
  EXPECT_NE(text.find("session token present"), std::string::npos);
  EXPECT_NE(Credentials{}.describe().find("session token absent"), std::string::npos);
}

TEST(UriEncode, KeepsOnlyUnreservedAndUsesUppercaseHex) {
  EXPECT_EQ(ltf::aws::uri_encode("AZaz09-._~", false), "AZaz09-._~");
  EXPECT_EQ(ltf::aws::uri_encode("a b+c/d", false), "a%20b%2Bc%2Fd");
  EXPECT_EQ(ltf::aws::uri_encode("a b/c", true), "a%20b/c");
  EXPECT_EQ(ltf::aws::uri_encode("\xe1\x88\xb4", false), "%E1%88%B4");
}

TEST(Sha256, EmptyInputHasTheWellKnownHash) {
  EXPECT_EQ(ltf::aws::sha256_hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

ltf::net::Request bulk_request() {
  ltf::net::Request request{http::verb::post, "/_bulk?refresh=false", 11};
  request.set(http::field::content_type, "application/x-ndjson");
  request.set(http::field::user_agent, "telemetry-forwarder/0.1");
  request.set(http::field::content_length, "2");
  request.body() = "{}";
  return request;
}

TEST(SignRequest, SetsHostAndSigningHeadersAndSignsOnlyWhatShouldBe) {
  ltf::net::Request request = bulk_request();
  const Credentials credentials{"AKIDEXAMPLE", kSecret, kToken};
  SigningParams params = es_params();
  params.service = "aoss";
  const auto signature =
      ltf::aws::sign_request(request, "abc.us-east-1.aoss.amazonaws.com", credentials, params);
  ASSERT_TRUE(signature);
  EXPECT_EQ(request[http::field::host], "abc.us-east-1.aoss.amazonaws.com");
  EXPECT_EQ(request["X-Amz-Date"], "20150830T123600Z");
  EXPECT_EQ(request["X-Amz-Security-Token"], kToken);
  EXPECT_EQ(request["X-Amz-Content-Sha256"], "");  // only when asked
  EXPECT_EQ(request[http::field::authorization], signature->authorization);
  EXPECT_EQ(signature->signed_headers, "content-type;host;x-amz-date;x-amz-security-token");
  EXPECT_NE(signature->canonical_request.find("\n/_bulk\nrefresh=false\n"), std::string::npos);
}

TEST(SignRequest, AddsContentSha256WhenAsked) {
  ltf::net::Request request = bulk_request();
  SigningParams params = es_params();
  params.service = "aoss";
  params.add_content_sha256 = true;
  const auto signature = ltf::aws::sign_request(request, "abc.us-east-1.aoss.amazonaws.com",
                                                {"AKID", kSecret, ""}, params);
  ASSERT_TRUE(signature);
  EXPECT_EQ(request["X-Amz-Content-Sha256"], ltf::aws::sha256_hex("{}"));
  EXPECT_EQ(signature->signed_headers, "content-type;host;x-amz-content-sha256;x-amz-date");
  EXPECT_EQ(request.count("X-Amz-Security-Token"), 0u);
}

TEST(SignRequest, ResigningARetriedRequestGivesTheSameSignature) {
  // A retry re-signs a request that already carries the previous attempt's headers: they must
  // be replaced, not signed.
  ltf::net::Request request = bulk_request();
  const Credentials credentials{"AKIDEXAMPLE", kSecret, kToken};
  SigningParams params = es_params();
  params.add_content_sha256 = true;
  const auto first = ltf::aws::sign_request(request, "h.example.com", credentials, params);
  const auto second = ltf::aws::sign_request(request, "h.example.com", credentials, params);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->canonical_request, second->canonical_request);
  EXPECT_EQ(request.count(http::field::authorization), 1u);
  EXPECT_EQ(request.count("X-Amz-Date"), 1u);
  EXPECT_EQ(request.count("X-Amz-Security-Token"), 1u);
  EXPECT_EQ(request.count("X-Amz-Content-Sha256"), 1u);
}

TEST(SignRequest, RefusesATargetThatIsNotAPath) {
  ltf::net::Request request{http::verb::get, "not a path", 11};
  std::string why;
  EXPECT_FALSE(ltf::aws::sign_request(request, "h", {"AKID", kSecret, ""}, es_params(), &why));
  EXPECT_FALSE(why.empty());
  EXPECT_EQ(request.count(http::field::authorization), 0u);
}

TEST(Sign, PrecomputedPayloadHashIsUsedInsteadOfThePayload) {
  ltf::aws::SigningRequest request;
  request.method = "PUT";
  request.path = "/idx";
  request.headers = {{"Host", "h"}};
  request.payload = "ignored";
  request.payload_hash = ltf::aws::sha256_hex("actual body");
  const auto signature = ltf::aws::sign(request, {"AKID", kSecret, ""}, es_params());
  EXPECT_TRUE(signature.canonical_request.ends_with("\n" + *request.payload_hash));
}

TEST(Sign, PathIsEncodedOnceMoreAndNormalisedUnlessS3Style) {
  ltf::aws::SigningRequest request;
  request.method = "GET";
  request.path = "/a%2Fb/./c//d";
  request.headers = {{"Host", "h"}};
  auto line = [&](const SigningParams& p) {
    const std::string cr = ltf::aws::sign(request, {"AKID", kSecret, ""}, p).canonical_request;
    return cr.substr(cr.find('\n') + 1, cr.find('\n', cr.find('\n') + 1) - cr.find('\n') - 1);
  };
  EXPECT_EQ(line(es_params()), "/a%252Fb/c/d");
  SigningParams s3 = es_params();
  s3.normalize_path = false;
  s3.encode_path = false;
  EXPECT_EQ(line(s3), "/a%2Fb/./c//d");
}

}  // namespace
