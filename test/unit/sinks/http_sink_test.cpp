#include "ltf/sinks.hpp"
#include "ltf/version.hpp"
#include "support/await.hpp"
#include "unit/net/test_tls.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::ip::tcp;
using ltf::net::Request;
using ltf::net::Response;
using ltf::sinks::Delivery;
using ltf::sinks::HttpSink;
using ltf::sinks::Outcome;
using ltf::telemetry::Event;
using namespace std::chrono_literals;

Event event(std::string raw) {
  Event e;
  e.raw = std::move(raw);
  return e;
}

const std::vector<Event> batch{
    event(R"({"time":"2022-10-21T14:05:05.764Z","type":"platform.runtimeDone","record":{"requestId":"459921b5","status":"success","metrics":{"durationMs":2599.0,"producedBytes":8}}})"),
    event(R"({"time":"2022-10-12T00:03:50.000Z","type":"function","record":"[INFO] Hello \"world\" ]"})"),
    event("{ \"time\" : \"2022-10-12T00:03:51.000Z\", \"type\":\"function\", \"record\":\"x\" }"),
};
const std::string expected_body =
    "[" + batch[0].raw + "," + batch[1].raw + "," + batch[2].raw + "]";

Response respond(http::status status, std::string body = {}) {
  Response response{status, 11};
  response.body() = std::move(body);
  return response;
}

// A destination the test scripts: every request is recorded and answered by `answer`.
struct HttpSinkTest : ::testing::Test {
  HttpSinkTest()
      : server(io.get_executor(), [this](Request& request) -> asio::awaitable<Response> {
          received.push_back(request);
          co_return co_await answer(request);
        }) {}

  void SetUp() override {
    ASSERT_FALSE(server.listen({asio::ip::make_address("127.0.0.1"), 0}));
    server.start();
  }
  void TearDown() override { server.stop(); }

  ltf::net::HttpUrl url(std::string target = "/ingest") {
    return {"http", "127.0.0.1", std::to_string(server.port()), std::move(target)};
  }
  Delivery deliver(HttpSink& sink, const std::vector<Event>& events = batch) {
    return ltf::test::run_until_done(io, sink.deliver(events));
  }

  asio::io_context io;
  std::vector<Request> received;
  std::function<asio::awaitable<Response>(Request&)> answer =
      [](Request&) -> asio::awaitable<Response> { co_return respond(http::status::ok); };
  ltf::net::HttpServer server;
};

TEST_F(HttpSinkTest, DeliveredOn2xxWithTheEventsAsOneArrayExactlyAsSent) {
  HttpSink sink(io.get_executor(), url("/ingest?stream=lambda"), 5s);
  const auto delivery = deliver(sink);
  EXPECT_EQ(delivery.outcome, Outcome::delivered) << delivery.detail;
  EXPECT_EQ(delivery.status, 200u);
  ASSERT_EQ(received.size(), 1u);
  const auto& request = received[0];
  EXPECT_EQ(request.method(), http::verb::post);
  EXPECT_EQ(request.target(), "/ingest?stream=lambda");
  EXPECT_EQ(request[http::field::content_type], "application/json");
  EXPECT_EQ(request[http::field::user_agent], ltf::user_agent());
  EXPECT_EQ(request.body(), expected_body);

  answer = [](Request&) -> asio::awaitable<Response> { co_return respond(http::status::accepted); };
  EXPECT_EQ(deliver(sink).outcome, Outcome::delivered);
  EXPECT_EQ(received.size(), 2u);
}

