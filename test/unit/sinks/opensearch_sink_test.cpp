// The OpenSearch sink against a scripted server: bootstrap, the item walk, dead letters, auth,
// whole-request failures, 413 splits and SigV4.
#include "ltf/opensearch.hpp"
#include "support/await.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;
using ltf::net::Request;
using ltf::net::Response;
using ltf::opensearch::OpenSearchSink;
using ltf::sinks::Delivery;
using ltf::sinks::Outcome;
using ltf::telemetry::Event;
using namespace std::chrono_literals;

Event event(int n, std::string type = "function", std::string time = "2024-05-01T10:00:00.000Z") {
  Event e;
  e.type = std::move(type);
  e.time = std::move(time);
  e.raw = R"({"time":")" + e.time + R"(","type":")" + e.type + R"(","record":"line )" +
          std::to_string(n) + R"("})";
  e.id = "id-" + std::to_string(n);
  e.sequence = static_cast<std::uint64_t>(n);
  return e;
}

std::vector<Event> events(int count) {
  std::vector<Event> out;
  for (int i = 0; i < count; ++i) out.push_back(event(i));
  return out;
}

std::vector<std::string> lines_of(const std::string& body) {
  std::vector<std::string> lines;
  std::stringstream in(body);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

// The ids (or, without ids, the event_id fields) in a bulk body, in order.
std::vector<std::string> bulk_ids(const std::string& body) {
  std::vector<std::string> ids;
  const auto lines = lines_of(body);
  for (std::size_t i = 1; i < lines.size(); i += 2)
    ids.emplace_back(json::parse(lines[i]).at("event_id").as_string());
  return ids;
}

Response respond(unsigned status, std::string body = "{}") {
  Response response{static_cast<http::status>(status), 11};
  response.set(http::field::content_type, "application/json");
  response.body() = std::move(body);
  return response;
}

// 2xx for every item of a bulk body (gzip or not).
std::string all_created(const std::string& body) {
  std::string items;
  const auto inflated = ltf::net::gunzip(body, 1 << 24);
  const auto lines = lines_of(inflated.ok() ? inflated.data : body);
  for (std::size_t i = 0; i < lines.size(); i += 2)
    items += std::string(items.empty() ? "" : ",") + R"({"create":{"status":201}})";
  return R"({"errors":false,"items":[)" + items + "]}";
}

bool is_bulk(const Request& r) { return r.target().find("/_bulk") != std::string_view::npos; }

// Records what the sink's source hands out and how often it is told to forget.
struct CountingAuth final : ltf::opensearch::BasicAuthSource {
  int gets = 0;
  int invalidations = 0;
  asio::awaitable<ltf::opensearch::BasicAuthFetch> get() override {
    ++gets;
    co_return ltf::opensearch::BasicAuthFetch{ltf::aws::BasicAuth{"ingest", "s3cr3t-pa55"}, {}};
  }
  void invalidate() override { ++invalidations; }
  std::string describe() const override { return "counting"; }
};

struct OpenSearchSinkTest : ::testing::Test {
  OpenSearchSinkTest()
      : server(io.get_executor(), [this](Request& request) -> asio::awaitable<Response> {
          received.push_back(request);
          co_return co_await answer(request);
        }) {}

  void SetUp() override {
    ASSERT_FALSE(server.listen({asio::ip::make_address("127.0.0.1"), 0}));
    server.start();
    function = {"eu-west-1", "orders", "7"};
  }
  void TearDown() override { server.stop(); }

  ltf::opensearch::TransportOptions transport(std::string target = "/") {
    ltf::opensearch::TransportOptions t;
    t.url = {"http", "127.0.0.1", std::to_string(server.port()), std::move(target)};
    t.timeout = 5s;
    return t;
  }
  ltf::opensearch::SinkOptions options() {
    ltf::opensearch::SinkOptions o;
    o.function = function;
    return o;
  }
  Delivery deliver(OpenSearchSink& sink, const std::vector<Event>& batch) {
    return ltf::test::run_until_done(io, sink.deliver(batch));
  }
  std::vector<Request> bulks() const {
    std::vector<Request> out;
    std::copy_if(received.begin(), received.end(), std::back_inserter(out), is_bulk);
    return out;
  }

  asio::io_context io;
  std::vector<Request> received;
  ltf::telemetry::FunctionIdentity function;
  std::function<asio::awaitable<Response>(Request&)> answer =
      [](Request& r) -> asio::awaitable<Response> {
    co_return is_bulk(r) ? respond(200, all_created(r.body())) : respond(200, R"({"acknowledged":true})");
  };
  ltf::net::HttpServer server;
};

TEST_F(OpenSearchSinkTest, FirstDeliveryInstallsTemplatesAndIndicesThenSendsCreateWithEventIds) {
  OpenSearchSink sink(io.get_executor(), transport(), options());
  const auto batch = events(3);
  const Delivery delivery = deliver(sink, batch);
  EXPECT_EQ(delivery.outcome, Outcome::delivered) << delivery.detail;
  EXPECT_FALSE(delivery.per_event());

  // Templates first (three data templates and the dead-letter one), then the fixed-name indices.
  ASSERT_EQ(received.size(), 9u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(received[i].method(), http::verb::put);
    EXPECT_TRUE(received[i].target().starts_with("/_index_template/telemetry-forwarder-"))
        << received[i].target();
  }
  std::vector<std::string> created;
  for (int i = 4; i < 8; ++i) {
    EXPECT_EQ(received[i].method(), http::verb::put);
    created.emplace_back(received[i].target());
  }
  EXPECT_EQ(created, (std::vector<std::string>{"/lambda-platform", "/lambda-function",
                                               "/lambda-extension", "/lambda-telemetry-dlq"}));

  const Request& bulk = received[8];
  EXPECT_EQ(bulk.method(), http::verb::post);
  EXPECT_TRUE(bulk.target().starts_with("/_bulk?filter_path=")) << bulk.target();
  EXPECT_EQ(bulk[http::field::content_type], "application/x-ndjson");
  const auto lines = lines_of(bulk.body());
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(lines[0], R"({"create":{"_index":"lambda-function","_id":"id-0"}})");
  const json::value doc = json::parse(lines[1]);
  EXPECT_EQ(doc.at("message"), "line 0");
  EXPECT_EQ(doc.at("function_name"), "orders");
  EXPECT_EQ(sink.stats().stored, 3u);
  EXPECT_TRUE(sink.bootstrapped());

  // Bootstrapped once: the next delivery is one request.
  EXPECT_EQ(deliver(sink, batch).outcome, Outcome::delivered);
  EXPECT_EQ(received.size(), 10u);
  EXPECT_TRUE(is_bulk(received[9]));
}

TEST_F(OpenSearchSinkTest, EachItemDecidesItsEventThrottledAgainRefusedToTheDeadLetterIndex) {
  auto opts = options();
  opts.bootstrap = false;
  OpenSearchSink sink(io.get_executor(), transport(), opts);
  int bulk_count = 0;
  answer = [&](Request& r) -> asio::awaitable<Response> {
    if (++bulk_count > 1) co_return respond(200, all_created(r.body()));  // the dead-letter write
    co_return respond(200, R"({"errors":true,"items":[
      {"create":{"status":201}},
      {"create":{"status":409,"error":{"type":"version_conflict_engine_exception","reason":"exists"}}},
      {"create":{"status":429,"error":{"type":"rejected_execution_exception","reason":"queue full"}}},
      {"create":{"status":400,"error":{"type":"mapper_parsing_exception","reason":"failed to parse field [record]"}}},
      {"create":{"status":503,"error":{"type":"unavailable_shards_exception","reason":"no primary"}}}]})");
  };
  const auto batch = events(5);
  const Delivery delivery = deliver(sink, batch);
  EXPECT_EQ(delivery.outcome, Outcome::retry_later) << "throttled items wait for the backoff";
  EXPECT_EQ(delivery.retry, (std::vector<std::size_t>{2, 4}));
  EXPECT_EQ(delivery.refused, (std::vector<std::size_t>{3}));
  EXPECT_EQ(sink.stats().stored, 1u);
  EXPECT_EQ(sink.stats().duplicates, 1u);
  EXPECT_EQ(sink.stats().retried_items, 2u);

  ASSERT_EQ(received.size(), 2u);
  const auto dead = lines_of(received[1].body());
  ASSERT_EQ(dead.size(), 2u);
  EXPECT_EQ(dead[0], R"({"create":{"_index":"lambda-telemetry-dlq","_id":"id-3"}})");
  const json::value letter = json::parse(dead[1]);
  EXPECT_EQ(letter.at("original").as_string(), batch[3].raw);
  EXPECT_EQ(letter.at("error_type"), "mapper_parsing_exception");
  EXPECT_EQ(letter.at("reason"), "failed to parse field [record]");
  EXPECT_EQ(letter.at("index"), "lambda-function");
  EXPECT_EQ(letter.at("status").to_number<int>(), 400);
  EXPECT_EQ(sink.stats().dead_lettered, 1u);
}

