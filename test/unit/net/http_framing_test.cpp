// The HTTP client against peers that frame their answers badly or unusually: bytes beyond an
// answer, 1xx interim answers. And host names looked up through the resolver, within deadlines.
#include "fake_dns.hpp"

#include "ltf/net.hpp"
#include "support/await.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>

#include <gtest/gtest.h>

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using ltf::net::HttpClient;
using ltf::net::Request;
using ltf::net::Response;
using ltf::test::FakeDns;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

Request post(std::string body) {
  Request r{http::verb::post, "/in", 11};
  r.body() = std::move(body);
  return r;
}

// A server that answers the n-th request of each connection with script[connection][n], raw
// bytes written at once, and keeps the connection open until the client closes it.
struct ScriptedServer {
  ScriptedServer(asio::io_context& io, std::vector<std::vector<std::string>> answers_by_connection)
      : acceptor(io, {asio::ip::make_address("127.0.0.1"), 0}), script(std::move(answers_by_connection)) {
    asio::co_spawn(io, accept(), asio::detached);
  }
  std::uint16_t port() const { return acceptor.local_endpoint().port(); }

  asio::awaitable<void> accept() {
    for (std::size_t connection = 0;; ++connection) {
      auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      ++accepted;
      asio::co_spawn(acceptor.get_executor(), serve(std::move(socket), connection), asio::detached);
    }
  }
  asio::awaitable<void> serve(asio::ip::tcp::socket socket, std::size_t connection) {
    boost::beast::flat_buffer buffer;
    for (std::size_t n = 0;; ++n) {
      http::request<http::string_body> request;
      auto [ec, read] = co_await http::async_read(socket, buffer, request,
                                                  asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      ++requests;
      const auto& answers = script.at(std::min(connection, script.size() - 1));
      const std::string& raw = answers.at(std::min(n, answers.size() - 1));
      co_await asio::async_write(socket, asio::buffer(raw), asio::as_tuple(asio::use_awaitable));
    }
  }

  asio::ip::tcp::acceptor acceptor;
  std::vector<std::vector<std::string>> script;
  int accepted = 0;
  int requests = 0;
};

const std::string unavailable_then_stray =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"
    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstray";
const std::string accepted_real = "HTTP/1.1 202 Accepted\r\nContent-Length: 4\r\n\r\nreal";

TEST(HttpFraming, BytesBeyondAnAnswerAreNeverTheNextRequestsAnswer) {
  asio::io_context io;
  ScriptedServer server(io, {{unavailable_then_stray, accepted_real}, {accepted_real}});
  HttpClient client(io.get_executor(), "127.0.0.1", std::to_string(server.port()));
  ltf::test::run_until_done(io, [&]() -> asio::awaitable<void> {
    auto first = co_await client.send(post("one"), 5s);
    EXPECT_TRUE(first.ok()) << first.error.message();
    EXPECT_EQ(first.response.result_int(), 503);
    auto second = co_await client.send(post("two"), 5s);
    EXPECT_TRUE(second.ok()) << second.error.message();
    EXPECT_EQ(second.response.result_int(), 202) << "the stray 200 was taken as the answer";
    EXPECT_EQ(second.response.body(), "real");
  }());
  EXPECT_EQ(server.requests, 2);
  EXPECT_EQ(client.connections_opened(), 2u);
}

TEST(HttpFraming, InterimAnswersAreSkippedForTheFinalOne) {
  asio::io_context io;
  const std::string early_hints =
      "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
      "HTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal";
  ScriptedServer server(io, {{early_hints, accepted_real}});
  HttpClient client(io.get_executor(), "127.0.0.1", std::to_string(server.port()));
  ltf::test::run_until_done(io, [&]() -> asio::awaitable<void> {
    auto first = co_await client.send(post("one"), 5s);
    EXPECT_TRUE(first.ok()) << first.error.message();
    EXPECT_EQ(first.response.result_int(), 200);
    EXPECT_EQ(first.response.body(), "final");
    // The connection is clean after the final answer, so it is kept and the next answer is its own.
    auto second = co_await client.send(post("two"), 5s);
    EXPECT_TRUE(second.ok()) << second.error.message();
    EXPECT_EQ(second.response.result_int(), 202);
  }());
  EXPECT_EQ(client.connections_opened(), 1u);
}

TEST(HttpFraming, EndlessInterimAnswersFailTheExchange) {
  asio::io_context io;
  std::string endless;
  for (int i = 0; i < 50; ++i) endless += "HTTP/1.1 100 Continue\r\n\r\n";
  ScriptedServer server(io, {{endless}});
  HttpClient client(io.get_executor(), "127.0.0.1", std::to_string(server.port()));
  auto exchange = ltf::test::run_until_done(io, client.send(post("one"), 5s));
  EXPECT_EQ(exchange.error, http::error::bad_status);
}

TEST(HttpFraming, AConnectionThePeerSaidItWouldCloseIsNotReused) {
  asio::io_context io;
  const std::string closing = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok";
  ScriptedServer server(io, {{closing}});
  HttpClient client(io.get_executor(), "127.0.0.1", std::to_string(server.port()));
  ltf::test::run_until_done(io, [&]() -> asio::awaitable<void> {
    for (int i = 0; i < 2; ++i) {
      auto exchange = co_await client.send(post("x"), 5s);
      EXPECT_TRUE(exchange.ok()) << exchange.error.message();
    }
  }());
  EXPECT_EQ(client.connections_opened(), 2u);
}

// ---------------------------------------------------------------------------------------------
// Host names

ltf::net::ClientLimits through(const FakeDns& dns, asio::io_context& io) {
  ltf::net::ResolverOptions options;
  options.servers = dns.servers();
  ltf::net::ClientLimits limits;
  limits.resolver = ltf::net::Resolver::create(io.get_executor(), options);
  return limits;
}

TEST(HttpResolve, AHostNameIsLookedUpOnceForManyRequests) {
  asio::io_context io;
  FakeDns dns(io);
  dns.set("sink.test", "127.0.0.1", 60);
  ScriptedServer server(io, {{accepted_real}});
  HttpClient client(io.get_executor(), "sink.test", std::to_string(server.port()),
                    through(dns, io));
  ltf::test::run_until_done(io, [&]() -> asio::awaitable<void> {
    for (int i = 0; i < 3; ++i) {
      auto exchange = co_await client.send(post("x"), 5s);
      EXPECT_TRUE(exchange.ok()) << exchange.error.message();
      client.close();  // a new connection each time: each one needs the address
    }
  }());
  EXPECT_EQ(server.requests, 3);
  EXPECT_EQ(dns.a_queries("sink.test"), 1);
}

TEST(HttpResolve, ARequestEndsAtItsTimeoutWhenDnsNeverAnswers) {
  asio::io_context io;
  FakeDns dns(io);
  dns.set_mode(FakeDns::Mode::never);
  HttpClient client(io.get_executor(), "sink.test", "80", through(dns, io));
  const auto start = Clock::now();
  auto exchange = ltf::test::run_until_done(io, client.send(post("x"), 300ms));
  const auto waited = Clock::now() - start;
  EXPECT_EQ(exchange.error, ltf::net::DnsError::too_late);
  EXPECT_GE(waited, 300ms);
  EXPECT_LT(waited, 800ms);
}

TEST(HttpResolve, ClientsWithoutAResolverShareTheIoContextsOne) {
  asio::io_context io;
  FakeDns dns(io);
  dns.set("sink.test", "127.0.0.1", 60);
  ScriptedServer server(io, {{accepted_real}});
  ltf::net::ResolverOptions options;
  options.servers = dns.servers();
  ltf::net::use_resolver_options(io.get_executor(), options);
  HttpClient one(io.get_executor(), "sink.test", std::to_string(server.port()));
  HttpClient two(io.get_executor(), "sink.test", std::to_string(server.port()));
  ltf::test::run_until_done(io, [&]() -> asio::awaitable<void> {
    EXPECT_TRUE((co_await one.send(post("1"), 5s)).ok());
    EXPECT_TRUE((co_await two.send(post("2"), 5s)).ok());
  }());
  EXPECT_EQ(dns.a_queries("sink.test"), 1);
}

}  // namespace
