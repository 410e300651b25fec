// FakeOpenSearch failing on purpose (item rejections, status faults, refused and hung requests)
// and refusing clients (basic auth; SigV4 signed by the extension's own signer and checked by the
// fake's independent verifier).
#include "fake_opensearch_fixture.hpp"
#include "ltf/aws.hpp"

namespace ltf::emulator {
namespace {

using namespace ostest;

// --- faults

TEST_F(FakeOpenSearchTest, ItemRejectionRateAnswers429ToThatShareReproducibly) {
  std::string body;
  for (int i = 0; i < 200; ++i)
    body += R"({"create":{"_index":"logs","_id":")" + std::to_string(i) + "\"}}\n{}\n";
  auto rejected_ids = [&](FakeOpenSearch& fake) {
    fake.set_item_rejection_rate(0.3);
    const auto answer = call(request(http::verb::post, "/_bulk", body));
    std::set<std::string> ids;
    for (const auto& entry : answer.body.at("items").as_array()) {
      const auto& result = entry.at("create");
      if (result.at("status") != 429) continue;
      EXPECT_EQ(result.at("error").at("type"), "rejected_execution_exception");
      ids.insert(std::string(result.at("_id").as_string()));
    }
    EXPECT_EQ(answer.body.at("errors"), !ids.empty());
    return ids;
  };
  const auto first = rejected_ids(*os);
  EXPECT_GT(first.size(), 30u);   // 0.3 of 200 is 60; the seeded draws give about that
  EXPECT_LT(first.size(), 90u);
  EXPECT_EQ(os->document_count("logs"), 200 - first.size());
  EXPECT_EQ(os->counters().rejected_items, first.size());
  for (const auto& id : first) EXPECT_FALSE(os->document("logs", id));

  start({});  // same default seed: the same items are rejected
  EXPECT_EQ(rejected_ids(*os), first);
}

TEST_F(FakeOpenSearchTest, StatusFaultAnswersWithRetryAfterForTheGivenNumberOfRequests) {
  os->set_fault(OpenSearchFault::status_code(429, 7, 2));
  const std::string body = R"({"create":{"_index":"logs","_id":"r"}})" "\n{}\n";
  for (int i = 0; i < 2; ++i) {
    const auto answer = bulk(body);
    EXPECT_EQ(answer.status, 429u);
    EXPECT_EQ(answer.response[http::field::retry_after], "7");
    EXPECT_EQ(error_type(answer), "rejected_execution_exception");
    EXPECT_EQ(answer.body.at("status"), 429);
  }
  EXPECT_EQ(os->document_count(), 0u);
  EXPECT_EQ(bulk(body).status, 200u);
  EXPECT_EQ(os->fault().kind, OpenSearchFault::Kind::ok);

  os->set_fault(OpenSearchFault::status_code(503));
  EXPECT_EQ(bulk(body).status, 503u);
  EXPECT_EQ(bulk(body).status, 503u);
  EXPECT_EQ(os->counters().faulted, 4u);
}

TEST_F(FakeOpenSearchTest, RefuseClosesThePortAndOkReopensTheSamePort) {
  const auto port = os->port();
  os->set_fault(OpenSearchFault::refuse());
  ltf::test::run_until_done(io, [&]() -> asio::awaitable<void> {
    auto refused = co_await send(request(http::verb::get, "/"));
    EXPECT_EQ(refused.error, asio::error::connection_refused);
  }());
  os->set_fault(OpenSearchFault::ok());
  EXPECT_EQ(os->port(), port);
  EXPECT_EQ(call(request(http::verb::get, "/", "", "")).status, 200u);
  EXPECT_EQ(os->counters().requests, 1u);
}

TEST_F(FakeOpenSearchTest, StoreThenHangKeepsTheDocumentsButNeverAnswers) {
  os->set_fault(OpenSearchFault::store_then_hang(1));
  const std::string body = R"({"create":{"_index":"logs","_id":"amb"}})" "\n{}\n";
  ltf::test::run_until_done(io, [&]() -> asio::awaitable<void> {
    // The client gives up; the outcome is ambiguous to it, but the server did store.
    auto exchange = co_await send(request(http::verb::post, "/_bulk", body), 300ms);
    EXPECT_FALSE(exchange.ok());
  }());
  EXPECT_EQ(os->document_count("logs"), 1u);
  EXPECT_EQ(os->received().back().status, 0u);
  const auto retry = bulk(body);  // the retry with the same id is a 409, not a duplicate
  EXPECT_EQ(item(retry, 0, "create").at("status"), 409);
  EXPECT_EQ(os->document_count("logs"), 1u);
}

TEST_F(FakeOpenSearchTest, HangNeverAnswersAndStoresNothing) {
  os->set_fault(OpenSearchFault::hang());
  ltf::test::run_until_done(io, [&]() -> asio::awaitable<void> {
    auto exchange = co_await send(
        request(http::verb::post, "/_bulk", R"({"create":{"_index":"logs"}})" "\n{}\n"), 300ms);
    EXPECT_FALSE(exchange.ok());
    EXPECT_TRUE(co_await os->wait_for_requests(1));
  }());
  EXPECT_EQ(os->document_count(), 0u);
  EXPECT_EQ(os->counters().faulted, 1u);
}

// --- auth

TEST_F(FakeOpenSearchTest, BasicAuthRefusesMissingAndWrongCredentialsWith401) {
  FakeOpenSearchOptions options;
  options.auth = OpenSearchAuth::basic("admin", "s3cret:with-colon");
  start(options);
  const std::string body = R"({"create":{"_index":"logs","_id":"1"}})" "\n{}\n";
  const auto missing = bulk(body);
  EXPECT_EQ(missing.status, 401u);
  EXPECT_EQ(missing.response[http::field::www_authenticate], R"(Basic realm="OpenSearch Security")");
  EXPECT_EQ(missing.response.body(), "Unauthorized");

  auto wrong = request(http::verb::post, "/_bulk", body);
  wrong.set(http::field::authorization, "Basic " + base64("admin:guess"));
  EXPECT_EQ(call(std::move(wrong)).status, 401u);
  auto garbage = request(http::verb::post, "/_bulk", body);
  garbage.set(http::field::authorization, "Basic !!!not-base64");
  EXPECT_EQ(call(std::move(garbage)).status, 401u);
  EXPECT_EQ(os->document_count(), 0u);

  auto right = request(http::verb::post, "/_bulk", body);
  right.set(http::field::authorization, "Basic " + base64("admin:s3cret:with-colon"));
  EXPECT_EQ(call(std::move(right)).status, 200u);
  EXPECT_EQ(os->document_count(), 1u);
  EXPECT_EQ(os->counters().auth_failures, 3u);
  EXPECT_TRUE(os->received().back().authorization);
}

class FakeOpenSearchSigV4Test : public FakeOpenSearchTest {
 protected:
  const aws::Credentials credentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                     "session-token-example"};