TEST_F(OpenSearchSinkTest, AFailedDeadLetterWriteIsCountedAndToldOnceWithoutTheContent) {
  auto opts = options();
  opts.bootstrap = false;
  OpenSearchSink sink(io.get_executor(), transport(), opts);
  bool data_bulk = true;
  answer = [&](Request&) -> asio::awaitable<Response> {
    const bool first = std::exchange(data_bulk, !data_bulk);
    if (!first) co_return respond(503, R"({"error":{"type":"x","reason":"down"},"status":503})");
    co_return respond(200, R"({"errors":true,"items":[{"create":{"status":400,"error":{"type":"mapper_parsing_exception","reason":"bad"}}}]})");
  };
  std::vector<Event> batch{event(1)};
  batch[0].raw = R"({"time":"2024-05-01T10:00:00.000Z","type":"function","record":"card 4111-1111"})";
  testing::internal::CaptureStdout();
  const Delivery first = deliver(sink, batch);
  const Delivery second = deliver(sink, batch);
  const std::string log = testing::internal::GetCapturedStdout();
  EXPECT_EQ(first.refused, (std::vector<std::size_t>{0}));
  EXPECT_EQ(second.refused, (std::vector<std::size_t>{0}));
  EXPECT_EQ(sink.stats().dead_letter_failures, 2u);
  EXPECT_EQ(sink.stats().dead_lettered, 0u);
  EXPECT_EQ(log.find("4111"), std::string::npos) << log;
  std::size_t told = 0;
  for (std::size_t at = log.find("did not take"); at != std::string::npos;
       at = log.find("did not take", at + 1))
    ++told;
  EXPECT_EQ(told, 1u) << log;
}

