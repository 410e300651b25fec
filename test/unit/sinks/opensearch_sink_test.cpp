// The OpenSearch sink: bootstrap, item-by-item results, dead letters, ids, throttling, splits.
#include "opensearch_sink_fixture.hpp"

namespace {

using namespace ltf::test::opensearch_sink;

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


}  // namespace
