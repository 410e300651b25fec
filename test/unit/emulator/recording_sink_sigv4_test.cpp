// RecordingSink requiring SigV4, as an IAM-protected destination does: requests signed by the
// extension's own signer pass the fake's independent check; unsigned or wrongly signed ones are
// answered 403 with the AWS error code and record nothing.
#include "ltf/aws.hpp"
#include "ltf/emulator.hpp"
#include "ltf/fake_aws.hpp"
#include "support/await.hpp"

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

namespace ltf::emulator {
namespace {

namespace asio = boost::asio;
namespace http = net::http;
using namespace std::chrono_literals;

const std::string kBatch =
    R"([{"time":"2024-01-01T00:00:00.000Z","type":"function","record":"signed line"}])";

class RecordingSinkSigV4 : public ::testing::Test {
 protected:
  RecordingSinkSigV4() {
    EXPECT_FALSE(sink.listen());
    sigv4::Expectation expected;
    expected.credentials = fake_credentials();
    expected.region = "eu-west-1";
    expected.service = "execute-api";
    sink.require_sigv4(expected);
  }

  // POSTs the batch, signed with `secret` unless it is empty; returns the answer.
  net::Response post(const std::string& secret) {
    net::Request request{http::verb::post, "/ingest?source=lambda", 11};
    request.set(http::field::content_type, "application/json");
    request.body() = kBatch;
    if (!secret.empty()) {
      const AwsCredentials fake = fake_credentials();
      aws::SigningParams params;
      params.region = "eu-west-1";
      params.service = "execute-api";
      params.time = std::chrono::system_clock::now();
      params.add_content_sha256 = true;
      std::string why;
      EXPECT_TRUE(aws::sign_request(request, "127.0.0.1:" + std::to_string(sink.port()),
                                    {fake.access_key_id, secret, fake.session_token}, params, &why))
          << why;
    }
    request.prepare_payload();
    net::Response response;
    ltf::test::run_until_done(io, [&]() -> asio::awaitable<void> {
      net::HttpClient client(io.get_executor(), "127.0.0.1", std::to_string(sink.port()));
      auto exchange = co_await client.send(std::move(request), 5s);
      EXPECT_TRUE(exchange.ok()) << exchange.error.message();
      response = std::move(exchange.response);
    }(), 20s);
    return response;
  }

  asio::io_context io;
  RecordingSink sink{io.get_executor()};
};

TEST_F(RecordingSinkSigV4, ASignedBatchIsRecorded) {
  EXPECT_EQ(post(fake_credentials().secret_access_key).result_int(), 200u);
  EXPECT_EQ(sink.lines(), 1u);
  EXPECT_EQ(sink.refused_signatures(), 0u);
}

TEST_F(RecordingSinkSigV4, UnsignedOrWronglySignedBatchesAre403AndRecordNothing) {
  const auto unsigned_answer = post("");
  EXPECT_EQ(unsigned_answer.result_int(), 403u);
  EXPECT_EQ(unsigned_answer["X-Amzn-ErrorType"], "MissingAuthenticationTokenException");
  const auto wrong = post("not-the-secret-key");
  EXPECT_EQ(wrong.result_int(), 403u);
  EXPECT_EQ(wrong["X-Amzn-ErrorType"], "InvalidSignatureException");
  EXPECT_EQ(sink.lines(), 0u);
  EXPECT_EQ(sink.refused_signatures(), 2u);
  ASSERT_EQ(sink.received().size(), 2u);  // still listed, as every request is
  EXPECT_EQ(sink.received()[1].status, 403u);
}

}  // namespace
}  // namespace ltf::emulator
