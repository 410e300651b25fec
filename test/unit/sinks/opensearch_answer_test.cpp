// Hostile answers from a cluster: huge bodies cost memory in proportion to the batch, never a JSON
// tree; server strings come back bounded and on one line.
#include "ltf/log.hpp"
#include "ltf/opensearch.hpp"
#include "support/await.hpp"
#include "support/peak_rss.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/log/core.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

namespace {

using ltf::opensearch::error_summary;
using ltf::opensearch::parse_bulk_response;
using ltf::test::peak_rss_growth_in_child;

// A _bulk answer for `items` items, each padded with an array of small numbers to about
// `item_bytes`: the shape that costs a JSON tree the most per byte of answer.
std::string padded_answer(std::size_t items, std::size_t item_bytes) {
  std::string pad = "[0";
  while (pad.size() + 2 < item_bytes) pad += ",0";
  pad += "]";
  std::string body = R"({"took":3,"errors":true,"items":[)";
  body.reserve(items * (pad.size() + 128));
  for (std::size_t i = 0; i < items; ++i) {
    if (i) body += ',';
    body += R"({"create":{"_index":"lambda-function","_shards":)" + pad +
            R"(,"status":400,"error":{"type":"mapper_parsing_exception","reason":"bad","caused_by":{"type":"x","padding":)" +
            pad + "}}}}";
  }
  return body + "]}";
}

// Before: the 30 MB answer became a JSON tree of about 500 MB.
TEST(OpenSearchAnswer, A30MBBulkAnswerCostsMemoryInProportionToTheBatchNotItsSize) {
  const std::string body = padded_answer(1000, 15'000);
  ASSERT_GT(body.size(), 30'000'000u);
  const auto started = std::chrono::steady_clock::now();
  const auto [growth, items] = peak_rss_growth_in_child([&] {
    const auto parsed = parse_bulk_response(body, 1000);
    return parsed ? static_cast<int>(parsed->size() / 10) : 255;
  });
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(items, 100) << "all 1000 items read";
  EXPECT_LT(growth, 16) << "peak RSS grew by " << growth << " MiB";
  RecordProperty("peak_rss_growth_mib", std::to_string(growth));
  RecordProperty("ms", std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
}

TEST(OpenSearchAnswer, MoreItemsThanWereSentAreCountedNeverKept) {
  std::string why;
  const std::string body = padded_answer(5000, 8);
  EXPECT_FALSE(parse_bulk_response(body, 2, &why));
  EXPECT_NE(why.find("5000 items for 2 actions"), std::string::npos) << why;
}

// Before: error.type was kept (and logged) whole, newlines and all.
TEST(OpenSearchAnswer, ErrorTypesAndReasonsAreBoundedAndOnOneLine) {
  const std::string hostile = "mapper\\n[telemetry-forwarder] error forged\\r\\u001b[31m" +
                              std::string(100'000, 't');
  const std::string body = R"({"items":[{"create":{"status":400,"error":{"type":")" + hostile +
                           R"(","reason":")" + hostile + R"("}}}]})";
  const auto items = parse_bulk_response(body, 1);
  ASSERT_TRUE(items);
  const auto& item = (*items)[0];
  EXPECT_LE(item.error_type.size(), ltf::opensearch::max_error_type_bytes);
  EXPECT_LE(item.reason.size(), ltf::opensearch::max_reason_bytes);
  for (const std::string* text : {&item.error_type, &item.reason}) {
    EXPECT_EQ(text->find('\n'), std::string::npos) << *text;
    EXPECT_EQ(text->find('\r'), std::string::npos) << *text;
    EXPECT_EQ(text->find('\x1b'), std::string::npos) << *text;
    EXPECT_TRUE(text->starts_with("mapper [telemetry-forwarder] error forged")) << *text;
  }
}

