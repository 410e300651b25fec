// The OpenSearch sink reads a _bulk answer as it arrives: a huge answer costs the sink one piece of
// memory and the items of its batch, never the body. Peak RSS is measured in a forked child
// (support/peak_rss.hpp) that runs both the sink and a cluster streaming a padded answer.
#include "opensearch_sink_fixture.hpp"
#include "support/await.hpp"
#include "support/peak_rss.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>

#include <gtest/gtest.h>

#include <cstdio>

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::ip::tcp;
using ltf::sinks::Outcome;
using ltf::test::peak_rss_growth_in_child;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

constexpr std::string_view kPrefix = R"({"took":3,"errors":false,"items":[{"create":{"status":201}}],"padding":")";
constexpr std::string_view kSuffix = R"("})";
constexpr std::uint64_t MiB = 1024 * 1024;

// A cluster that answers each _bulk with one created item and `padding` bytes inside a string
// member, sent from one 64 KiB piece over and over (so the cluster itself holds nothing), chunked
// or with its Content-Length.
struct PaddingCluster {
  PaddingCluster(asio::io_context& io, std::uint64_t padding_bytes, bool chunked_body)
      : acceptor(io, {asio::ip::make_address("127.0.0.1"), 0}),
        padding(padding_bytes),
        chunked(chunked_body) {
    asio::co_spawn(io, serve(), asio::detached);
  }
  std::uint16_t port() const { return acceptor.local_endpoint().port(); }

  std::string framed(std::string_view data) const {
    if (!chunked) return std::string(data);
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    return size + std::string(data) + "\r\n";
  }

  asio::awaitable<void> serve() {
    auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
    if (ec) co_return;
    boost::beast::flat_buffer buffer;
    http::request<http::string_body> request;
    auto [rec, n] = co_await http::async_read(socket, buffer, request, use_tuple);
    if (rec) co_return;
    const std::uint64_t total = kPrefix.size() + padding + kSuffix.size();
    std::string head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n";
    head += chunked ? "Transfer-Encoding: chunked\r\n\r\n"
                    : "Content-Length: " + std::to_string(total) + "\r\n\r\n";
    // Nothing allocated per piece: a sanitizer's allocator would keep every freed one.
    const std::string start = head + framed(kPrefix);
    const std::string piece = framed(std::string(64 * 1024, 'x'));
    const std::string end = framed(kSuffix) + (chunked ? "0\r\n\r\n" : "");
    const std::uint64_t piece_bytes = 64 * 1024;  // padding is a multiple of it in these tests
    if (std::get<0>(co_await asio::async_write(socket, asio::buffer(start), use_tuple))) co_return;
    for (std::uint64_t sent = 0; sent < padding; sent += piece_bytes)
      if (std::get<0>(co_await asio::async_write(socket, asio::buffer(piece), use_tuple))) co_return;
    co_await asio::async_write(socket, asio::buffer(end), use_tuple);
  }

  tcp::acceptor acceptor;
  std::uint64_t padding;
  bool chunked;
};

// What one delivery of one event to a PaddingCluster gives: 0 delivered and stored, 1 to retry
// later, 2 anything else.
int deliver_one(std::uint64_t padding, bool chunked) {
  asio::io_context io;
  PaddingCluster cluster(io, padding, chunked);
  ltf::opensearch::TransportOptions transport;
  transport.url = {"http", "127.0.0.1", std::to_string(cluster.port()), "/"};
  transport.timeout = std::chrono::seconds(60);
  ltf::opensearch::SinkOptions options;
  options.bootstrap = false;
  ltf::opensearch::OpenSearchSink sink(io.get_executor(), transport, options);
  const auto batch = ltf::test::opensearch_sink::events(1);
  const auto delivery = ltf::test::run_until_done(io, sink.deliver(batch), std::chrono::seconds(120));
  if (delivery.outcome == Outcome::delivered && sink.stats().stored == 1) return 0;
  if (delivery.outcome == Outcome::retry_later) return 1;
  return 2;
}