  void start_signed(const std::string& service) {
    FakeOpenSearchOptions options;
    options.auth = OpenSearchAuth::sigv4(service, "eu-west-1", credentials.access_key_id,
                                         credentials.secret_access_key, credentials.session_token);
    start(options);
  }
  net::Request signed_bulk(const std::string& body, const std::string& service, bool content_sha256,
                           const aws::Credentials& with, bool gzip = false) {
    auto r = request(http::verb::post, "/logs/_bulk?refresh=false", gzip ? net::gzip(body) : body);
    if (gzip) r.set(http::field::content_encoding, "gzip");
    aws::SigningParams params;
    params.region = "eu-west-1";
    params.service = service;
    params.time = std::chrono::system_clock::now();
    params.add_content_sha256 = content_sha256;
    std::string why;
    EXPECT_TRUE(aws::sign_request(r, "127.0.0.1:" + std::to_string(os->port()), with, params, &why))
        << why;
    r.prepare_payload();
    return r;
  }
};

TEST_F(FakeOpenSearchSigV4Test, SignedRequestsAreAcceptedGzipIncluded) {
  start_signed("es");
  const std::string body = R"({"create":{"_id":"s1"}})" "\n" R"({"signed":true})" "\n";
  EXPECT_EQ(call(signed_bulk(body, "es", false, credentials)).status, 200u);
  const std::string packed = R"({"create":{"_id":"s2"}})" "\n" R"({"signed":"gzip"})" "\n";
  EXPECT_EQ(call(signed_bulk(packed, "es", true, credentials, true)).status, 200u);
  EXPECT_EQ(os->document_count("logs"), 2u);
  EXPECT_EQ(os->counters().auth_failures, 0u);
}

TEST_F(FakeOpenSearchSigV4Test, UnsignedTamperedOrForeignSignaturesAre403) {
  start_signed("es");
  const std::string body = R"({"create":{"_id":"s1"}})" "\n{}\n";

  const auto unsigned_request = bulk(body, "/logs/_bulk");
  EXPECT_EQ(unsigned_request.status, 403u);
  EXPECT_EQ(unsigned_request.response["X-Amzn-ErrorType"], "MissingAuthenticationTokenException");
  EXPECT_TRUE(unsigned_request.body.at("message").is_string());

  auto tampered = signed_bulk(body, "es", false, credentials);
  tampered.body() = R"({"create":{"_id":"s9"}})" "\n{}\n";  // same length, other bytes
  const auto refused = call(std::move(tampered));
  EXPECT_EQ(refused.status, 403u);
  EXPECT_EQ(refused.response["X-Amzn-ErrorType"], "InvalidSignatureException");

  auto wrong_secret = credentials;
  wrong_secret.secret_access_key = "not-the-secret";
  EXPECT_EQ(call(signed_bulk(body, "es", false, wrong_secret)).status, 403u);
  EXPECT_EQ(call(signed_bulk(body, "aoss", false, credentials)).status, 403u);  // wrong service

  EXPECT_EQ(os->document_count(), 0u);
  EXPECT_EQ(os->counters().auth_failures, 4u);
}

TEST_F(FakeOpenSearchSigV4Test, ServerlessRequiresTheSignedContentHash) {
  start_signed("aoss");
  const std::string body = R"({"create":{}})" "\n" R"({"a":1})" "\n";
  const auto without = call(signed_bulk(body, "aoss", false, credentials));
  EXPECT_EQ(without.status, 403u);
  EXPECT_EQ(without.response["X-Amzn-ErrorType"], "IncompleteSignatureException");
  EXPECT_EQ(call(signed_bulk(body, "aoss", true, credentials)).status, 200u);
  EXPECT_EQ(os->document_count("logs"), 1u);
}

}  // namespace
}  // namespace ltf::emulator
