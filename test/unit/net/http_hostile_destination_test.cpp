// HttpClient against a destination that misbehaves in every way we know (support/
// hostile_destination.hpp): each exchange ends within its timeout, holds memory bounded by the
// client's limits, and a connection that misbehaved is never used again. Bodies read through a
// BodyReader cost one piece of memory, whatever their size.
#include "ltf/net.hpp"
#include "support/await.hpp"
#include "support/hostile_destination.hpp"
#include "support/peak_rss.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/beast/core/error.hpp>

#include <gtest/gtest.h>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using namespace std::chrono_literals;
using ltf::net::HttpClient;
using ltf::net::Request;
using ltf::test::HostileDestination;
using ltf::test::Misbehaviour;
using ltf::test::UpstreamAnswer;
using Clock = std::chrono::steady_clock;

constexpr auto kTimeout = 300ms;
// What a loaded test machine may add to a timeout; far below any misbehaviour's own length
// (a drip takes seconds, the endless ones never end).
constexpr auto kSlack = 700ms;

ltf::test::Upstream fixed(std::string body) {
  return [body](http::request<http::string_body>&) -> asio::awaitable<UpstreamAnswer> {
    co_return UpstreamAnswer{200, "application/json", body};
  };
}

Request post(std::string body) {
  Request r{http::verb::post, "/in", 11};
  r.body() = std::move(body);
  return r;
}

// A body that cannot sit in the socket buffers of both ends: writing it blocks on a peer that
// does not read.
std::string larger_than_socket_buffers() { return std::string(16 * 1024 * 1024, 'x'); }

class HttpHostileDestination : public testing::TestWithParam<Misbehaviour> {};

TEST_P(HttpHostileDestination, TheExchangeEndsWithinItsTimeoutAndTheNextOneIsClean) {
  const Misbehaviour way = GetParam();
  asio::io_context io;
  HostileDestination peer(io.get_executor(), fixed(R"({"errors":false,"padding":"0123456789"})"));
  peer.set_drip_interval(50ms);
  peer.misbehave(way);
  HttpClient client(io.get_executor(), "127.0.0.1", std::to_string(peer.port()));
  Request request = post(way == Misbehaviour::never_read ? larger_than_socket_buffers() : "[]");

  ltf::test::PeakRss rss;
  const auto start = Clock::now();
  const auto exchange = ltf::test::run_until_done(io, client.send(std::move(request), kTimeout));
  const auto took = Clock::now() - start;
  const long growth = rss.growth_kib();

  switch (way) {
    case Misbehaviour::stray_bytes:
    case Misbehaviour::interim_answers:
      EXPECT_TRUE(exchange.ok()) << exchange.error.message();
      EXPECT_EQ(exchange.response.result_int(), 200);
      break;
    case Misbehaviour::endless_chunks:
    case Misbehaviour::huge_body:
      EXPECT_EQ(exchange.error, http::error::body_limit) << exchange.error.message();
      break;
    case Misbehaviour::drip:
    case Misbehaviour::never_read:
    case Misbehaviour::never_answer:
      EXPECT_EQ(exchange.error, beast::error::timeout) << exchange.error.message();
      EXPECT_GE(took, kTimeout - 10ms);
      break;
    case Misbehaviour::close_mid_answer:
      EXPECT_FALSE(exchange.ok());
      break;
    case Misbehaviour::none:
      break;
  }
  EXPECT_LT(took, kTimeout + kSlack);
  // The client holds at most its response body limit (1 MiB) and a read buffer.
  EXPECT_LT(growth, 8 * 1024 * ltf::test::kRssBoundFactor) << "KiB";
  ltf::test::record((std::string("client_") + ltf::test::name(way) + "_peak_rss_growth").c_str(),
                    growth, "KiB");
  EXPECT_GE(peer.misbehaved(), 1u);

  // The destination recovers: the next exchange gets its own answer on a new connection.
  peer.misbehave(Misbehaviour::none);
  const auto opened = client.connections_opened();
  const auto next = ltf::test::run_until_done(io, client.send(post("[]"), 5s));
  EXPECT_TRUE(next.ok()) << next.error.message();
  EXPECT_EQ(next.response.body(), R"({"errors":false,"padding":"0123456789"})");
  // Only a connection whose last answer ended cleanly is used again: after 1xx answers and the
  // final one it is; after anything else a new one is opened.
  const auto expected = way == Misbehaviour::interim_answers ? opened : opened + 1;
  EXPECT_EQ(client.connections_opened(), expected) << "a connection that misbehaved was reused";
}

INSTANTIATE_TEST_SUITE_P(Every, HttpHostileDestination,
                         testing::ValuesIn(ltf::test::every_misbehaviour()),
                         [](const auto& tested) { return std::string(ltf::test::name(tested.param)); });