TEST_F(OpenSearchSinkTest, EventsThatCannotBecomeDocumentsGoStraightToTheDeadLetterIndex) {
  auto opts = options();
  opts.bootstrap = false;
  opts.indices.function = "lambda-function-%Y.%m.%d";
  OpenSearchSink sink(io.get_executor(), transport(), opts);
  std::vector<Event> batch{event(0), event(1, "function", "yesterday"), event(2)};
  batch[2].raw = "[]";
  const Delivery delivery = deliver(sink, batch);
  EXPECT_EQ(delivery.outcome, Outcome::delivered);
  EXPECT_EQ(delivery.refused, (std::vector<std::size_t>{1, 2}));
  ASSERT_EQ(received.size(), 2u);
  const auto data = lines_of(received[0].body());
  ASSERT_EQ(data.size(), 2u);
  EXPECT_EQ(data[0], R"({"create":{"_index":"lambda-function-2024.05.01","_id":"id-0"}})");
  const auto dead = lines_of(received[1].body());
  ASSERT_EQ(dead.size(), 4u);
  EXPECT_EQ(json::parse(dead[1]).at("error_type"), "invalid_event");
  EXPECT_EQ(json::parse(dead[1]).at("index"), "lambda-function-%Y.%m.%d");
  EXPECT_EQ(json::parse(dead[3]).at("original"), "[]");
}

