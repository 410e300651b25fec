// verify_signature(): what the fake services accept is exactly what a correct signer produces,
// and each way a request can be wrong is refused with the code AWS would answer.
#include "ltf/aws.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <gtest/gtest.h>

#include <chrono>

namespace {

namespace http = ltf::net::http;
using namespace std::chrono;
using ltf::aws::Credentials;
using ltf::aws::VerifyParams;

const Credentials kCredentials{"ASIAEXAMPLEKEYID1234", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                               "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN/+=EXAMPLE"};
const auto kNow = sys_days{2024y / 3 / 14} + 9h + 26min + 53s;

ltf::aws::SigningParams signing(bool content_sha256 = false) {
  ltf::aws::SigningParams p;
  p.region = "eu-west-1";
  p.service = "secretsmanager";
  p.time = kNow;
  p.add_content_sha256 = content_sha256;
  return p;
}

VerifyParams verifying() {
  VerifyParams p;
  p.region = "eu-west-1";
  p.service = "secretsmanager";
  p.now = kNow + 30s;
  return p;
}

ltf::net::Request signed_request(const Credentials& credentials = kCredentials,
                                 bool content_sha256 = false, std::string body = "{\"SecretId\":\"s\"}") {
  ltf::net::Request request{http::verb::post, "/?a=b%20c", 11};
  request.set(http::field::content_type, "application/x-amz-json-1.1");
  request.set("X-Amz-Target", "secretsmanager.GetSecretValue");
  request.set(http::field::user_agent, "test");  // sent, never signed
  request.body() = std::move(body);
  request.prepare_payload();
  EXPECT_TRUE(ltf::aws::sign_request(request, "localhost:4566", credentials,
                                     signing(content_sha256)));
  return request;
}

TEST(VerifySignature, AcceptsWhatSignRequestProduced) {
  const auto result = ltf::aws::verify_signature(signed_request(), kCredentials, verifying());
  EXPECT_TRUE(result.ok) << result.code << ": " << result.reason;
}

TEST(VerifySignature, AcceptsAGzipBodyWithContentSha256) {
  const std::string gzipped = ltf::net::gzip("[{\"a\":1}]");
  auto request = signed_request(kCredentials, true, gzipped);
  auto params = verifying();
  params.require_content_sha256 = true;
  const auto result = ltf::aws::verify_signature(request, kCredentials, params);
  EXPECT_TRUE(result.ok) << result.code << ": " << result.reason;
}

TEST(VerifySignature, RefusesAWrongSecretKey) {
  Credentials wrong = kCredentials;
  wrong.secret_access_key = "not-the-secret";
  const auto result = ltf::aws::verify_signature(signed_request(wrong), kCredentials, verifying());
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.code, "InvalidSignatureException");
  EXPECT_EQ(result.reason.find(kCredentials.secret_access_key), std::string::npos);
}

TEST(VerifySignature, RefusesAnUnknownKeyIdOrToken) {
  Credentials other_key = kCredentials;
  other_key.access_key_id = "ASIAOTHERKEYID000000";
  EXPECT_EQ(ltf::aws::verify_signature(signed_request(other_key), kCredentials, verifying()).code,
            "UnrecognizedClientException");
  Credentials other_token = kCredentials;
  other_token.session_token = "another-token";
  const auto result =
      ltf::aws::verify_signature(signed_request(other_token), kCredentials, verifying());
  EXPECT_EQ(result.code, "UnrecognizedClientException");
  EXPECT_EQ(result.reason.find("another-token"), std::string::npos);
}

TEST(VerifySignature, RefusesAChangedBodyHeaderOrTarget) {
  auto body = signed_request();
  body.body() = "{\"SecretId\":\"other\"}";
  EXPECT_EQ(ltf::aws::verify_signature(body, kCredentials, verifying()).code,
            "InvalidSignatureException");
  auto target = signed_request();
  target.set("X-Amz-Target", "secretsmanager.DeleteSecret");
  EXPECT_EQ(ltf::aws::verify_signature(target, kCredentials, verifying()).code,
            "InvalidSignatureException");
  auto query = signed_request();
  query.target("/?a=b");
  EXPECT_EQ(ltf::aws::verify_signature(query, kCredentials, verifying()).code,
            "InvalidSignatureException");
}

