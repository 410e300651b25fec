#include "ltf/net.hpp"
#include "support/await.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/core/error.hpp>

#include <gtest/gtest.h>

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using ltf::net::Exchange;
using ltf::net::HttpClient;
using ltf::net::HttpServer;
using ltf::net::Request;
using ltf::net::Response;

asio::ip::tcp::endpoint loopback(std::uint16_t port = 0) {
  return {asio::ip::make_address("127.0.0.1"), port};
}

Request post(std::string body) {
  Request r{http::verb::post, "/in", 11};
  r.body() = std::move(body);
  return r;
}

struct EchoServer {
  explicit EchoServer(asio::io_context& io, ltf::net::ServerLimits limits = {})
      : server(io.get_executor(),
               [this](Request& request) -> asio::awaitable<Response> {
                 ++requests;
                 Response r{http::status::ok, 11};
                 r.body() = std::string(request.target()) + ":" + request.body();
                 co_return r;
               },
               limits, [this](http::status s, std::string_view) { refused.push_back(s); }) {
    EXPECT_FALSE(server.listen(loopback()));
    server.start();
  }
  HttpServer server;
  int requests = 0;
  std::vector<http::status> refused;
};

TEST(HttpUrl, ParsesSchemesPortsAndTargets) {
  auto url = ltf::net::parse_http_url("https://logs.example.com/ingest?x=1");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->scheme, "https");
  EXPECT_EQ(url->host, "logs.example.com");
  EXPECT_EQ(url->port, "443");
  EXPECT_EQ(url->target, "/ingest?x=1");
  auto plain = ltf::net::parse_http_url("http://127.0.0.1:8080");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->port, "8080");
  EXPECT_EQ(plain->target, "/");
  std::string why;
  EXPECT_FALSE(ltf::net::parse_http_url("ftp://x/", &why));
  EXPECT_FALSE(why.empty());
  EXPECT_FALSE(ltf::net::parse_http_url("not a url", &why));
  EXPECT_FALSE(ltf::net::parse_http_url("http://user:secret@host/", &why));
}

TEST(Http, KeepsOneConnectionAliveAcrossRequests) {
  asio::io_context io;
  EchoServer echo(io);
  HttpClient client(io.get_executor(), "127.0.0.1", std::to_string(echo.server.port()));
  ltf::test::run_until_done(io, [&]() -> asio::awaitable<void> {
    for (int i = 0; i < 3; ++i) {
      auto exchange = co_await client.send(post("b" + std::to_string(i)), std::chrono::seconds(5));
      EXPECT_TRUE(exchange.ok()) << exchange.error.message();
      EXPECT_EQ(exchange.response.body(), "/in:b" + std::to_string(i));
    }
  }());
  EXPECT_EQ(echo.requests, 3);
  echo.server.stop();
}

TEST(Http, ReplacesAConnectionThePeerClosedWhileIdle) {
  asio::io_context io;
  auto echo = std::make_unique<EchoServer>(io);
  const auto port = echo->server.port();
  HttpClient client(io.get_executor(), "127.0.0.1", std::to_string(port));
  ltf::test::run_until_done(io, [&]() -> asio::awaitable<void> {
    auto first = co_await client.send(post("one"), std::chrono::seconds(5));
    EXPECT_TRUE(first.ok());
    // The server goes away and comes back on the same port: the kept-alive socket is dead.
    echo->server.stop();
    echo.reset();
    HttpServer again(co_await asio::this_coro::executor,
                     [](Request& r) -> asio::awaitable<Response> {
                       Response res{http::status::ok, 11};
                       res.body() = "again:" + r.body();
                       co_return res;
                     });
    EXPECT_FALSE(again.listen(loopback(port)));
    again.start();
    auto second = co_await client.send(post("two"), std::chrono::seconds(5));
    EXPECT_TRUE(second.ok()) << second.error.message();
    EXPECT_EQ(second.response.body(), "again:two");
    again.stop();
  }());
}

TEST(Http, RefusedConnectionIsAnErrorNotACrash) {
  asio::io_context io;
  std::uint16_t port = 0;
  {
    EchoServer echo(io);
    port = echo.server.port();
    echo.server.stop();
  }
  HttpClient client(io.get_executor(), "127.0.0.1", std::to_string(port));
  auto exchange = ltf::test::run_until_done(io, client.send(post("x"), std::chrono::seconds(5)));
  EXPECT_FALSE(exchange.ok());
  EXPECT_EQ(exchange.error, asio::error::connection_refused);
}

TEST(Http, TimeoutBoundsTheWholeExchangeWithAHungServer) {
  asio::io_context io;
  HttpServer hung(io.get_executor(), [](Request&) -> asio::awaitable<Response> {
    asio::steady_timer never(co_await asio::this_coro::executor, std::chrono::hours(1));
    co_await never.async_wait(asio::as_tuple(asio::use_awaitable));
    co_return Response{http::status::ok, 11};
  });
  ASSERT_FALSE(hung.listen(loopback()));
  hung.start();
  HttpClient client(io.get_executor(), "127.0.0.1", std::to_string(hung.port()));
  auto exchange =
      ltf::test::run_until_done(io, client.send(post("x"), std::chrono::milliseconds(100)));
  EXPECT_EQ(exchange.error, boost::beast::error::timeout);
  hung.stop();
}

TEST(Http, OversizedBodyIsRefusedWith413AndTheServerKeepsServing) {
  asio::io_context io;
  EchoServer echo(io, ltf::net::ServerLimits{1024, 8192});
  const auto port = std::to_string(echo.server.port());
  ltf::test::run_until_done(io, [&]() -> asio::awaitable<void> {
    HttpClient big(co_await asio::this_coro::executor, "127.0.0.1", port);
    auto refused = co_await big.send(post(std::string(64 * 1024, 'x')), std::chrono::seconds(5));
    EXPECT_TRUE(refused.ok()) << refused.error.message();
    EXPECT_EQ(refused.response.result(), http::status::payload_too_large);
    HttpClient small(co_await asio::this_coro::executor, "127.0.0.1", port);
    auto served = co_await small.send(post("fine"), std::chrono::seconds(5));
    EXPECT_EQ(served.response.body(), "/in:fine");
  }());
  ASSERT_EQ(echo.refused.size(), 1u);
  EXPECT_EQ(echo.refused[0], http::status::payload_too_large);
  EXPECT_EQ(echo.requests, 1);
  echo.server.stop();
}

TEST(Http, GarbageRequestIsRefusedWith400) {
  asio::io_context io;
  EchoServer echo(io);
  std::string answer;
  ltf::test::run_until_done(io, [&]() -> asio::awaitable<void> {
    asio::ip::tcp::socket socket(co_await asio::this_coro::executor);
    co_await socket.async_connect(loopback(echo.server.port()), asio::use_awaitable);
    const std::string garbage = "\x01\x02 nonsense\r\n\r\n";
    co_await asio::async_write(socket, asio::buffer(garbage), asio::use_awaitable);
    char buffer[512];
    auto [ec, n] = co_await socket.async_read_some(asio::buffer(buffer),
                                                   asio::as_tuple(asio::use_awaitable));
    answer.assign(buffer, n);
  }());
  EXPECT_NE(answer.find("400"), std::string::npos) << answer;
  EXPECT_EQ(echo.refused.size(), 1u);
  echo.server.stop();
}

}  // namespace