TEST_F(OpenSearchSinkTest, AMissingIndexIsCreatedOnceAndItsItemsSentAgain) {
  auto opts = options();
  opts.indices.function = "lambda-function-%Y.%m.%d";  // dated: not made by the bootstrap
  OpenSearchSink sink(io.get_executor(), transport(), opts);
  answer = [&](Request& r) -> asio::awaitable<Response> {
    if (!is_bulk(r)) co_return respond(200, R"({"acknowledged":true})");
    co_return respond(200, R"({"errors":true,"items":[{"create":{"status":404,"error":{"type":"index_not_found_exception","reason":"no such index"}}}]})");
  };
  const Delivery first = deliver(sink, {event(0)});
  EXPECT_EQ(first.retry, (std::vector<std::size_t>{0}));
  ASSERT_FALSE(received.empty());
  EXPECT_EQ(received.back().method(), http::verb::put);  // after the bulk request
  EXPECT_EQ(received.back().target(), "/lambda-function-2024.05.01");
  // Still missing after it was made: not ours to fix; dead-lettered, not retried forever.
  const Delivery second = deliver(sink, {event(0)});
  EXPECT_TRUE(second.retry.empty());
  EXPECT_EQ(second.refused, (std::vector<std::size_t>{0}));
  EXPECT_EQ(sink.stats().indices_created_on_demand, 1u);
}

TEST_F(OpenSearchSinkTest, WithoutBootstrapAMissingIndexIsNotCreatedAndItsItemsAreRefused) {
  auto opts = options();
  opts.bootstrap = false;
  opts.indices.function = "lambda-function-%Y.%m.%d";
  OpenSearchSink sink(io.get_executor(), transport(), opts);
  answer = [&](Request& r) -> asio::awaitable<Response> {
    if (!is_bulk(r)) co_return respond(200, R"({"acknowledged":true})");
    co_return respond(200, R"({"errors":true,"items":[{"create":{"status":404,"error":{"type":"index_not_found_exception","reason":"no such index"}}}]})");
  };
  const Delivery first = deliver(sink, {event(0)});
  EXPECT_TRUE(first.retry.empty());
  EXPECT_EQ(first.refused, (std::vector<std::size_t>{0}));
  EXPECT_TRUE(std::none_of(received.begin(), received.end(),
                           [](const Request& r) { return r.method() == http::verb::put; }));
  EXPECT_EQ(sink.stats().indices_created_on_demand, 0u);
}

TEST_F(OpenSearchSinkTest, WithoutIdsItemsAreIndexedAndTheEventIdStaysAField) {
  auto opts = options();
  opts.bootstrap = false;
  opts.document_ids = false;
  OpenSearchSink sink(io.get_executor(), transport(), opts);
  EXPECT_EQ(deliver(sink, events(1)).outcome, Outcome::delivered);
  const auto lines = lines_of(received.at(0).body());
  EXPECT_EQ(lines.at(0), R"({"index":{"_index":"lambda-function"}})");
  EXPECT_EQ(json::parse(lines.at(1)).at("event_id"), "id-0");

  // Data streams take create only, with or without ids.
  opts.data_streams = true;
  OpenSearchSink streams(io.get_executor(), transport(), opts);
  EXPECT_EQ(deliver(streams, events(1)).outcome, Outcome::delivered);
  EXPECT_EQ(lines_of(received.at(1).body()).at(0), R"({"create":{"_index":"lambda-function"}})");
}

