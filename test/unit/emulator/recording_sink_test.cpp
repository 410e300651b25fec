// RecordingSink: what it records, how it accounts function lines, and each fault mode as a sender
// experiences it over real HTTP.
#include "extension_script.hpp"
#include "support/await.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/beast/core/error.hpp>
#include <gtest/gtest.h>

#include <functional>
#include <zlib.h>

namespace ltf::emulator {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
namespace http = boost::beast::http;

const std::string two_lines =
    R"([{"time":"2024-01-01T00:00:00.000Z","type":"function","record":"line one"},)"
    R"({"time":"2024-01-01T00:00:00.000Z","type":"function","record":{"level":"INFO","message":"line two"}},)"
    R"({"time":"2024-01-01T00:00:00.000Z","type":"platform.start","record":{"requestId":"r"}}])";

std::string gzip(const std::string& text) {
  z_stream stream{};
  deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&stream, text.size()), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  stream.avail_in = static_cast<uInt>(text.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

class RecordingSinkTest : public ::testing::Test {
 protected:
  RecordingSinkTest() { EXPECT_FALSE(sink.listen()); }

  asio::awaitable<net::Exchange> post(std::string body, std::string encoding = "",
                                      std::chrono::milliseconds timeout = 5s) {
    net::HttpClient client(io.get_executor(), "127.0.0.1", std::to_string(sink.port()));
    net::Request request{http::verb::post, "/bulk", 11};
    request.set(http::field::content_type, "application/json");
    if (!encoding.empty()) request.set(http::field::content_encoding, encoding);
    request.body() = std::move(body);
    co_return co_await client.send(std::move(request), timeout);
  }
  void run(asio::awaitable<void> body) { ltf::test::run_until_done(io, std::move(body), 20s); }

  asio::io_context io;
  RecordingSink sink{io.get_executor(), 7};
};

TEST_F(RecordingSinkTest, RecordsEventsByTypeAndLinesFromStringAndObjectRecords) {
  run([&]() -> asio::awaitable<void> {
    auto exchange = co_await post(two_lines);
    EXPECT_TRUE(exchange.ok());
    EXPECT_EQ(exchange.response.result_int(), 200u);
    EXPECT_TRUE(co_await sink.wait_for_lines(2));
  }());
  EXPECT_EQ(sink.events(), 3u);
  EXPECT_EQ(sink.events_of_type("function"), 2u);
  EXPECT_EQ(sink.events_of_type("platform.start"), 1u);
  EXPECT_EQ(sink.line_counts().at("line one"), 1u);
  EXPECT_EQ(sink.line_counts().at("line two"), 1u);
  ASSERT_EQ(sink.received().size(), 1u);
  EXPECT_EQ(sink.received()[0].target, "/bulk");
  EXPECT_EQ(sink.received()[0].events, 3u);
  EXPECT_EQ(sink.bytes(), two_lines.size());
}

TEST_F(RecordingSinkTest, AcceptsGzipAndRejectsWhatIsNotAnArrayOfEvents) {
  run([&]() -> asio::awaitable<void> {
    EXPECT_EQ((co_await post(gzip(two_lines), "gzip")).response.result_int(), 200u);
    EXPECT_EQ((co_await post(R"({"type":"function"})")).response.result_int(), 400u);
    EXPECT_EQ((co_await post("[1,2]")).response.result_int(), 400u);
    EXPECT_EQ((co_await post("garbage", "gzip")).response.result_int(), 400u);
  }());
  EXPECT_EQ(sink.lines(), 2u);
  EXPECT_EQ(sink.invalid_bodies(), 3u);
  EXPECT_EQ(sink.requests(), 4u);
  EXPECT_EQ(sink.accepted_requests(), 1u);
}

TEST_F(RecordingSinkTest, AccountsLostDuplicatedAndUnexpectedLines) {
  run([&]() -> asio::awaitable<void> {
    co_await post(two_lines);
    co_await post(two_lines);
  }());
  auto lines = sink.account({"line one", "line two", "line three"});
  EXPECT_EQ(lines.produced, 3u);
  EXPECT_EQ(lines.received, 4u);
  EXPECT_EQ(lines.lost, 1u);
  EXPECT_EQ(lines.duplicated, 2u);
  EXPECT_EQ(sink.account({"line one"}).unexpected, 2u);
  EXPECT_EQ(sink.account({"line one"}).unexpected_distinct, 1u);
}

TEST_F(RecordingSinkTest, StatusFaultAnswersThatStatusAndRecordsNothing) {
  sink.set_fault(SinkFault::status_code(413));
  run([&]() -> asio::awaitable<void> {
    EXPECT_EQ((co_await post(two_lines)).response.result_int(), 413u);
  }());
  EXPECT_EQ(sink.requests(), 1u);
  EXPECT_EQ(sink.events(), 0u);
  EXPECT_EQ(sink.received()[0].status, 413u);
}

TEST_F(RecordingSinkTest, ARequiredHeaderIsAnswered401WhenMissingOrWrongAndRecordsNothing) {
  sink.require_header("authorization", "Bearer right");
  run([&]() -> asio::awaitable<void> {
    EXPECT_EQ((co_await post(two_lines)).response.result_int(), 401u);  // missing
    net::HttpClient client(io.get_executor(), "127.0.0.1", std::to_string(sink.port()));
    for (const char* value : {"Bearer wrong", "Bearer right"}) {
      net::Request request{http::verb::post, "/bulk", 11};
      request.set(http::field::authorization, value);
      request.body() = two_lines;
      const auto exchange = co_await client.send(std::move(request), 5s);
      EXPECT_EQ(exchange.response.result_int(), std::string(value) == "Bearer right" ? 200u : 401u);
    }
  }());
  EXPECT_EQ(sink.refused_headers(), 2u);
  EXPECT_EQ(sink.requests(), 3u);
  EXPECT_EQ(sink.events(), 3u) << "only the request with the right header is recorded";
  EXPECT_EQ(sink.received()[2].authorization, "Bearer right");
  sink.require_header("Authorization", "");  // lifted
  run([&]() -> asio::awaitable<void> {
    EXPECT_EQ((co_await post(two_lines)).response.result_int(), 200u);
  }());
}

TEST_F(RecordingSinkTest, RefuseClosesThePortAndOkReopensTheSamePort) {
  const auto port = sink.port();
  sink.set_fault(SinkFault::refuse());
  run([&]() -> asio::awaitable<void> {
    auto refused = co_await post(two_lines);
    EXPECT_EQ(refused.error, boost::asio::error::connection_refused);
    sink.set_fault(SinkFault::ok());
    EXPECT_EQ(sink.port(), port);
    EXPECT_EQ((co_await post(two_lines)).response.result_int(), 200u);
  }());
  EXPECT_EQ(sink.requests(), 1u);
}

TEST_F(RecordingSinkTest, HangAcceptsAndNeverAnswers) {
  sink.set_fault(SinkFault::hang());
  run([&]() -> asio::awaitable<void> {
    auto hung = co_await post(two_lines, "", 150ms);
    EXPECT_FALSE(hung.ok());
    EXPECT_EQ(sink.requests(), 1u);
    sink.set_fault(SinkFault::refuse());  // releases the hung request's coroutine
  }());
  EXPECT_EQ(sink.events(), 0u);
}

TEST_F(RecordingSinkTest, GarbageIsNotHttp) {
  sink.set_fault(SinkFault::garbage());
  run([&]() -> asio::awaitable<void> {
    auto spoiled = co_await post(two_lines);
    EXPECT_FALSE(spoiled.ok());
    EXPECT_EQ(sink.requests(), 1u);
  }());
}

TEST_F(RecordingSinkTest, ThrottledAnswers429WithRetryAfterAndRecordsNothing) {
  sink.set_fault(SinkFault::throttled(7s));
  run([&]() -> asio::awaitable<void> {
    auto exchange = co_await post(two_lines);
    EXPECT_EQ(exchange.response.result_int(), 429u);
    EXPECT_EQ(exchange.response[http::field::retry_after], "7");
  }());
  EXPECT_EQ(sink.events(), 0u);
}

TEST_F(RecordingSinkTest, BodyLimitAnswers413ToLargerBodiesOnlyAndRecordsTheOthers) {
  sink.set_fault(SinkFault::body_limit(two_lines.size()));
  run([&]() -> asio::awaitable<void> {
    EXPECT_EQ((co_await post(two_lines)).response.result_int(), 200u);
    EXPECT_EQ((co_await post(" " + two_lines)).response.result_int(), 413u);
  }());
  EXPECT_EQ(sink.lines(), 2u);
  ASSERT_EQ(sink.received().size(), 2u);
  EXPECT_EQ(sink.received()[1].status, 413u);
  EXPECT_EQ(sink.received()[1].events, 0u);
}

TEST_F(RecordingSinkTest, ResetRecordsTheBatchThenResetsTheConnectionHalfWayThroughTheAnswer) {
  sink.set_fault(SinkFault::reset());
  run([&]() -> asio::awaitable<void> {
    auto exchange = co_await post(two_lines);
    EXPECT_FALSE(exchange.ok());  // the sender cannot tell that the batch arrived
  }());
  EXPECT_EQ(sink.lines(), 2u);
  ASSERT_EQ(sink.received().size(), 1u);
  EXPECT_EQ(sink.received()[0].status, 200u);
  EXPECT_TRUE(sink.received()[0].cut_short);
  EXPECT_EQ(sink.accepted_requests(), 1u);
}

TEST_F(RecordingSinkTest, DripRecordsTheBatchAndAnswersTooSlowlyForTheSendersTimeout) {
  sink.set_fault(SinkFault::drip(50ms));  // a ~100-byte answer takes seconds
  run([&]() -> asio::awaitable<void> {
    auto exchange = co_await post(two_lines, "", 150ms);
    EXPECT_EQ(exchange.error, boost::beast::error::timeout);
  }());
  EXPECT_EQ(sink.lines(), 2u);
  ASSERT_EQ(sink.received().size(), 1u);
  EXPECT_EQ(sink.received()[0].status, 200u);
  EXPECT_TRUE(sink.received()[0].cut_short);
  sink.set_fault(SinkFault::refuse());  // ends the drip
}

TEST_F(RecordingSinkTest, DripReachesAPatientSenderInFull) {
  sink.set_fault(SinkFault::drip(1ms));
  run([&]() -> asio::awaitable<void> {
    auto exchange = co_await post(two_lines, "", 10s);
    EXPECT_TRUE(exchange.ok()) << exchange.error.message();
    EXPECT_EQ(exchange.response.result_int(), 200u);
    EXPECT_EQ(exchange.response.body(), R"({"errors":false})");
    std::function<bool()> whole = [&] { return !sink.received()[0].cut_short; };
    EXPECT_TRUE(co_await sink.wait_until(whole));
  }());
}

TEST_F(RecordingSinkTest, ADuplicateThatIsNotTheSameEventIsCountedAsAltered) {
  const std::string remade =
      R"([{"time":"2024-01-01T00:00:09.000Z","type":"function","record":"line one"}])";
  run([&]() -> asio::awaitable<void> {
    co_await post(two_lines);
    co_await post(two_lines);  // resent: the same events
    co_await post(remade);     // the same line in a different event
  }());
  auto lines = sink.account({"line one", "line two"});
  EXPECT_EQ(lines.duplicated, 3u);
  EXPECT_EQ(lines.altered_duplicates, 1u);
  EXPECT_EQ(lines.unexpected, 0u);
}

TEST_F(RecordingSinkTest, RequestsAreStampedInArrivalOrder) {
  run([&]() -> asio::awaitable<void> {
    co_await post(two_lines);
    co_await post(two_lines);
  }());
  ASSERT_EQ(sink.received().size(), 2u);
  EXPECT_LE(sink.received()[0].at, sink.received()[1].at);
  EXPECT_NE(sink.received()[0].at, Clock::time_point{});
}

TEST_F(RecordingSinkTest, FailFractionIsDeterministicForASeed) {
  auto pattern = [&](RecordingSink& target) {
    std::string statuses;
    run([&]() -> asio::awaitable<void> {
      net::HttpClient client(io.get_executor(), "127.0.0.1", std::to_string(target.port()));
      for (int i = 0; i < 200; ++i) {
        net::Request request{http::verb::post, "/", 11};
        request.body() = "[]";
        auto exchange = co_await client.send(std::move(request), 5s);
        statuses += exchange.response.result_int() == 503 ? 'x' : '.';
      }
    }());
    return statuses;
  };
  sink.set_fault(SinkFault::fail_fraction(0.3));
  RecordingSink twin(io.get_executor(), 7);
  ASSERT_FALSE(twin.listen());
  twin.set_fault(SinkFault::fail_fraction(0.3));
  const auto first = pattern(sink);
  EXPECT_EQ(first, pattern(twin));
  const auto failures = std::count(first.begin(), first.end(), 'x');
  EXPECT_GT(failures, 30);
  EXPECT_LT(failures, 90);
  EXPECT_EQ(sink.accepted_requests(), 200u - static_cast<std::uint64_t>(failures));
}

}  // namespace
}  // namespace ltf::emulator