// Counts the body's pieces; stops after `stop_after` bytes when set.
struct CountingReader final : ltf::net::BodyReader {
  unsigned status = 0;
  std::size_t pieces = 0, bytes = 0, largest = 0;
  std::size_t stop_after = std::size_t(-1);
  std::string kept;
  void start(const http::response_header<>& head) override { status = head.result_int(); }
  bool take(std::string_view piece) override {
    ++pieces;
    bytes += piece.size();
    largest = std::max(largest, piece.size());
    if (kept.size() < 64) kept.append(piece.substr(0, 64 - kept.size()));
    return bytes < stop_after;
  }
};

TEST(HttpBodyReader, TheBodyArrivesInPiecesNoLargerThanOne) {
  asio::io_context io;
  const std::string body = "[" + std::string(100 * 1024, ' ') + "]";
  HostileDestination peer(io.get_executor(), fixed(body));
  HttpClient client(io.get_executor(), "127.0.0.1", std::to_string(peer.port()));
  CountingReader reader;
  const auto exchange = ltf::test::run_until_done(io, client.send(post("x"), 5s, reader));
  ASSERT_TRUE(exchange.ok()) << exchange.error.message();
  EXPECT_EQ(reader.status, 200u);
  EXPECT_EQ(reader.bytes, body.size());
  EXPECT_LE(reader.largest, ltf::net::body_piece_bytes);
  EXPECT_GE(reader.pieces, body.size() / ltf::net::body_piece_bytes);
  EXPECT_TRUE(exchange.response.body().empty()) << "the body went to the reader only";
  // A clean answer read to its end: the connection is kept.
  CountingReader again;
  EXPECT_TRUE(ltf::test::run_until_done(io, client.send(post("y"), 5s, again)).ok());
  EXPECT_EQ(client.connections_opened(), 1u);
}

TEST(HttpBodyReader, AReaderThatWantsNoMoreLeavesTheRestUnreadAndTheConnectionIsDropped) {
  asio::io_context io;
  HostileDestination peer(io.get_executor(), fixed(R"({"error":"start"})"));
  peer.misbehave(Misbehaviour::endless_chunks);
  HttpClient client(io.get_executor(), "127.0.0.1", std::to_string(peer.port()));
  CountingReader reader;
  reader.stop_after = 1;
  const auto exchange = ltf::test::run_until_done(io, client.send(post("x"), 5s, reader));
  ASSERT_TRUE(exchange.ok()) << exchange.error.message();
  EXPECT_EQ(exchange.response.result_int(), 200);
  EXPECT_EQ(reader.kept.substr(0, 17), R"({"error":"start"})");
  peer.misbehave(Misbehaviour::none);
  CountingReader next;
  EXPECT_TRUE(ltf::test::run_until_done(io, client.send(post("y"), 5s, next)).ok());
  EXPECT_EQ(client.connections_opened(), 2u);
}

// Before: answers were read whole into a string, up to the body limit.
TEST(HttpBodyReader, AnEndlessBodyReadThroughAReaderCostsOnePieceOfMemory) {
  asio::io_context io;
  HostileDestination peer(io.get_executor(), fixed("{}"));
  peer.misbehave(Misbehaviour::endless_chunks);
  ltf::net::ClientLimits limits;
  limits.response_body_limit = 32 * 1024 * 1024;
  HttpClient client(io.get_executor(), "127.0.0.1", std::to_string(peer.port()), limits);
  CountingReader reader;
  ltf::test::PeakRss rss;
  const auto exchange =
      ltf::test::run_until_done(io, client.send(post("x"), 100s, reader), std::chrono::seconds(120));
  const long growth = rss.growth_kib();
  EXPECT_EQ(exchange.error, http::error::body_limit) << exchange.error.message();
  EXPECT_GE(reader.bytes, 30u * 1024 * 1024) << "read up to the limit";
  if (ltf::test::kStreamingBoundsHold) {
    EXPECT_LT(growth, 8 * 1024) << "KiB";
  }
  ltf::test::record("client_reader_32mib_body_peak_rss_growth", growth, "KiB");
}

// Before: Beast's stream timeout only fires while a read waits, and a body arriving faster than it
// was read never left one waiting: the exchange went on until the body limit, whatever its timeout.
TEST(HttpBodyReader, ABodyArrivingFasterThanItIsReadStillEndsAtTheTimeout) {
  asio::io_context io;
  HostileDestination peer(io.get_executor(), fixed("{}"));
  peer.misbehave(Misbehaviour::endless_chunks);
  ltf::net::ClientLimits limits;
  limits.response_body_limit = std::uint64_t(1) << 40;
  HttpClient client(io.get_executor(), "127.0.0.1", std::to_string(peer.port()), limits);
  CountingReader reader;
  const auto start = Clock::now();
  const auto exchange = ltf::test::run_until_done(io, client.send(post("x"), kTimeout, reader));
  const auto took = Clock::now() - start;
  EXPECT_EQ(exchange.error, beast::error::timeout) << exchange.error.message();
  EXPECT_GE(took, kTimeout);
  EXPECT_LT(took, kTimeout + kSlack);
  EXPECT_GT(reader.bytes, 0u);
}

}  // namespace