TEST_F(OpenSearchSinkTest, WholeRequestThrottlingIsRetriedLaterAfterRetryAfter) {
  auto opts = options();
  opts.bootstrap = false;
  OpenSearchSink sink(io.get_executor(), transport(), opts);
  answer = [](Request&) -> asio::awaitable<Response> {
    Response r = respond(429, R"({"error":{"type":"rejected_execution_exception","reason":"coordinating"},"status":429})");
    r.set(http::field::retry_after, "7");
    co_return r;
  };
  const Delivery delivery = deliver(sink, events(2));
  EXPECT_EQ(delivery.outcome, Outcome::retry_later);
  EXPECT_FALSE(delivery.per_event());
  EXPECT_EQ(delivery.status, 429u);
  EXPECT_EQ(delivery.retry_after, std::chrono::milliseconds(7000));
  EXPECT_EQ(delivery.detail, "rejected_execution_exception: coordinating");

  answer = [](Request&) -> asio::awaitable<Response> { co_return respond(502, "Bad Gateway"); };
  EXPECT_EQ(deliver(sink, events(2)).outcome, Outcome::retry_later);
  answer = [](Request&) -> asio::awaitable<Response> {
    co_return respond(400, R"({"error":{"type":"illegal_argument_exception","reason":"Malformed action/metadata line [1]"},"status":400})");
  };
  EXPECT_EQ(deliver(sink, events(2)).outcome, Outcome::rejected) << "a malformed request never heals";
}

TEST_F(OpenSearchSinkTest, UnreachableClusterIsRetriedLater) {
  auto opts = options();
  opts.bootstrap = false;
  auto t = transport();
  server.stop();
  OpenSearchSink sink(io.get_executor(), std::move(t), opts);
  const Delivery delivery = deliver(sink, events(1));
  EXPECT_EQ(delivery.outcome, Outcome::retry_later);
  EXPECT_EQ(delivery.status, 0u);
  EXPECT_FALSE(delivery.detail.empty());
}

TEST_F(OpenSearchSinkTest, TooLargeBatchesAreHalvedUntilTheyFit) {
  auto opts = options();
  opts.bootstrap = false;
  OpenSearchSink sink(io.get_executor(), transport(), opts);
  answer = [](Request& r) -> asio::awaitable<Response> {
    if (lines_of(r.body()).size() > 4)
      co_return respond(413, R"({"Message":"Request size exceeded 10485760 bytes"})");
    co_return respond(200, all_created(r.body()));
  };
  const Delivery delivery = deliver(sink, events(4));
  EXPECT_NE(delivery.outcome, Outcome::rejected);
  EXPECT_TRUE(delivery.retry.empty());
  EXPECT_TRUE(delivery.refused.empty());
  ASSERT_EQ(received.size(), 3u);  // 4, then 2 + 2
  EXPECT_EQ(bulk_ids(received[1].body()), (std::vector<std::string>{"id-0", "id-1"}));
  EXPECT_EQ(bulk_ids(received[2].body()), (std::vector<std::string>{"id-2", "id-3"}));
  EXPECT_EQ(sink.stats().stored, 4u);
}

TEST_F(OpenSearchSinkTest, BasicAuthGoesOnEveryRequestAndIsNeverLogged) {
  auto opts = options();
  auto t = transport();
  auto auth = std::make_shared<CountingAuth>();
  t.auth = ltf::opensearch::AuthMode::basic;
  t.basic = auth;
  testing::internal::CaptureStdout();
  OpenSearchSink sink(io.get_executor(), std::move(t), opts);
  EXPECT_EQ(deliver(sink, events(2)).outcome, Outcome::delivered);
  answer = [](Request&) -> asio::awaitable<Response> {
    co_return respond(401, R"({"error":{"type":"security_exception","reason":"unauthorized"}})");
  };
  deliver(sink, events(2));
  const std::string log = testing::internal::GetCapturedStdout();
  const std::string expected = ltf::aws::BasicAuth{"ingest", "s3cr3t-pa55"}.authorization();
  ASSERT_GE(received.size(), 2u);
  for (const auto& r : received) EXPECT_EQ(r[http::field::authorization], expected) << r.target();
  EXPECT_EQ(log.find("s3cr3t-pa55"), std::string::npos) << log;
  EXPECT_EQ(log.find(expected.substr(6)), std::string::npos) << log;
  EXPECT_EQ(sink.describe().find("s3cr3t"), std::string::npos);
}