// Before: the answer was read whole into a string first (up to 32 MiB), then walked.
TEST(OpenSearchStreamedAnswer, A30MiBAnswerIsReadToItsEndInOnePieceOfMemory) {
  const auto [growth, outcome] = peak_rss_growth_in_child([] { return deliver_one(30 * MiB, true); });
  EXPECT_EQ(outcome, 0) << "the one item was read after 30 MiB of padding";
  if (ltf::test::kStreamingBoundsHold) {
    EXPECT_LT(growth, 12) << "peak RSS grew by " << growth << " MiB";
  }
  ltf::test::record("opensearch_30mib_answer_peak_rss_growth", growth * 1024, "KiB");
}

// Before: 32 MiB of it were read into memory before the body limit ended the exchange.
TEST(OpenSearchStreamedAnswer, A200MBStreamedAnswerEndsAtTheBodyLimitHavingHeldNoneOfIt) {
  const auto [growth, outcome] = peak_rss_growth_in_child([] { return deliver_one(200 * MiB, true); });
  EXPECT_EQ(outcome, 1) << "past the answer limit the batch is retried, not taken as stored";
  if (ltf::test::kStreamingBoundsHold) {
    EXPECT_LT(growth, 12) << "peak RSS grew by " << growth << " MiB";
  }
  ltf::test::record("opensearch_200mb_streamed_answer_peak_rss_growth", growth * 1024, "KiB");
}

TEST(OpenSearchStreamedAnswer, A200MBAdvertisedAnswerIsRefusedBeforeItsBody) {
  const auto started = std::chrono::steady_clock::now();
  const auto [growth, outcome] = peak_rss_growth_in_child([] { return deliver_one(200 * MiB, false); });
  EXPECT_EQ(outcome, 1);
  EXPECT_LT(growth, 12 * ltf::test::kRssBoundFactor) << "peak RSS grew by " << growth << " MiB";
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  ltf::test::record("opensearch_200mb_advertised_answer_peak_rss_growth", growth * 1024, "KiB");
}

// The streamed reader says what the whole-body parser says, wherever the pieces are cut.
TEST(OpenSearchStreamedAnswer, PiecesCutAnywhereGiveTheSameItems) {
  const std::string body =
      R"({"errors":true,"items":[{"create":{"status":201}},{"create":{"status":400,"error":{"type":"mapper_parsing_exception","reason":"bad \u0066ield"}}},{"index":{"status":429}}]}   )";
  const auto whole = ltf::opensearch::parse_bulk_response(body, 3);
  ASSERT_TRUE(whole);
  for (std::size_t cut = 1; cut < 7; ++cut) {
    ltf::opensearch::BulkAnswerReader reader(3);
    for (std::size_t at = 0; at < body.size(); at += cut)
      ASSERT_TRUE(reader.write(std::string_view(body).substr(at, cut))) << cut << " " << at;
    std::string why;
    const auto items = reader.finish(&why);
    ASSERT_TRUE(items) << why;
    ASSERT_EQ(items->size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) {
      EXPECT_EQ((*items)[i].status, (*whole)[i].status);
      EXPECT_EQ((*items)[i].error_type, (*whole)[i].error_type);
      EXPECT_EQ((*items)[i].reason, (*whole)[i].reason);
    }
  }
  ltf::opensearch::BulkAnswerReader trailing(1);
  EXPECT_TRUE(trailing.write(R"({"items":[{"create":{"status":201}}]})"));
  EXPECT_FALSE(trailing.write(" {"));
  std::string why;
  EXPECT_FALSE(trailing.finish(&why));
  ltf::opensearch::BulkAnswerReader cut_short(1);
  EXPECT_TRUE(cut_short.write(R"({"items":[{"create":{"status":201}})"));
  EXPECT_FALSE(cut_short.finish(&why));
  EXPECT_NE(why.find("not JSON"), std::string::npos) << why;
}

}  // namespace