TEST(VerifySignature, RefusesAContentSha256ThatDoesNotMatchTheBody) {
  auto request = signed_request(kCredentials, true);
  request.body() = "tampered";
  const auto result = ltf::aws::verify_signature(request, kCredentials, verifying());
  EXPECT_EQ(result.code, "InvalidSignatureException");
  EXPECT_NE(result.reason.find("x-amz-content-sha256"), std::string::npos);
}

TEST(VerifySignature, RequiresContentSha256WhenTheServiceDoes) {
  auto params = verifying();
  params.require_content_sha256 = true;
  EXPECT_EQ(ltf::aws::verify_signature(signed_request(), kCredentials, params).code,
            "IncompleteSignatureException");
}

TEST(VerifySignature, RefusesTheWrongScopeOrAStaleDate) {
  auto params = verifying();
  params.region = "us-east-1";
  EXPECT_EQ(ltf::aws::verify_signature(signed_request(), kCredentials, params).code,
            "InvalidSignatureException");
  params = verifying();
  params.service = "es";
  EXPECT_EQ(ltf::aws::verify_signature(signed_request(), kCredentials, params).code,
            "InvalidSignatureException");
  params = verifying();
  params.now = kNow + 6min;
  const auto stale = ltf::aws::verify_signature(signed_request(), kCredentials, params);
  EXPECT_EQ(stale.code, "InvalidSignatureException");
  EXPECT_NE(stale.reason.find("X-Amz-Date"), std::string::npos);
}

TEST(VerifySignature, RefusesUnsignedAndMalformedRequests) {
  auto unsigned_request = signed_request();
  unsigned_request.erase(http::field::authorization);
  EXPECT_EQ(ltf::aws::verify_signature(unsigned_request, kCredentials, verifying()).code,
            "MissingAuthenticationTokenException");

  auto garbled = signed_request();
  garbled.set(http::field::authorization, "AWS4-HMAC-SHA256 Credential=ASIA/x, Signature=00");
  EXPECT_EQ(ltf::aws::verify_signature(garbled, kCredentials, verifying()).code,
            "IncompleteSignatureException");

  auto token_unsigned = signed_request(Credentials{kCredentials.access_key_id,
                                                   kCredentials.secret_access_key, ""});
  token_unsigned.set("X-Amz-Security-Token", kCredentials.session_token);
  const auto result = ltf::aws::verify_signature(token_unsigned, kCredentials, verifying());
  EXPECT_EQ(result.code, "IncompleteSignatureException");
  EXPECT_NE(result.reason.find("x-amz-security-token"), std::string::npos);
}

TEST(RequestSigner, SignsWithTheProvidersCredentialsAndSaysWhyNot) {
  ltf::aws::RequestSigner signer;
  signer.service = "osis";
  signer.credentials = ltf::aws::fixed_credentials({kCredentials, "eu-west-1"});
  ltf::net::Request request{http::verb::post, "/log/ingest", 11};
  request.body() = "[]";
  ASSERT_FALSE(signer.sign(request, "pipe.eu-west-1.osis.amazonaws.com"));
  auto params = verifying();
  params.service = "osis";
  params.now = system_clock::now();
  params.require_content_sha256 = true;
  const auto result = ltf::aws::verify_signature(request, kCredentials, params);
  EXPECT_TRUE(result.ok) << result.code << ": " << result.reason;

  ltf::aws::RequestSigner broken;
  broken.service = "osis";
  broken.credentials = [](std::string* why) -> std::optional<ltf::aws::AwsEnvironment> {
    *why = "AWS_ACCESS_KEY_ID: is not set";
    return std::nullopt;
  };
  const auto why = broken.sign(request, "host");
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("AWS_ACCESS_KEY_ID"), std::string::npos);
}

TEST(HostHeader, MatchesWhatHttpClientSends) {
  EXPECT_EQ(ltf::aws::host_header({"https", "example.com", "443", "/"}), "example.com");
  EXPECT_EQ(ltf::aws::host_header({"http", "127.0.0.1", "8080", "/"}), "127.0.0.1:8080");
  EXPECT_EQ(ltf::aws::host_header({"http", "::1", "80", "/"}), "[::1]");
}

}  // namespace