TEST_F(OpenSearchSinkTest, RefusedCredentialsAreFetchedAgainOncePerRunOfRefusals) {
  auto opts = options();
  opts.bootstrap = false;
  auto t = transport();
  auto auth = std::make_shared<CountingAuth>();
  t.auth = ltf::opensearch::AuthMode::basic;
  t.basic = auth;
  OpenSearchSink sink(io.get_executor(), std::move(t), opts);
  unsigned status = 401;
  answer = [&](Request& r) -> asio::awaitable<Response> {
    if (status == 200) co_return respond(200, all_created(r.body()));
    co_return respond(status, R"({"error":{"type":"security_exception","reason":"no"}})");
  };
  for (int i = 0; i < 3; ++i) {
    const Delivery d = deliver(sink, events(1));
    EXPECT_EQ(d.outcome, Outcome::retry_later);
    EXPECT_EQ(d.status, 401u);
  }
  EXPECT_EQ(auth->invalidations, 1) << "a wrong secret is not fetched on every retry";
  status = 200;
  EXPECT_EQ(deliver(sink, events(1)).outcome, Outcome::delivered);
  status = 403;
  EXPECT_EQ(deliver(sink, events(1)).outcome, Outcome::retry_later);
  EXPECT_EQ(auth->invalidations, 2) << "a rotation after a success is picked up";
}

TEST_F(OpenSearchSinkTest, NoCredentialsMeansNothingIsSentAndTheBatchWaits) {
  struct NoSecret final : ltf::opensearch::BasicAuthSource {
    asio::awaitable<ltf::opensearch::BasicAuthFetch> get() override {
      co_return ltf::opensearch::BasicAuthFetch{std::nullopt, "ResourceNotFoundException"};
    }
    void invalidate() override {}
    std::string describe() const override { return "none"; }
  };
  auto t = transport();
  t.auth = ltf::opensearch::AuthMode::basic;
  t.basic = std::make_shared<NoSecret>();
  OpenSearchSink sink(io.get_executor(), std::move(t), options());
  const Delivery d = deliver(sink, events(1));
  EXPECT_EQ(d.outcome, Outcome::retry_later);
  EXPECT_NE(d.detail.find("ResourceNotFoundException"), std::string::npos) << d.detail;
  EXPECT_TRUE(received.empty());
}

TEST_F(OpenSearchSinkTest, BootstrapFailuresHoldTheDocumentsBackUntilTheTemplatesAreIn) {
  bool down = true;
  answer = [&](Request& r) -> asio::awaitable<Response> {
    if (down) co_return respond(503, R"({"error":{"type":"cluster_manager_not_discovered_exception","reason":"x"}})");
    co_return is_bulk(r) ? respond(200, all_created(r.body())) : respond(200);
  };
  OpenSearchSink sink(io.get_executor(), transport(), options());
  const Delivery failed = deliver(sink, events(1));
  EXPECT_EQ(failed.outcome, Outcome::retry_later);
  EXPECT_EQ(failed.status, 503u);
  EXPECT_TRUE(bulks().empty()) << "documents before the template would fix the wrong mapping";
  down = false;
  EXPECT_EQ(deliver(sink, events(1)).outcome, Outcome::delivered);
  EXPECT_EQ(bulks().size(), 1u);
}

TEST_F(OpenSearchSinkTest, AnIndexThatExistsIsFineAnyOther400OnCreationIsReported) {
  std::string index_answer = R"({"error":{"type":"resource_already_exists_exception","reason":"index [lambda-platform/x] already exists"},"status":400})";
  answer = [&](Request& r) -> asio::awaitable<Response> {
    if (is_bulk(r)) co_return respond(200, all_created(r.body()));
    if (r.method() == http::verb::put && r.target().find("_index_template") == std::string_view::npos)
      co_return respond(400, index_answer);
    co_return respond(200, R"({"acknowledged":true})");
  };
  {
    OpenSearchSink sink(io.get_executor(), transport(), options());
    testing::internal::CaptureStdout();
    EXPECT_EQ(deliver(sink, events(1)).outcome, Outcome::delivered);
    const std::string log = testing::internal::GetCapturedStdout();
    EXPECT_EQ(log.find("refused index"), std::string::npos) << log;
  }
  index_answer = R"({"error":{"type":"illegal_argument_exception","reason":"unknown setting [index.bogus]"},"status":400})";
  OpenSearchSink sink(io.get_executor(), transport(), options());
  testing::internal::CaptureStdout();
  EXPECT_EQ(deliver(sink, events(1)).outcome, Outcome::delivered) << "documents still go";
  const std::string log = testing::internal::GetCapturedStdout();
  EXPECT_NE(log.find("refused index"), std::string::npos) << log;
  EXPECT_NE(log.find("illegal_argument_exception"), std::string::npos) << log;
}