TEST_F(HttpSinkTest, ThrottlingTimeoutsAndServerErrorsAreRetriedLater) {
  HttpSink sink(io.get_executor(), url(), 5s);
  for (auto status : {http::status::service_unavailable, http::status::too_many_requests,
                      http::status::request_timeout, http::status::internal_server_error,
                      http::status::bad_gateway}) {
    answer = [status](Request&) -> asio::awaitable<Response> {
      co_return respond(status, R"({"message":"slow down"})");
    };
    const auto delivery = deliver(sink);
    EXPECT_EQ(delivery.outcome, Outcome::retry_later) << static_cast<unsigned>(status);
    EXPECT_EQ(delivery.status, static_cast<unsigned>(status));
    EXPECT_EQ(delivery.detail, R"({"message":"slow down"})");
  }
  EXPECT_EQ(received.size(), 5u);
}

TEST_F(HttpSinkTest, OtherClientErrorsAreRejectedWithABoundedExcerpt) {
  HttpSink sink(io.get_executor(), url(), 5s);
  for (auto status : {http::status::bad_request, http::status::unauthorized,
                      http::status::forbidden, http::status::not_found,
                      http::status::payload_too_large}) {
    answer = [status](Request&) -> asio::awaitable<Response> {
      co_return respond(status, "{\"error\":\"mapping\nconflict\"}");
    };
    const auto delivery = deliver(sink);
    EXPECT_EQ(delivery.outcome, Outcome::rejected) << static_cast<unsigned>(status);
    EXPECT_EQ(delivery.status, static_cast<unsigned>(status));
    EXPECT_EQ(delivery.detail, "{\"error\":\"mapping conflict\"}") << "kept on one line";
  }

  answer = [](Request&) -> asio::awaitable<Response> {
    co_return respond(http::status::bad_request, std::string(100'000, 'e'));
  };
  const auto delivery = deliver(sink);
  EXPECT_EQ(delivery.outcome, Outcome::rejected);
  EXPECT_LE(delivery.detail.size(), 256u);
  EXPECT_GE(delivery.detail.size(), 200u);
  EXPECT_EQ(delivery.detail.substr(0, 10), "eeeeeeeeee");
}

TEST_F(HttpSinkTest, ANonRespondingDestinationTimesOutAndIsRetriedLater) {
  asio::steady_timer never(io, asio::steady_timer::time_point::max());
  answer = [&never](Request&) -> asio::awaitable<Response> {
    co_await never.async_wait(asio::as_tuple(asio::use_awaitable));
    co_return respond(http::status::ok);
  };
  HttpSink sink(io.get_executor(), url(), 100ms);
  const auto delivery = deliver(sink);
  EXPECT_EQ(delivery.outcome, Outcome::retry_later);
  EXPECT_EQ(delivery.status, 0u);
  EXPECT_FALSE(delivery.detail.empty());
  EXPECT_EQ(received.size(), 1u);
  never.cancel();
}

TEST_F(HttpSinkTest, AfterAFailureTheNextBatchGoesThrough) {
  HttpSink sink(io.get_executor(), url(), 5s);
  answer = [](Request&) -> asio::awaitable<Response> {
    co_return respond(http::status::service_unavailable);
  };
  EXPECT_EQ(deliver(sink).outcome, Outcome::retry_later);
  answer = [](Request&) -> asio::awaitable<Response> { co_return respond(http::status::ok); };
  EXPECT_EQ(deliver(sink).outcome, Outcome::delivered);
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(received[1].body(), expected_body);
}

TEST(HttpSink, ARefusedConnectionIsRetriedLater) {
  asio::io_context io;
  // A port that was free a moment ago and has nobody listening on it now.
  tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
  const auto port = probe.local_endpoint().port();
  probe.close();
  HttpSink sink(io.get_executor(), {"http", "127.0.0.1", std::to_string(port), "/"}, 5s);
  const auto delivery = ltf::test::run_until_done(io, sink.deliver(batch));
  EXPECT_EQ(delivery.outcome, Outcome::retry_later);
  EXPECT_EQ(delivery.status, 0u);
  EXPECT_EQ(delivery.detail,
            asio::error::make_error_code(asio::error::connection_refused).message());
}

// A peer that answers something that is not HTTP, then hangs up.
asio::awaitable<void> garbage_server(tcp::acceptor& acceptor) {
  auto socket = co_await acceptor.async_accept(asio::use_awaitable);
  std::array<char, 4096> request{};
  co_await socket.async_read_some(asio::buffer(request), asio::use_awaitable);
  co_await asio::async_write(socket, asio::buffer(std::string_view("SSH-2.0-OpenSSH_9.2\r\n\r\n")),
                             asio::use_awaitable);
  socket.close();
}

TEST(HttpSink, AGarbageResponseIsRetriedLater) {
  asio::io_context io;
  tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  asio::co_spawn(io, garbage_server(acceptor), asio::detached);
  HttpSink sink(io.get_executor(),
                {"http", "127.0.0.1", std::to_string(acceptor.local_endpoint().port()), "/"}, 5s);
  const auto delivery = ltf::test::run_until_done(io, sink.deliver(batch));
  EXPECT_EQ(delivery.outcome, Outcome::retry_later);
  EXPECT_EQ(delivery.status, 0u);
  EXPECT_FALSE(delivery.detail.empty());
}

TEST(HttpSink, HttpsDeliversWithTheConfiguredCaAndKeepsTheConnection) {
  asio::io_context io;
  ltf::test::TestPki pki;
  ltf::test::TlsServer server(io, pki.cert("server"), pki.key("server"));
  ltf::sinks::HttpSinkOptions options;
  options.timeout = 5s;
  options.tls.ca_file = pki.ca();
  HttpSink sink(io.get_executor(), {"https", "localhost", std::to_string(server.port()), "/in"},
                options);
  for (int i = 0; i < 2; ++i) {
    const auto delivery = ltf::test::run_until_done(io, sink.deliver(batch));
    EXPECT_EQ(delivery.outcome, Outcome::delivered) << delivery.detail;
  }
  ASSERT_EQ(server.received.size(), 2u);
  EXPECT_EQ(server.received[1].body(), expected_body);
  EXPECT_EQ(server.connections, 1);
}

TEST(HttpSink, AnUntrustedHttpsDestinationIsRetriedLaterAndSaysWhy) {
  asio::io_context io;
  ltf::test::TestPki pki;
  ltf::test::TlsServer server(io, pki.cert("server"), pki.key("server"));
  ltf::sinks::HttpSinkOptions options;
  options.tls.ca_file = pki.other_ca();
  HttpSink sink(io.get_executor(), {"https", "localhost", std::to_string(server.port()), "/"},
                options);
  const auto delivery = ltf::test::run_until_done(io, sink.deliver(batch));
  EXPECT_EQ(delivery.outcome, Outcome::retry_later);
  EXPECT_EQ(delivery.status, 0u);
  EXPECT_NE(delivery.detail.find("issuer"), std::string::npos) << delivery.detail;
  EXPECT_TRUE(server.received.empty());
}

TEST_F(HttpSinkTest, GzipBodiesCarryContentEncodingAndInflateToTheArray) {
  ltf::sinks::HttpSinkOptions options;
  options.timeout = 5s;
  options.compression = ltf::Compression::gzip;
  HttpSink sink(io.get_executor(), url(), options);
  EXPECT_EQ(deliver(sink).outcome, Outcome::delivered);
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0][http::field::content_encoding], "gzip");
  EXPECT_EQ(received[0][http::field::content_type], "application/json");
  EXPECT_EQ(ltf::test::gunzip(received[0].body()), expected_body);
}