TEST(OpenSearchAnswer, StringsSplitAcrossEscapesAreReadWhole) {
  const auto items = parse_bulk_response(
      R"({"items":[{"create":{"status":404,"error":{"type":"index_not_\u0066ound_exception","reason":"a\"b"}}}]})",
      1);
  ASSERT_TRUE(items);
  EXPECT_EQ((*items)[0].error_type, "index_not_found_exception");
  EXPECT_EQ((*items)[0].reason, "a\"b");
}

// Before: a 30 MB error body was parsed whole into a tree, past the SHUTDOWN deadline.
TEST(OpenSearchAnswer, AHugeErrorBodyIsReadOnlyAsFarAsItsStart) {
  std::string body = R"({"error":{"type":"es_rejected_execution_exception","reason":"queue full"},"padding":)";
  body += padded_answer(1000, 15'000) + "}";
  const auto started = std::chrono::steady_clock::now();
  const auto [growth, ok] = peak_rss_growth_in_child([&] {
    return error_summary(body) == "es_rejected_execution_exception: queue full" ? 0 : 1;
  });
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(ok, 0);
  EXPECT_LT(growth, 16) << "peak RSS grew by " << growth << " MiB";
  EXPECT_LT(took, std::chrono::seconds(1));
  // The AWS form, and a body that is not JSON at all, bounded either way.
  EXPECT_EQ(error_summary(R"({"Message":"Request size exceeded"})"), "Request size exceeded");
  EXPECT_LE(error_summary(std::string(30'000'000, '<')).size(), 256u);
}

// Before: every distinct error.type was remembered (and logged, newlines and all) for ever.
TEST(OpenSearchAnswer, ServerChosenErrorTypesAreLoggedAndRememberedOnlyUpToALimit) {
  namespace asio = boost::asio;
  namespace http = boost::beast::http;
  asio::io_context io;
  int answers = 0;
  ltf::net::HttpServer server(io.get_executor(),
                              [&](ltf::net::Request&) -> asio::awaitable<ltf::net::Response> {
                                ltf::net::Response response{http::status::ok, 11};
                                response.body() =
                                    R"({"errors":true,"items":[{"create":{"status":400,"error":{"type":"kind-)" +
                                    std::to_string(++answers) +
                                    R"(\n[telemetry-forwarder] error forged","reason":"r"}}}]})";
                                co_return response;
                              });
  ASSERT_FALSE(server.listen({asio::ip::make_address("127.0.0.1"), 0}));
  server.start();
  ltf::opensearch::TransportOptions transport;
  transport.url = {"http", "127.0.0.1", std::to_string(server.port()), "/"};
  transport.timeout = std::chrono::seconds(5);
  ltf::opensearch::SinkOptions options;
  options.bootstrap = false;
  ltf::opensearch::OpenSearchSink sink(io.get_executor(), transport, options);
  ltf::telemetry::Event event;
  event.type = "function";
  event.time = "2024-05-01T10:00:00.000Z";
  event.raw = R"({"time":"2024-05-01T10:00:00.000Z","type":"function","record":"x"})";
  event.id = "id";
  const std::vector<ltf::telemetry::Event> batch{event};

  ltf::log::init(ltf::log::Level::info);
  testing::internal::CaptureStdout();
  std::size_t refused = 0;
  std::string detail;
  for (int i = 0; i < 100; ++i) {
    const auto delivery = ltf::test::run_until_done(io, sink.deliver(batch));
    refused += delivery.refused.size();
    detail = delivery.detail;
  }
  const std::string log = testing::internal::GetCapturedStdout();
  EXPECT_EQ(refused, 100u) << detail;
  // Back to Boost.Log's defaults (its own console sink), which the other tests here rely on.
  boost::log::core::get()->remove_all_sinks();
  boost::log::core::get()->reset_filter();
  boost::log::core::get()->set_logging_enabled(true);
  server.stop();
  const auto lines = static_cast<std::size_t>(std::count(log.begin(), log.end(), '\n'));
  EXPECT_EQ(lines, ltf::opensearch::max_reported_kinds) << log.substr(0, 3000);
  EXPECT_EQ(log.find("\n[telemetry-forwarder] error forged"), std::string::npos);
}

}  // namespace
