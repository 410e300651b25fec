// HttpSink with LTF_SIGV4_SERVICE: every request it sends passes the verification the fake AWS
// services use (aws::verify_signature), gzipped or not, and a sink without credentials says so.
#include "ltf/sinks.hpp"
#include "support/await.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/beast/http/field.hpp>
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using ltf::net::Request;
using ltf::net::Response;
using ltf::sinks::HttpSink;
using ltf::sinks::HttpSinkOptions;
using ltf::sinks::Outcome;
using namespace std::chrono_literals;

const ltf::aws::Credentials kCredentials{"ASIAEXAMPLEKEYID1234",
                                         "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                         "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN"};

std::vector<ltf::telemetry::Event> events() {
  std::vector<ltf::telemetry::Event> out(2);
  out[0].raw = R"({"time":"2024-01-01T00:00:00.000Z","type":"function","record":"one"})";
  out[1].raw = R"({"time":"2024-01-01T00:00:01.000Z","type":"function","record":"two"})";
  return out;
}

// An IAM-protected endpoint: 403 with the reason unless the signature verifies for `osis`.
struct SignedHttpSinkTest : ::testing::Test {
  SignedHttpSinkTest()
      : server(io.get_executor(), [this](Request& request) -> asio::awaitable<Response> {
          received.push_back(request);
          ltf::aws::VerifyParams params;
          params.region = "eu-west-1";
          params.service = "osis";
          params.require_content_sha256 = true;
          verdicts.push_back(ltf::aws::verify_signature(request, kCredentials, params));
          Response response{verdicts.back() ? http::status::ok : http::status::forbidden, 11};
          response.body() = verdicts.back().reason;
          co_return response;
        }) {}

  void SetUp() override {
    ASSERT_FALSE(server.listen({asio::ip::make_address("127.0.0.1"), 0}));
    server.start();
  }
  void TearDown() override { server.stop(); }

  HttpSinkOptions options(ltf::Compression compression, ltf::aws::Credentials credentials) {
    HttpSinkOptions o;
    o.timeout = 5s;
    o.compression = compression;
    ltf::aws::RequestSigner signer;
    signer.service = "osis";
    signer.credentials = ltf::aws::fixed_credentials({std::move(credentials), "eu-west-1"});
    o.sigv4 = std::move(signer);
    return o;
  }
  ltf::sinks::Delivery deliver(HttpSinkOptions o) {
    HttpSink sink(io.get_executor(),
                  {"http", "127.0.0.1", std::to_string(server.port()), "/log/ingest?x=a%20b"},
                  std::move(o));
    const auto batch = events();
    return ltf::test::run_until_done(io, sink.deliver(batch));
  }

  asio::io_context io;
  std::vector<Request> received;
  std::vector<ltf::aws::Verification> verdicts;
  ltf::net::HttpServer server;
};

TEST_F(SignedHttpSinkTest, PlainBodiesAreSignedSoTheServiceAcceptsThem) {
  const auto delivery = deliver(options(ltf::Compression::none, kCredentials));
  EXPECT_EQ(delivery.outcome, Outcome::delivered) << delivery.detail;
  ASSERT_EQ(verdicts.size(), 1u);
  EXPECT_TRUE(verdicts[0].ok) << verdicts[0].code << ": " << verdicts[0].reason;
  EXPECT_EQ(received[0][http::field::authorization].substr(0, 17), "AWS4-HMAC-SHA256 ");
}

TEST_F(SignedHttpSinkTest, GzipBodiesAreSignedAsSentCompressed) {
  const auto delivery = deliver(options(ltf::Compression::gzip, kCredentials));
  EXPECT_EQ(delivery.outcome, Outcome::delivered) << delivery.detail;
  ASSERT_EQ(verdicts.size(), 1u);
  EXPECT_TRUE(verdicts[0].ok) << verdicts[0].code << ": " << verdicts[0].reason;
  EXPECT_EQ(received[0][http::field::content_encoding], "gzip");
  // content-encoding is part of what was signed.
  EXPECT_NE(received[0][http::field::authorization].find("content-encoding;"), std::string::npos);
}

TEST_F(SignedHttpSinkTest, WrongCredentialsAreRefusedByTheVerifierAndKeptForLater) {
  auto wrong = kCredentials;
  wrong.secret_access_key = "another-secret";
  const auto delivery = deliver(options(ltf::Compression::none, wrong));
  EXPECT_EQ(delivery.outcome, Outcome::retry_later) << "credentials may be refreshed meanwhile";
  EXPECT_EQ(delivery.status, 403u);
  ASSERT_EQ(verdicts.size(), 1u);
  EXPECT_EQ(verdicts[0].code, "InvalidSignatureException");
}

TEST_F(SignedHttpSinkTest, WithoutCredentialsNothingIsSentAndTheBatchIsKept) {
  auto o = options(ltf::Compression::none, kCredentials);
  o.sigv4->credentials = [](std::string* why) -> std::optional<ltf::aws::AwsEnvironment> {
    *why = "AWS_ACCESS_KEY_ID is not set";
    return std::nullopt;
  };
  const auto delivery = deliver(std::move(o));
  EXPECT_EQ(delivery.outcome, Outcome::retry_later);
  EXPECT_NE(delivery.detail.find("AWS_ACCESS_KEY_ID"), std::string::npos) << delivery.detail;
  EXPECT_TRUE(received.empty());
}

TEST_F(SignedHttpSinkTest, MakeSinkSignsWithTheRolesCredentialsFromTheEnvironment) {
  const std::pair<const char*, std::string> variables[] = {
      {"AWS_ACCESS_KEY_ID", kCredentials.access_key_id},
      {"AWS_SECRET_ACCESS_KEY", kCredentials.secret_access_key},
      {"AWS_SESSION_TOKEN", kCredentials.session_token},
      {"AWS_REGION", "eu-west-1"}};
  for (const auto& [name, value] : variables) ::setenv(name, value.c_str(), 1);
  ltf::Config config;
  config.dispatch_post_uri = "http://127.0.0.1:" + std::to_string(server.port()) + "/log/ingest";
  config.sigv4_service = "osis";
  config.compression = ltf::Compression::gzip;
  const auto sink = ltf::sinks::make_sink(io.get_executor(), config);
  const auto batch = events();
  const auto delivery = ltf::test::run_until_done(io, sink->deliver(batch));
  for (const auto& [name, value] : variables) ::unsetenv(name);
  EXPECT_EQ(delivery.outcome, Outcome::delivered) << delivery.detail;
  ASSERT_EQ(verdicts.size(), 1u);
  EXPECT_TRUE(verdicts[0].ok) << verdicts[0].code << ": " << verdicts[0].reason;
}

}  // namespace
