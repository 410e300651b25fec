// FakeOpenSearch's _bulk as a client sees it over real HTTP: per-item outcomes and the response
// shape, then the malformed requests that are refused whole (NDJSON rules, Content-Type, gzip,
// size limits).
#include "fake_opensearch_fixture.hpp"

#include <algorithm>

namespace ltf::emulator {
namespace {

using namespace ostest;

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

}  // namespace
}  // namespace ltf::emulator