TEST(MakeSink, PassesTlsAndCompressionSettingsOn) {
  asio::io_context io;
  ltf::test::TestPki pki;
  ltf::test::TlsServer server(io, pki.cert("server"), pki.key("server"));
  ltf::Config config;
  config.dispatch_post_uri = "https://localhost:" + std::to_string(server.port()) + "/in?key=s";
  config.ca_file = pki.ca();
  config.compression = ltf::Compression::gzip;
  auto sink = ltf::sinks::make_sink(io.get_executor(), config);
  EXPECT_EQ(sink->describe(), "https://localhost:" + std::to_string(server.port()) + "/in");
  const auto delivery = ltf::test::run_until_done(io, sink->deliver(batch));
  EXPECT_EQ(delivery.outcome, Outcome::delivered) << delivery.detail;
  ASSERT_EQ(server.received.size(), 1u);
  EXPECT_EQ(ltf::test::gunzip(server.received[0].body()), expected_body);
}

TEST(HttpSink, DescribeLeavesOutTheQueryString) {
  asio::io_context io;
  HttpSink sink(io.get_executor(), {"http", "logs.example.com", "8080", "/in?api_key=secret"}, 5s);
  EXPECT_EQ(sink.describe(), "http://logs.example.com:8080/in");
  HttpSink v6(io.get_executor(), {"http", "::1", "80", "/"}, 5s);
  EXPECT_EQ(v6.describe(), "http://[::1]:80/");
}

