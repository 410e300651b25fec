// FakeOpenSearch as a client sees it over real HTTP: the bulk contract (NDJSON rules, per-item
// outcomes, response shape), indices, templates and mappings, data streams, Serverless ids,
// faults, and auth. Every expectation is from shared/spec/opensearch-and-aws-auth.md or the
// OpenAPI bundle next to it.
#include "ltf/aws.hpp"
#include "ltf/fake_opensearch.hpp"
#include "ltf/net.hpp"
#include "support/await.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

namespace ltf::emulator {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
namespace http = boost::beast::http;
using namespace std::chrono_literals;

const std::string kNdjson = "application/x-ndjson";

std::string base64(const std::string& text) {
  std::string out(4 * ((text.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string shared_file(const std::string& relative) {
  std::ifstream file(std::filesystem::path(LTF_SHARED_DIR) / relative);
  return std::string((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
}

class FakeOpenSearchTest : public ::testing::Test {
 protected:
  FakeOpenSearchTest() { start({}); }

  void start(FakeOpenSearchOptions options) {
    os.reset();
    os.emplace(io.get_executor(), std::move(options));
    EXPECT_FALSE(os->listen());
  }

  net::Request request(http::verb verb, const std::string& target, std::string body = "",
                       const std::string& content_type = kNdjson) {
    net::Request r{verb, target, 11};
    if (!content_type.empty()) r.set(http::field::content_type, content_type);
    r.body() = std::move(body);
    r.prepare_payload();
    return r;
  }

  asio::awaitable<net::Exchange> send(net::Request r, std::chrono::milliseconds timeout = 5s) {
    net::HttpClient client(io.get_executor(), "127.0.0.1", std::to_string(os->port()));
    co_return co_await client.send(std::move(r), timeout);
  }

  // Sends and returns status and parsed JSON body (null when the body is not JSON).
  struct Answer {
    unsigned status = 0;
    json::value body;
    net::Response response;
  };
  Answer call(net::Request r) {
    Answer answer;
    ltf::test::run_until_done(io, [&]() -> asio::awaitable<void> {
      auto exchange = co_await send(std::move(r));
      EXPECT_TRUE(exchange.ok()) << exchange.error.message();
      answer.status = exchange.response.result_int();
      boost::system::error_code ec;
      answer.body = json::parse(exchange.response.body(), ec);
      answer.response = std::move(exchange.response);
    }(), 20s);
    return answer;
  }
  Answer bulk(const std::string& body, const std::string& target = "/_bulk") {
    return call(request(http::verb::post, target, body));
  }

  static const json::object& item(const Answer& answer, std::size_t i, const std::string& op) {
    return answer.body.at("items").at(i).at(op).as_object();
  }
  static std::string error_type(const Answer& answer) {
    return std::string(answer.body.at("error").at("type").as_string());
  }
  static std::string error_reason(const Answer& answer) {
    return std::string(answer.body.at("error").at("reason").as_string());
  }

  asio::io_context io;
  std::optional<FakeOpenSearch> os;
};

// --- bulk: outcomes and response shape

TEST_F(FakeOpenSearchTest, BulkCreateStoresDocumentsAndAnswersTheDocumentedShape) {
  const auto answer = bulk(R"({"create":{"_index":"lambda-platform","_id":"a1b2"}})" "\n"
                           R"({"type":"platform.start","record":{"requestId":"r1"}})" "\n"
                           R"({"create":{"_id":"c3d4"}})" "\n"
                           R"({"type":"function","record":"hello"})" "\n",
                           "/lambda-function/_bulk");
  ASSERT_EQ(answer.status, 200u);
  EXPECT_TRUE(answer.body.at("took").is_int64());
  EXPECT_EQ(answer.body.at("errors"), false);
  ASSERT_EQ(answer.body.at("items").as_array().size(), 2u);
  const auto& first = item(answer, 0, "create");
  EXPECT_EQ(first.at("_index"), "lambda-platform");  // the action's _index wins over the path
  EXPECT_EQ(first.at("_id"), "a1b2");
  EXPECT_EQ(first.at("_version"), 1);
  EXPECT_EQ(first.at("result"), "created");
  EXPECT_EQ(first.at("status"), 201);
  EXPECT_EQ(first.at("_primary_term"), 1);
  EXPECT_TRUE(first.contains("_seq_no"));
  EXPECT_EQ(first.at("_shards").at("failed"), 0);
  EXPECT_EQ(item(answer, 1, "create").at("_index"), "lambda-function");

  EXPECT_EQ(os->document_count("lambda-platform"), 1u);
  EXPECT_EQ(os->document_count("lambda-function"), 1u);
  EXPECT_EQ(os->document_count(), 2u);
  ASSERT_TRUE(os->document("lambda-function", "c3d4"));
  EXPECT_EQ(os->document("lambda-function", "c3d4")->at("record"), "hello");
  EXPECT_EQ(os->documents("lambda-platform").at(0).id, "a1b2");
  EXPECT_EQ(os->counters().bulk_requests, 1u);
  EXPECT_EQ(os->counters().items, 2u);
  EXPECT_EQ(os->counters().created, 2u);
  ASSERT_EQ(os->received().size(), 1u);
  EXPECT_EQ(os->received()[0].target, "/lambda-function/_bulk");
  EXPECT_EQ(os->received()[0].status, 200u);
}

TEST_F(FakeOpenSearchTest, RepeatedCreateIsAnItem409ThatKeepsTheFirstDocument) {
  bulk(R"({"create":{"_index":"logs","_id":"e1"}})" "\n" R"({"n":1})" "\n");
  const auto again = bulk(R"({"create":{"_index":"logs","_id":"e1"}})" "\n" R"({"n":2})" "\n"
                          R"({"create":{"_index":"logs","_id":"e2"}})" "\n" R"({"n":3})" "\n");
  ASSERT_EQ(again.status, 200u);
  EXPECT_EQ(again.body.at("errors"), true);  // a 409 is an error, the client must walk items
  const auto& conflict = item(again, 0, "create");
  EXPECT_EQ(conflict.at("status"), 409);
  EXPECT_EQ(conflict.at("_id"), "e1");
  EXPECT_EQ(conflict.at("error").at("type"), "version_conflict_engine_exception");
  EXPECT_EQ(conflict.at("error").at("reason"),
            "[e1]: version conflict, document already exists (current version [1])");
  EXPECT_EQ(conflict.at("error").at("index"), "logs");
  EXPECT_EQ(item(again, 1, "create").at("status"), 201);
  EXPECT_EQ(os->document("logs", "e1")->at("n"), 1);
  EXPECT_EQ(os->document_count("logs"), 2u);
  EXPECT_EQ(os->counters().conflicts, 1u);
  EXPECT_EQ(os->counters().item_errors, 1u);
  EXPECT_EQ(os->duplicate_documents("logs"), 0u);
}

TEST_F(FakeOpenSearchTest, IndexReplacesByIdAndWithoutIdEveryRetryIsANewDocument) {
  bulk(R"({"index":{"_index":"logs","_id":"x"}})" "\n" R"({"v":"one"})" "\n");
  const auto replaced = bulk(R"({"index":{"_index":"logs","_id":"x"}})" "\n" R"({"v":"two"})" "\n");
  EXPECT_EQ(item(replaced, 0, "index").at("status"), 200);
  EXPECT_EQ(item(replaced, 0, "index").at("result"), "updated");
  EXPECT_EQ(item(replaced, 0, "index").at("_version"), 2);
  EXPECT_EQ(os->document("logs", "x")->at("v"), "two");
  EXPECT_EQ(os->documents("logs").at(0).version, 2u);

  const std::string no_id = R"({"index":{"_index":"logs"}})" "\n" R"({"event_id":"ev-1"})" "\n";
  const auto first = bulk(no_id);
  bulk(no_id);  // a retry of the same batch
  const auto generated = std::string(item(first, 0, "index").at("_id").as_string());
  EXPECT_EQ(generated.size(), 20u);
  EXPECT_TRUE(std::all_of(generated.begin(), generated.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  })) << generated;  // base64url
  EXPECT_EQ(os->document_count("logs"), 3u);
  EXPECT_EQ(os->duplicate_documents("logs"), 1u);
  EXPECT_EQ(os->counters().updated, 1u);
}

TEST_F(FakeOpenSearchTest, DeleteOfAMissingIdIsA404WithoutAnError) {
  bulk(R"({"create":{"_index":"movies","_id":"m1"}})" "\n" R"({"title":"Moneyball"})" "\n");
  const auto answer = bulk(R"({"delete":{"_index":"movies","_id":"invalid"}})" "\n"
                           R"({"delete":{"_index":"movies","_id":"m1"}})" "\n");
  ASSERT_EQ(answer.status, 200u);
  EXPECT_EQ(answer.body.at("errors"), false);
  EXPECT_EQ(item(answer, 0, "delete").at("status"), 404);
  EXPECT_EQ(item(answer, 0, "delete").at("result"), "not_found");
  EXPECT_FALSE(item(answer, 0, "delete").contains("error"));
  EXPECT_EQ(item(answer, 1, "delete").at("status"), 200);
  EXPECT_EQ(item(answer, 1, "delete").at("result"), "deleted");
  EXPECT_EQ(os->document_count("movies"), 0u);
  EXPECT_EQ(os->counters().deleted, 1u);
}

TEST_F(FakeOpenSearchTest, UpdateMergesDocAndAnswersMissingDocumentsPerItem) {
  bulk(R"({"create":{"_index":"books","_id":"b1"}})" "\n"
       R"({"title":"Mockingbird","meta":{"year":1960}})" "\n");
  const auto answer = bulk(R"({"update":{"_index":"books","_id":"b1"}})" "\n"
                           R"({"doc":{"pages":376,"meta":{"lang":"en"}}})" "\n"
                           R"({"update":{"_index":"books","_id":"b1"}})" "\n"
                           R"({"doc":{"pages":376}})" "\n"
                           R"({"update":{"_index":"books","_id":"nope"}})" "\n"
                           R"({"doc":{"pages":1}})" "\n"
                           R"({"update":{"_index":"books","_id":"b2"}})" "\n"
                           R"({"doc":{"pages":2},"doc_as_upsert":true})" "\n");
  EXPECT_EQ(item(answer, 0, "update").at("result"), "updated");
  EXPECT_EQ(item(answer, 1, "update").at("result"), "noop");
  EXPECT_EQ(item(answer, 2, "update").at("status"), 404);
  EXPECT_EQ(item(answer, 2, "update").at("error").at("type"), "document_missing_exception");
  EXPECT_EQ(item(answer, 2, "update").at("error").at("reason"), "[nope]: document missing");
  EXPECT_EQ(item(answer, 3, "update").at("status"), 201);
  const auto merged = *os->document("books", "b1");
  EXPECT_EQ(merged.at("pages"), 376);
  EXPECT_EQ(merged.at("meta").at("year"), 1960);
  EXPECT_EQ(merged.at("meta").at("lang"), "en");
  EXPECT_EQ(os->document("books", "b2")->at("pages"), 2);
}

// --- bulk: malformed requests

TEST_F(FakeOpenSearchTest, MalformedBodiesRefuseTheWholeRequestAndApplyNothing) {
  const std::string good = R"({"create":{"_index":"logs","_id":"ok"}})" "\n" R"({"a":1})" "\n";
  const std::string long_id(513, 'i');
  struct Case {
    std::string body;
    std::string type;
    std::string reason;  // the whole reason, or its start when it ends in "..."
  };
  const std::vector<Case> cases{
      {good + R"({"create":{"_index":"logs"}})" "\n" R"({"a":1})",
       "illegal_argument_exception", "The bulk request must be terminated by a newline [\\n]"},
      {good + "\"create\"\n", "illegal_argument_exception",
       "Malformed action/metadata line [3], expected START_OBJECT but found [VALUE_STRING]"},
      {good + "[1,2]\n", "illegal_argument_exception",
       "Malformed action/metadata line [3], expected START_OBJECT but found [START_ARRAY]"},
      {good + "{}\n", "illegal_argument_exception",
       "Malformed action/metadata line [3], expected FIELD_NAME but found [END_OBJECT]"},
      {good + R"({"create":{},"index":{}})" "\n{}\n", "illegal_argument_exception",
       "Malformed action/metadata line [3], expected END_OBJECT but found [FIELD_NAME]"},
      {good + R"({"upsert":{"_index":"logs"}})" "\n{}\n", "illegal_argument_exception",
       "Malformed action/metadata line [3], expected field [create], [delete], [index] or "
       "[update] but found [upsert]"},
      {good + R"({"create":"logs"})" "\n{}\n", "illegal_argument_exception",
       "Malformed action/metadata line [3], expected START_OBJECT but found [VALUE_STRING]"},
      {good + R"({"create":{"_index":"logs","colour":"red"}})" "\n{}\n",
       "illegal_argument_exception", "Action/metadata line [3] contains an unknown parameter [colour]"},
      {good + "{\"create\": {\"_index\"\n{}\n", "illegal_argument_exception",
       "Malformed action/metadata line [3], ..."},
      {good + R"({"index":{"_index":"logs"}})" "\n", "illegal_argument_exception",
       "Action/metadata line [3] [index] is not followed by its source line"},
      {good + R"({"create":{"_id":"no-index"}})" "\n{}\n", "action_request_validation_exception",
       "Validation Failed: 1: index is missing;"},
      {good + R"({"create":{"_index":"logs","_id":")" + long_id + "\"}}\n{}\n",
       "action_request_validation_exception",
       "Validation Failed: 1: id [" + long_id +
           "] is too long, must be no longer than 512 bytes but was: 513;"},
      {good + R"({"delete":{"_index":"logs"}})" "\n", "action_request_validation_exception",
       "Validation Failed: 1: id is missing;"},
      {"", "action_request_validation_exception", "Validation Failed: 1: no requests added;"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body.substr(0, 120));
    const auto answer = bulk(c.body);
    ASSERT_EQ(answer.status, 400u);
    EXPECT_EQ(answer.body.at("status"), 400);
    EXPECT_EQ(error_type(answer), c.type);
    EXPECT_EQ(answer.body.at("error").at("root_cause").at(0).at("type").as_string(), c.type);
    if (c.reason.ends_with("...")) {
      EXPECT_TRUE(error_reason(answer).starts_with(c.reason.substr(0, c.reason.size() - 3)))
          << error_reason(answer);
    } else {
      EXPECT_EQ(error_reason(answer), c.reason);
    }
  }
  EXPECT_EQ(os->document_count(), 0u);
  EXPECT_EQ(os->counters().malformed, cases.size());
  EXPECT_EQ(os->counters().bulk_requests, 0u);
}

TEST_F(FakeOpenSearchTest, CrLfLinesAndAnIdOfExactly512BytesAreAccepted) {
  const std::string id(512, 'i');
  const auto answer = bulk("{\"create\":{\"_index\":\"logs\",\"_id\":\"" + id + "\"}}\r\n{\"a\":1}\r\n");
  ASSERT_EQ(answer.status, 200u) << answer.response.body();
  EXPECT_EQ(item(answer, 0, "create").at("status"), 201);
  EXPECT_TRUE(os->document("logs", id));
}

TEST_F(FakeOpenSearchTest, ABadSourceLineFailsOnlyItsItem) {
  const auto answer = bulk(R"({"create":{"_index":"logs","_id":"a"}})" "\n" R"("just a string")" "\n"
                           R"({"create":{"_index":"logs","_id":"b"}})" "\n" R"({"fine":true})" "\n");
  ASSERT_EQ(answer.status, 200u);
  EXPECT_EQ(answer.body.at("errors"), true);
  EXPECT_EQ(item(answer, 0, "create").at("status"), 400);
  EXPECT_EQ(item(answer, 0, "create").at("error").at("type"), "mapper_parsing_exception");
  EXPECT_EQ(item(answer, 1, "create").at("status"), 201);
  EXPECT_EQ(os->document_count("logs"), 1u);
}

TEST_F(FakeOpenSearchTest, MissingOrUnsupportedContentTypeIs406) {
  const std::string body = R"({"create":{"_index":"logs"}})" "\n{}\n";
  const auto missing = call(request(http::verb::post, "/_bulk", body, ""));
  EXPECT_EQ(missing.status, 406u);
  EXPECT_EQ(missing.body.at("error"), "Content-Type header [] is not supported");
  const auto text = call(request(http::verb::post, "/_bulk", body, "text/plain"));
  EXPECT_EQ(text.status, 406u);
  EXPECT_EQ(text.body.at("status"), 406);
  EXPECT_EQ(call(request(http::verb::post, "/_bulk", body, "application/json; charset=UTF-8")).status,
            200u);
  EXPECT_EQ(os->document_count("logs"), 1u);
}

TEST_F(FakeOpenSearchTest, GzipBodiesAreInflatedAndBrokenGzipIsRefused) {
  const std::string body = R"({"create":{"_index":"logs","_id":"z"}})" "\n" R"({"packed":true})" "\n";
  auto packed = request(http::verb::post, "/_bulk", net::gzip(body));
  packed.set(http::field::content_encoding, "gzip");
  packed.prepare_payload();
  const auto answer = call(std::move(packed));
  ASSERT_EQ(answer.status, 200u);
  EXPECT_EQ(os->document("logs", "z")->at("packed"), true);
  EXPECT_EQ(os->received().back().content_encoding, "gzip");
  EXPECT_EQ(os->received().back().body, body);

  auto broken = request(http::verb::post, "/_bulk", body);
  broken.set(http::field::content_encoding, "gzip");
  const auto refused = call(std::move(broken));
  EXPECT_EQ(refused.status, 400u);
  EXPECT_EQ(error_type(refused), "illegal_argument_exception");
}

TEST_F(FakeOpenSearchTest, BodiesOverTheLimitAre413AsSentOrOnceInflated) {
  os->set_max_body_bytes(1000);
  const std::string pair =
      R"({"create":{"_index":"logs"}})" "\n" R"({"padding":"aaaaaaaaaaaaaaaaaaaa"})" "\n";
  std::string body, fitting;
  for (int i = 0; i < 40; ++i) body += pair;
  for (int i = 0; i < 10; ++i) fitting += pair;
  ASSERT_GT(body.size(), 1000u);
  ASSERT_LE(fitting.size(), 1000u);
  const auto plain = bulk(body);
  EXPECT_EQ(plain.status, 413u);
  EXPECT_EQ(plain.body, json::parse(R"({"Message":"Request size exceeded 1000 bytes"})"));

  auto packed = request(http::verb::post, "/_bulk", net::gzip(body));
  ASSERT_LT(packed.body().size(), 1000u);
  packed.set(http::field::content_encoding, "gzip");
  const auto inflated = call(std::move(packed));
  EXPECT_EQ(inflated.status, 413u);
  EXPECT_EQ(os->counters().too_large, 2u);
  EXPECT_EQ(os->document_count(), 0u);
  EXPECT_EQ(bulk(fitting).status, 200u);
  EXPECT_EQ(os->document_count("logs"), 10u);
}

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

// --- indices, templates, mappings

TEST_F(FakeOpenSearchTest, IndicesAreCreatedOnceAndAnswerHead) {
  EXPECT_EQ(call(request(http::verb::head, "/lambda-platform", "", "")).status, 404u);
  const auto created = call(request(http::verb::put, "/lambda-platform",
                                    R"({"settings":{"number_of_shards":3},"mappings":{"properties":{"time":{"type":"date"},"record":{"type":"object","dynamic":true}}}})",
                                    "application/json"));
  ASSERT_EQ(created.status, 200u);
  EXPECT_EQ(created.body.at("acknowledged"), true);
  EXPECT_EQ(created.body.at("index"), "lambda-platform");
  EXPECT_EQ(call(request(http::verb::head, "/lambda-platform", "", "")).status, 200u);

  const auto again = call(request(http::verb::put, "/lambda-platform", "", ""));
  EXPECT_EQ(again.status, 400u);
  EXPECT_EQ(error_type(again), "resource_already_exists_exception");
  EXPECT_EQ(os->mapping("lambda-platform")->at("properties").at("record").at("type"), "object");

  const auto upper = call(request(http::verb::put, "/Lambda", "", ""));
  EXPECT_EQ(upper.status, 400u);
  EXPECT_EQ(error_type(upper), "invalid_index_name_exception");
  EXPECT_EQ(os->create_index("direct"), "");
  EXPECT_TRUE(os->has_index("direct"));
  EXPECT_NE(os->create_index("direct"), "");
}

TEST_F(FakeOpenSearchTest, TemplatesArePutGotAndTested) {
  const std::string body =
      R"({"index_patterns":["lambda-telemetry-*"],"priority":100,)"
      R"("template":{"mappings":{"properties":{"record":{"type":"flat_object"},"message":{"type":"text"}}}}})";
  EXPECT_EQ(call(request(http::verb::head, "/_index_template/lambda-telemetry", "", "")).status, 404u);
  const auto put = call(request(http::verb::put, "/_index_template/lambda-telemetry", body,
                                "application/json"));
  ASSERT_EQ(put.status, 200u);
  EXPECT_EQ(put.body.at("acknowledged"), true);
  EXPECT_EQ(call(request(http::verb::head, "/_index_template/lambda-telemetry", "", "")).status, 200u);
  const auto got = call(request(http::verb::get, "/_index_template/lambda-telemetry", "", ""));
  ASSERT_EQ(got.status, 200u);
  EXPECT_EQ(got.body.at("index_templates").at(0).at("name"), "lambda-telemetry");
  EXPECT_EQ(got.body.at("index_templates").at(0).at("index_template").at("priority"), 100);
  const auto missing = call(request(http::verb::get, "/_index_template/other", "", ""));
  EXPECT_EQ(missing.status, 404u);
  const auto no_patterns = call(request(http::verb::put, "/_index_template/bad",
                                        R"({"priority":1})", "application/json"));
  EXPECT_EQ(no_patterns.status, 400u);
  EXPECT_EQ(error_reason(no_patterns), "Validation Failed: 1: index patterns are missing;");
  EXPECT_TRUE(os->has_index_template("lambda-telemetry"));
  EXPECT_FALSE(os->has_index_template("bad"));
}

TEST_F(FakeOpenSearchTest, TemplateMappingAppliesAndAConcreteValueForAnObjectFailsTheItem) {
  ASSERT_EQ(os->put_index_template(
                "lambda", json::parse(R"({"index_patterns":["lambda-*"],"template":{"mappings":
                  {"properties":{"record":{"type":"object"},"time":{"type":"date"}}}}})").as_object()),
            "");
  const auto answer = bulk(R"({"index":{"_index":"lambda-function","_id":"e5f6"}})" "\n"
                           R"({"type":"function","record":"a text line"})" "\n"
                           R"({"index":{"_index":"lambda-function","_id":"ok"}})" "\n"
                           R"({"type":"platform.start","record":{"requestId":"r"}})" "\n"
                           R"({"index":{"_index":"other","_id":"free"}})" "\n"
                           R"({"record":"a text line"})" "\n");
  ASSERT_EQ(answer.status, 200u);
  EXPECT_EQ(answer.body.at("errors"), true);
  const auto& failed = item(answer, 0, "index");
  EXPECT_EQ(failed.at("status"), 400);
  EXPECT_EQ(failed.at("error").at("type"), "mapper_parsing_exception");
  EXPECT_EQ(failed.at("error").at("reason"),
            "object mapping for [record] tried to parse field [record] as object, but found a "
            "concrete value");
  EXPECT_EQ(item(answer, 1, "index").at("status"), 201);
  EXPECT_EQ(item(answer, 2, "index").at("status"), 201);  // no template: dynamic mapping
  EXPECT_EQ(os->document_count("lambda-function"), 1u);
  EXPECT_EQ(os->mapping("lambda-function")->at("properties").at("time").at("type"), "date");
  EXPECT_EQ(os->mapping("other")->at("properties").at("record").at("type"), "text");
}

TEST_F(FakeOpenSearchTest, DynamicMappingIsFixedByTheFirstDocument) {
  const auto answer = bulk(R"({"create":{"_index":"objects-first"}})" "\n"
                           R"({"record":{"requestId":"r"}})" "\n"
                           R"({"create":{"_index":"objects-first"}})" "\n"
                           R"({"record":"text"})" "\n"
                           R"({"create":{"_index":"text-first"}})" "\n"
                           R"({"record":"text"})" "\n"
                           R"({"create":{"_index":"text-first","_id":"obj"}})" "\n"
                           R"({"record":{"requestId":"r"}})" "\n"
                           R"({"create":{"_index":"text-first"}})" "\n"
                           R"({"record":"more text","extra":[1,2]})" "\n");
  EXPECT_EQ(item(answer, 0, "create").at("status"), 201);
  EXPECT_EQ(item(answer, 1, "create").at("status"), 400);
  EXPECT_EQ(item(answer, 1, "create").at("error").at("reason"),
            "object mapping for [record] tried to parse field [record] as object, but found a "
            "concrete value");
  EXPECT_EQ(item(answer, 3, "create").at("status"), 400);
  EXPECT_EQ(item(answer, 3, "create").at("error").at("type"), "mapper_parsing_exception");
  EXPECT_TRUE(std::string(item(answer, 3, "create").at("error").at("reason").as_string())
                  .starts_with("failed to parse field [record] of type [text]"));
  EXPECT_EQ(item(answer, 4, "create").at("status"), 201);
  EXPECT_EQ(os->mapping("text-first")->at("properties").at("extra").at("type"), "long");
  EXPECT_EQ(os->document_count("objects-first"), 1u);
  EXPECT_EQ(os->document_count("text-first"), 2u);
}

TEST_F(FakeOpenSearchTest, FlatObjectFieldsTakeObjectsOnly) {
  ASSERT_EQ(os->create_index("flat", json::parse(R"({"mappings":{"properties":
                {"record":{"type":"flat_object"},"message":{"type":"text"}}}})").as_object()),
            "");
  const auto answer = bulk(R"({"create":{"_index":"flat"}})" "\n" R"({"record":{"a":{"b":1}}})" "\n"
                           R"({"create":{"_index":"flat"}})" "\n" R"({"message":"text"})" "\n"
                           R"({"create":{"_index":"flat","_id":"s"}})" "\n" R"({"record":"text"})" "\n");
  EXPECT_EQ(item(answer, 0, "create").at("status"), 201);
  EXPECT_EQ(item(answer, 1, "create").at("status"), 201);
  EXPECT_EQ(item(answer, 2, "create").at("status"), 400);
  EXPECT_TRUE(std::string(item(answer, 2, "create").at("error").at("reason").as_string())
                  .starts_with("failed to parse field [record] of type [flat_object]"));
  // A flat_object's inner keys are not mapped one by one.
  EXPECT_FALSE(os->mapping("flat")->at("properties").at("record").as_object().contains("properties"));
}

TEST_F(FakeOpenSearchTest, WithoutAutoCreateAMissingIndexIsAnItem404) {
  FakeOpenSearchOptions options;
  options.auto_create_index = false;
  start(options);
  const std::string body = R"({"create":{"_index":"absent","_id":"1"}})" "\n{}\n";
  const auto missing = bulk(body);
  EXPECT_EQ(item(missing, 0, "create").at("status"), 404);
  EXPECT_EQ(item(missing, 0, "create").at("error").at("type"), "index_not_found_exception");
  EXPECT_FALSE(os->has_index("absent"));
  EXPECT_EQ(call(request(http::verb::put, "/absent", "", "")).status, 200u);
  EXPECT_EQ(item(bulk(body), 0, "create").at("status"), 201);
}

TEST_F(FakeOpenSearchTest, StrictMappingRefusesNewFields) {
  ASSERT_EQ(os->create_index("strict", json::parse(R"({"mappings":{"dynamic":"strict",
                "properties":{"type":{"type":"keyword"}}}})").as_object()),
            "");
  const auto answer = bulk(R"({"create":{"_index":"strict"}})" "\n" R"({"type":"a","new":1})" "\n");
  EXPECT_EQ(item(answer, 0, "create").at("error").at("type"), "strict_dynamic_mapping_exception");
  EXPECT_EQ(os->document_count("strict"), 0u);
}

TEST_F(FakeOpenSearchTest, DataStreamsTakeCreateOnlyWithATimestamp) {
  ASSERT_EQ(os->put_index_template("logs-ds", json::parse(R"({"index_patterns":["logs-ds-*"],
                "data_stream":{}})").as_object()),
            "");
  const auto answer = bulk(R"({"create":{"_index":"logs-ds-app"}})" "\n"
                           R"({"@timestamp":"2024-01-01T00:00:00Z","m":1})" "\n"
                           R"({"index":{"_index":"logs-ds-app"}})" "\n"
                           R"({"@timestamp":"2024-01-01T00:00:00Z","m":2})" "\n"
                           R"({"create":{"_index":"logs-ds-app"}})" "\n"
                           R"({"m":3})" "\n");
  EXPECT_EQ(item(answer, 0, "create").at("status"), 201);
  EXPECT_EQ(item(answer, 0, "create").at("_index"), ".ds-logs-ds-app-000001");
  EXPECT_EQ(item(answer, 1, "index").at("status"), 400);
  EXPECT_EQ(item(answer, 1, "index").at("error").at("reason"),
            "only write ops with an op_type of create are allowed in data streams");
  EXPECT_EQ(item(answer, 2, "create").at("status"), 400);
  EXPECT_EQ(item(answer, 2, "create").at("error").at("type"), "mapper_parsing_exception");
  EXPECT_TRUE(os->is_data_stream("logs-ds-app"));
  EXPECT_EQ(os->document_count("logs-ds-app"), 1u);
  EXPECT_EQ(os->document_count(".ds-logs-ds-app-000001"), 1u);
  const auto direct = call(request(http::verb::put, "/logs-ds-other", "", ""));
  EXPECT_EQ(direct.status, 400u);  // the template claims the name for a data stream
}

TEST_F(FakeOpenSearchTest, ServerlessTimeSeriesRefusesCustomIdsPerItem) {
  FakeOpenSearchOptions time_series;
  time_series.serverless = true;
  time_series.collection = CollectionType::time_series;
  start(time_series);
  const auto answer = bulk(R"({"index":{"_index":"x","_id":"mine"}})" "\n" R"({"a":1})" "\n"
                           R"({"create":{"_index":"x"}})" "\n" R"({"a":2})" "\n");
  ASSERT_EQ(answer.status, 200u);
  EXPECT_EQ(answer.body.at("errors"), true);
  const auto& refused = item(answer, 0, "index");
  EXPECT_EQ(refused.at("status"), 400);
  EXPECT_EQ(refused.at("_id"), "mine");
  EXPECT_EQ(refused.at("error").at("type"), "illegal_argument_exception");
  EXPECT_EQ(refused.at("error").at("reason"),
            "Document ID is not supported in create/index operation request");
  EXPECT_EQ(item(answer, 1, "create").at("status"), 201);
  EXPECT_EQ(os->document_count("x"), 1u);

  FakeOpenSearchOptions search = time_series;
  search.collection = CollectionType::search;
  start(search);
  EXPECT_EQ(item(bulk(R"({"index":{"_index":"x","_id":"mine"}})" "\n{}\n"), 0, "index").at("status"),
            201);
}

// --- routing and response filtering

TEST_F(FakeOpenSearchTest, UnknownPathsAre400AndWrongMethods405) {
  const auto unknown = call(request(http::verb::get, "/_cat/nothing", "", ""));
  EXPECT_EQ(unknown.status, 400u);
  EXPECT_EQ(unknown.body.at("error"), "no handler found for uri [/_cat/nothing] and method [GET]");
  const auto wrong = call(request(http::verb::get, "/_bulk", "", ""));
  EXPECT_EQ(wrong.status, 405u);
  EXPECT_EQ(wrong.body.at("error"),
            "Incorrect HTTP method for uri [/_bulk] and method [GET], allowed: [POST, PUT]");
  EXPECT_EQ(call(request(http::verb::put, "/_bulk", R"({"create":{"_index":"p"}})" "\n{}\n")).status,
            200u);
}

TEST_F(FakeOpenSearchTest, FilterPathKeepsOnlyWhatIsAskedAndDropsEmptiedItems) {
  bulk(R"({"create":{"_index":"logs","_id":"dup"}})" "\n{}\n");
  const std::string body = R"({"create":{"_index":"logs","_id":"dup"}})" "\n{}\n"
                           R"({"create":{"_index":"logs","_id":"new"}})" "\n{}\n";
  const auto errors_only = bulk(body, "/_bulk?filter_path=took,errors,items.*.error");
  EXPECT_TRUE(errors_only.body.at("took").is_int64());
  ASSERT_EQ(errors_only.body.at("items").as_array().size(), 1u);  // positions are lost
  EXPECT_EQ(errors_only.body.at("items").at(0).at("create").as_object().size(), 1u);
  const auto statuses = bulk(R"({"create":{"_index":"logs","_id":"x"}})" "\n{}\n"
                             R"({"create":{"_index":"logs","_id":"x"}})" "\n{}\n",
                             "/_bulk?filter_path=items.*.status");
  EXPECT_EQ(statuses.body, json::parse(R"({"items":[{"create":{"status":201}},{"create":{"status":409}}]})"));
}

TEST_F(FakeOpenSearchTest, SummaryReportsDocumentsDuplicatesAndConflictsPerIndex) {
  const std::string body = R"({"create":{"_index":"lambda-function","_id":"a"}})" "\n{}\n"
                           R"({"index":{"_index":"lambda-platform"}})" "\n" R"({"event_id":"e"})" "\n";
  bulk(body);
  bulk(body);  // a resend: one 409, one duplicate
  const auto report = os->summary_json();
  EXPECT_EQ(report.at("requests"), 2);
  EXPECT_EQ(report.at("conflicts"), 1);
  EXPECT_EQ(report.at("documents"), 3);
  EXPECT_EQ(report.at("indices").at("lambda-function").at("documents"), 1);
  EXPECT_EQ(report.at("indices").at("lambda-platform").at("documents"), 2);
  EXPECT_EQ(report.at("indices").at("lambda-platform").at("duplicates"), 1);
  const auto text = os->summary();
  EXPECT_NE(text.find("1 409 (already stored)"), std::string::npos) << text;
  EXPECT_NE(text.find("lambda-platform: 2 documents, 1 duplicates"), std::string::npos) << text;
}

// --- the OpenAPI bundle

// path -> methods, read from the bundle's `paths:` section by indentation: a path is a
// two-space-indented "/...:" line, its methods four-space-indented "get:" lines under it.
std::map<std::string, std::set<std::string>> openapi_operations(const std::string& yaml) {
  static const std::set<std::string> methods{"get", "put", "post", "head", "delete", "patch"};
  std::map<std::string, std::set<std::string>> out;
  std::istringstream lines(yaml);
  std::string line, path;
  bool in_paths = false;
  while (std::getline(lines, line)) {
    if (line == "paths:") {
      in_paths = true;
      continue;
    }
    if (!in_paths) continue;
    if (!line.empty() && line[0] != ' ') break;  // the next top-level section
    if (line.empty() || line.back() != ':') continue;
    const auto key = line.substr(0, line.size() - 1);
    if (key.rfind("  /", 0) == 0 && key.find(' ', 2) == std::string::npos) path = key.substr(2);
    else if (!path.empty() && key.rfind("    ", 0) == 0 && methods.count(key.substr(4)))
      out[path].insert(key.substr(4));
  }
  return out;
}

// The `required:` list of one schema under components.schemas.
std::set<std::string> required_fields(const std::string& yaml, const std::string& schema) {
  const auto at = yaml.find("\n    " + schema + ":\n");
  EXPECT_NE(at, std::string::npos) << schema;
  std::set<std::string> out;
  if (at == std::string::npos) return out;
  std::istringstream lines(yaml.substr(at + 1));
  std::string line;
  std::getline(lines, line);  // the schema's own line
  bool in_required = false;
  while (std::getline(lines, line)) {
    if (line.rfind("    ", 0) != 0 || line[4] != ' ') break;  // the next schema
    if (line == "      required:") in_required = true;
    else if (in_required && line.rfind("        - ", 0) == 0) out.insert(line.substr(10));
    else in_required = false;
  }
  return out;
}

TEST(FakeOpenSearchOpenApi, EveryServedOperationExistsInTheBundle) {
  const auto yaml = shared_file("specs/opensearch-openapi.yaml");
  ASSERT_GT(yaml.size(), 1000000u);
  const auto operations = openapi_operations(yaml);
  ASSERT_GT(operations.size(), 100u);
  const auto served = fake_opensearch_operations();
  ASSERT_GE(served.size(), 15u);
  for (const auto& op : served) {
    std::string method = op.method;
    for (char& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto it = operations.find(op.path);
    ASSERT_NE(it, operations.end()) << op.path;
    EXPECT_TRUE(it->second.count(method)) << op.method << " " << op.path;
  }
}

TEST_F(FakeOpenSearchTest, BulkResponsesCarryTheSchemasRequiredFields) {
  const auto yaml = shared_file("specs/opensearch-openapi.yaml");
  const auto response_required = required_fields(yaml, "_core.bulk___BulkResponse");
  const auto item_required = required_fields(yaml, "_core.bulk___ResponseItem");
  EXPECT_EQ(response_required, (std::set<std::string>{"took", "errors", "items"}));
  EXPECT_EQ(item_required, (std::set<std::string>{"_index", "status"}));

  os->set_item_rejection_rate(0.5);
  std::string body;  // every kind of outcome: created, 409, 429, mapping failure, not_found
  for (int i = 0; i < 6; ++i)
    body += R"({"create":{"_index":"shape","_id":"s)" + std::to_string(i % 3) + "\"}}\n" +
            (i == 4 ? R"({"v":{"o":1}})" : R"({"v":1})") + "\n";
  body += R"({"delete":{"_index":"shape","_id":"gone"}})" "\n";
  body += R"({"update":{"_index":"shape","_id":"gone"}})" "\n" R"({"doc":{"v":2}})" "\n";
  const auto answer = bulk(body);
  ASSERT_EQ(answer.status, 200u);
  for (const auto& field : response_required) EXPECT_TRUE(answer.body.as_object().contains(field)) << field;
  std::set<std::int64_t> statuses;
  for (const auto& entry : answer.body.at("items").as_array()) {
    ASSERT_EQ(entry.as_object().size(), 1u);  // keyed by the op type sent
    const auto& result = entry.as_object().begin()->value().as_object();
    for (const auto& field : item_required) EXPECT_TRUE(result.contains(field)) << field;
    if (result.contains("error")) {
      EXPECT_TRUE(result.at("error").as_object().contains("type"));
    }
    statuses.insert(result.at("status").as_int64());
  }
  EXPECT_TRUE(statuses.count(429));
  EXPECT_TRUE(statuses.count(201));
}

// --- fake-lambda --opensearch

// An "extension" that is only a bash script: it posts the same bulk request twice to $URL over
// /dev/tcp during Init and exits (which fails Init; the report is written all the same).
class FakeLambdaOpenSearchCli : public ::testing::Test {
 protected:
  FakeLambdaOpenSearchCli() {
    dir = std::filesystem::temp_directory_path() /
          ("fake-lambda-opensearch-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir / "extensions");
  }
  ~FakeLambdaOpenSearchCli() override { std::filesystem::remove_all(dir); }

  void poster(const std::string& authorization) {
    const auto path = dir / "extensions" / "poster";
    std::ofstream(path) << "#!/bin/bash\n"
                        << "hostport=${URL#http://}\n"
                        << "AUTH=" << (authorization.empty() ? "''" : "$'Authorization: " + authorization + "\\r\\n'") << "\n"
                        << R"(BODY=$'{"create":{"_index":"lambda-function","_id":"a"}}\n{"n":1}\n')" "\n"
                        << "post() {\n"
                        << "  exec 3<>/dev/tcp/${hostport%:*}/${hostport#*:} || exit 9\n"
                        << "  printf 'POST /_bulk HTTP/1.1\\r\\nHost: %s\\r\\nContent-Type: application/x-ndjson\\r\\n"
                           "%sContent-Length: %d\\r\\nConnection: close\\r\\n\\r\\n%s' "
                           "\"$hostport\" \"$AUTH\" \"${#BODY}\" \"$BODY\" >&3\n"
                        << "  cat <&3 >/dev/null\n"
                        << "  exec 3<&-\n"
                        << "}\n"
                        << "post\npost\nexit 0\n";
    std::filesystem::permissions(path, std::filesystem::perms::owner_all);
  }

  int run(const std::string& args) {
    const auto command = std::string(LTF_FAKE_LAMBDA_BIN) + " --extensions-dir " +
                         (dir / "extensions").string() + " --report " +
                         (dir / "report.json").string() + " --invocations 2 " + args + " > " +
                         (dir / "out.txt").string() + " 2>&1";
    const int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  json::value report() const {
    std::ifstream file(dir / "report.json");
    return json::parse(std::string((std::istreambuf_iterator<char>(file)),
                                   std::istreambuf_iterator<char>()));
  }
  std::string output() const {
    std::ifstream file(dir / "out.txt");
    return std::string((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  }

  std::filesystem::path dir;
};

TEST_F(FakeLambdaOpenSearchCli, ReportsDocumentsPerIndexAndConflicts) {
  poster("");
  EXPECT_EQ(run("--opensearch --sink-down 1-1"), 3) << output();  // the poster "crashed" Init
  const auto r = report();
  EXPECT_EQ(r.at_pointer("/opensearch/requests"), 2) << output();
  EXPECT_EQ(r.at_pointer("/opensearch/conflicts"), 1);
  EXPECT_EQ(r.at_pointer("/opensearch/indices/lambda-function/documents"), 1);
  EXPECT_EQ(r.at_pointer("/opensearch/indices/lambda-function/duplicates"), 0);
  EXPECT_FALSE(r.as_object().contains("sink"));  // --sink-down went to OpenSearch, no sink ran
  EXPECT_NE(output().find("lambda-function: 1 documents, 0 duplicates"), std::string::npos)
      << output();
}

TEST_F(FakeLambdaOpenSearchCli, AuthOptionRequiresTheLogin) {
  poster("Basic " + base64("user:pa:ss"));
  EXPECT_EQ(run("--opensearch-auth user:pa:ss"), 3) << output();
  EXPECT_EQ(report().at_pointer("/opensearch/auth_failures"), 0) << output();
  EXPECT_EQ(report().at_pointer("/opensearch/documents"), 1);

  poster("Basic " + base64("user:wrong"));
  EXPECT_EQ(run("--opensearch-auth user:pa:ss --opensearch-429-rate 0.5"), 3) << output();
  EXPECT_EQ(report().at_pointer("/opensearch/auth_failures"), 2);
  EXPECT_EQ(report().at_pointer("/opensearch/documents"), 0);

  EXPECT_EQ(run("--opensearch-auth nocolon"), 1);
  EXPECT_EQ(run("--opensearch-429-rate 2"), 1);
}

}  // namespace
}  // namespace ltf::emulator