TEST_F(OpenSearchSinkTest, ARoleThatMayOnlyWriteDocumentsStillDelivers) {
  answer = [&](Request& r) -> asio::awaitable<Response> {
    if (!is_bulk(r)) co_return respond(403, R"({"error":{"type":"security_exception","reason":"no permissions for [indices:admin/index_template/put]"}})");
    co_return respond(200, all_created(r.body()));
  };
  OpenSearchSink sink(io.get_executor(), transport(), options());
  testing::internal::CaptureStdout();
  EXPECT_EQ(deliver(sink, events(1)).outcome, Outcome::delivered);
  const std::string log = testing::internal::GetCapturedStdout();
  EXPECT_NE(log.find("refused to install index templates"), std::string::npos) << log;
  const auto before = received.size();
  EXPECT_EQ(deliver(sink, events(1)).outcome, Outcome::delivered);
  EXPECT_EQ(received.size(), before + 1) << "not asked again on every delivery";
}

TEST_F(OpenSearchSinkTest, ClustersWithoutFlatObjectGetObjectRecords) {
  std::vector<std::string> template_records;
  answer = [&](Request& r) -> asio::awaitable<Response> {
    if (is_bulk(r)) co_return respond(200, all_created(r.body()));
    if (!r.target().starts_with("/_index_template/")) co_return respond(200);
    const json::value body = json::parse(r.body());
    const json::value* record =
        body.at("template").at("mappings").at("properties").as_object().if_contains("record");
    const std::string type = record ? std::string(record->at("type").as_string()) : "";
    template_records.push_back(type);
    if (type == "flat_object")
      co_return respond(400, R"({"error":{"type":"mapper_parsing_exception","reason":"No handler for type [flat_object] declared on field [record]"},"status":400})");
    co_return respond(200);
  };
  OpenSearchSink sink(io.get_executor(), transport(), options());
  EXPECT_EQ(deliver(sink, events(1)).outcome, Outcome::delivered);
  // platform: object; function: flat_object refused, then object; extension: object at once.
  EXPECT_EQ(template_records, (std::vector<std::string>{"object", "flat_object", "object", "object", ""}));
}

TEST_F(OpenSearchSinkTest, SigV4SignsTheCompressedBytesForServerless) {
  auto opts = options();
  opts.gzip = true;
  auto t = transport("/prefix/");
  t.auth = ltf::opensearch::AuthMode::sigv4;
  const ltf::aws::Credentials credentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                          "session-token"};
  t.signer.service = "aoss";
  t.signer.credentials = ltf::aws::fixed_credentials({credentials, "eu-west-1"});
  OpenSearchSink sink(io.get_executor(), std::move(t), opts);
  const Delivery delivery = deliver(sink, events(2));
  EXPECT_EQ(delivery.outcome, Outcome::delivered) << delivery.detail;

  ASSERT_GE(received.size(), 2u);
  ltf::aws::VerifyParams params;
  params.region = "eu-west-1";
  params.service = "aoss";
  params.require_content_sha256 = true;
  for (const auto& r : received) {
    EXPECT_TRUE(r.target().starts_with("/prefix/")) << r.target();
    const auto verdict = ltf::aws::verify_signature(r, credentials, params);
    EXPECT_TRUE(verdict.ok) << r.target() << ": " << verdict.code << " " << verdict.reason;
    EXPECT_EQ(r["x-amz-content-sha256"], ltf::aws::sha256_hex(r.body()));
  }
  const Request bulk = bulks().at(0);
  EXPECT_EQ(bulk[http::field::content_encoding], "gzip");
  const auto inflated = ltf::net::gunzip(bulk.body(), 1 << 20);
  ASSERT_TRUE(inflated.ok());
  EXPECT_EQ(lines_of(inflated.data).size(), 4u);
}