TEST(MakeSink, DiscardsWhenNoDestinationIsConfigured) {
  asio::io_context io;
  ltf::Config config;
  auto sink = ltf::sinks::make_sink(io.get_executor(), config);
  ASSERT_NE(dynamic_cast<ltf::sinks::DiscardSink*>(sink.get()), nullptr);
  const auto delivery = ltf::test::run_until_done(io, sink->deliver(batch));
  EXPECT_EQ(delivery.outcome, Outcome::delivered);
}

TEST(MakeSink, PostsToDispatchPostUri) {
  asio::io_context io;
  ltf::Config config;
  config.dispatch_post_uri = "http://collector.internal:9200/telemetry?token=abc";
  auto sink = ltf::sinks::make_sink(io.get_executor(), config);
  ASSERT_NE(dynamic_cast<HttpSink*>(sink.get()), nullptr);
  EXPECT_EQ(sink->describe(), "http://collector.internal:9200/telemetry");
}

TEST(MakeSink, RefusesAnUnusableUrlWithoutEchoingIt) {
  asio::io_context io;
  ltf::Config config;
  config.dispatch_post_uri = "http://user:hunter2@collector.internal/";
  try {
    ltf::sinks::make_sink(io.get_executor(), config);
    FAIL() << "accepted a URL with credentials";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos) << e.what();
  }
}

}  // namespace

namespace {

TEST_F(HttpSinkTest, A413SplitsTheBatchUntilEachRequestFitsAndEveryEventArrivesOnce) {
  HttpSink sink(io.get_executor(), url(), 5s);
  // A body limit that one event fits and two don't (the events are 78 to 168 bytes).
  answer = [](Request& request) -> asio::awaitable<Response> {
    if (request.body().size() > 200) co_return respond(http::status::payload_too_large, "too big");
    co_return respond(http::status::ok);
  };
  const auto delivery = deliver(sink);
  EXPECT_EQ(delivery.outcome, Outcome::delivered);
  EXPECT_FALSE(delivery.per_event());
  std::string arrived;
  for (const auto& request : received)
    if (request.body().size() <= 200) arrived += request.body();
  EXPECT_EQ(arrived, "[" + batch[0].raw + "][" + batch[1].raw + "," + batch[2].raw + "]");
  EXPECT_EQ(received.size(), 3u) << "the whole (413), then its two halves";
}

TEST_F(HttpSinkTest, AnEventTooLargeEvenAloneIsRefusedTheOthersDelivered) {
  HttpSink sink(io.get_executor(), url(), 5s);
  answer = [](Request& request) -> asio::awaitable<Response> {
    if (request.body().size() > 150) co_return respond(http::status::payload_too_large);
    co_return respond(http::status::ok);
  };
  const auto delivery = deliver(sink);
  EXPECT_EQ(delivery.refused, std::vector<std::size_t>{0}) << "the 168-byte runtimeDone";
  EXPECT_TRUE(delivery.retry.empty());
}

}  // namespace