// ---------------------------------------------------------------------------------------------
// What the configuration leaves unset

ltf::Config config_with(std::optional<std::string> secret = {}) {
  ltf::Config c;
  c.region = "us-east-1";
  c.opensearch_auth_secret = std::move(secret);
  return c;
}

TEST(OpenSearchOptions, AuthIsTheSeedsBasicWithASecretElseSigV4ForAwsHostsElseNone) {
  using ltf::opensearch::AuthMode;
  using ltf::opensearch::resolve_auth;
  const std::string domain = "search-logs-abc123.eu-west-1.es.amazonaws.com";
  const std::string collection = "abc123.us-west-2.aoss.amazonaws.com";
  EXPECT_EQ(resolve_auth(config_with("arn:secret"), domain), AuthMode::basic);
  EXPECT_EQ(resolve_auth(config_with(), domain), AuthMode::sigv4);
  EXPECT_EQ(resolve_auth(config_with(), collection), AuthMode::sigv4);
  EXPECT_EQ(resolve_auth(config_with("arn:secret"), collection), AuthMode::sigv4)
      << "Serverless takes SigV4 only, whatever the secret";
  auto serverless = config_with("arn:secret");
  serverless.opensearch_service = "aoss";
  EXPECT_EQ(resolve_auth(serverless, "vpce-123.example"), AuthMode::sigv4);
  EXPECT_EQ(resolve_auth(config_with(), "opensearch.internal"), AuthMode::none);
  EXPECT_EQ(resolve_auth(config_with("s"), "opensearch.internal"), AuthMode::basic);
  auto explicit_config = config_with("s");
  explicit_config.opensearch_auth = ltf::Config::OpenSearchAuth::sigv4;
  EXPECT_EQ(resolve_auth(explicit_config, "opensearch.internal"), AuthMode::sigv4);
  explicit_config.opensearch_auth = ltf::Config::OpenSearchAuth::none;
  EXPECT_EQ(resolve_auth(explicit_config, domain), AuthMode::none);
}

TEST(OpenSearchOptions, ServiceAndRegionComeFromTheHostUnlessConfigured) {
  using ltf::opensearch::resolve_region;
  using ltf::opensearch::resolve_service;
  auto c = config_with();
  EXPECT_EQ(resolve_service(c, "search-logs-abc.eu-west-1.es.amazonaws.com"), "es");
  EXPECT_EQ(resolve_region(c, "search-logs-abc.eu-west-1.es.amazonaws.com"), "eu-west-1");
  EXPECT_EQ(resolve_service(c, "vpc-logs-abc.cn-north-1.es.amazonaws.com.cn"), "es");
  EXPECT_EQ(resolve_region(c, "vpc-logs-abc.cn-north-1.es.amazonaws.com.cn"), "cn-north-1");
  EXPECT_EQ(resolve_service(c, "abc.us-west-2.aoss.amazonaws.com"), "aoss");
  EXPECT_EQ(resolve_region(c, "abc.us-west-2.aoss.amazonaws.com"), "us-west-2");
  EXPECT_EQ(resolve_service(c, "logs.example.com"), "es");
  EXPECT_EQ(resolve_region(c, "logs.example.com"), "us-east-1");
  c.opensearch_service = "aoss";
  c.opensearch_region = "ap-south-1";
  EXPECT_EQ(resolve_service(c, "logs.example.com"), "aoss");
  EXPECT_EQ(resolve_region(c, "search-logs-abc.eu-west-1.es.amazonaws.com"), "ap-south-1");
}

}  // namespace
