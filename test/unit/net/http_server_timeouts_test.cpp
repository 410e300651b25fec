// HttpServer's header and idle timeouts against slow peers, and how they survive a sandbox freeze.
#include "hostile_client.hpp"
#include "support/await.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <gtest/gtest.h>

#include <thread>

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using namespace std::chrono_literals;
using ltf::net::HttpServer;
using ltf::net::Request;
using ltf::net::Response;
using ltf::net::ServerLimits;
using ltf::test::tcp;

ServerLimits short_timeouts() {
  ServerLimits limits;
  limits.header_timeout = 300ms;
  limits.idle_timeout = 400ms;
  limits.body_timeout = 300ms;
  limits.freeze_gap = 150ms;
  return limits;
}

struct Server {
  Server(asio::io_context& io, ServerLimits limits)
      : server(io.get_executor(),
               [this](Request&) -> asio::awaitable<Response> {
                 ++requests;
                 co_return Response{http::status::ok, 11};
               },
               limits) {
    EXPECT_FALSE(server.listen(ltf::test::loopback(0)));
    server.start();
  }
  ~Server() { server.stop(); }
  HttpServer server;
  int requests = 0;
};

// Lambda freezing the sandbox: the whole process stops while the monotonic clock runs on. Blocking
// the one thread is exactly that for everything on it; this is the freeze itself, not a wait.
// Part of a scenario, not a wait for an event: the peer stays silent this long.
asio::awaitable<void> quiet_for(std::chrono::milliseconds how_long) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(how_long);
  co_await timer.async_wait(ltf::test::use_tuple);
}

// At thaw the timers that fell due while frozen fire at once, before Lambda's next bytes arrive:
// a zero timer, queued behind them, gives the server's timers that first turn here too.
asio::awaitable<void> freeze(std::chrono::milliseconds how_long) {
  std::this_thread::sleep_for(how_long);
  asio::steady_timer thaw(co_await asio::this_coro::executor);
  thaw.expires_after(0ms);
  co_await thaw.async_wait(ltf::test::use_tuple);
}

TEST(HttpServerTimeouts, HalfAHeaderIsClosedAfterTheHeaderTimeout) {
  asio::io_context io;
  Server s(io, short_timeouts());
  auto took = ltf::test::run_until_done(io, [&]() -> asio::awaitable<std::chrono::nanoseconds> {
    auto socket = co_await ltf::test::connect(s.server.port());
    EXPECT_TRUE(co_await ltf::test::send_text(socket, "POST /in HTTP/1.1\r\nHost: te"));
    co_return co_await ltf::test::closed_by_server(socket);
  }(), 10s);
  EXPECT_GE(took, 250ms);
  EXPECT_EQ(s.server.stats().timed_out, 1u);
  EXPECT_EQ(s.server.stats().open, 0u);
  EXPECT_EQ(s.requests, 0);
}

TEST(HttpServerTimeouts, AHeaderDrippedByteByByteIsClosedAfterTheHeaderTimeout) {
  asio::io_context io;
  Server s(io, short_timeouts());
  const std::string header = "POST /in HTTP/1.1\r\nHost: test\r\nX-Slow: " + std::string(400, 'x');
  auto took = ltf::test::run_until_done(io, [&]() -> asio::awaitable<std::chrono::nanoseconds> {
    auto socket = co_await ltf::test::connect(s.server.port());
    // Progress every 20 ms must not keep the connection: the limit is on the whole header.
    asio::co_spawn(socket.get_executor(), [&]() -> asio::awaitable<void> {
      asio::steady_timer tick(socket.get_executor());
      for (char c : header) {
        if (!co_await ltf::test::send_text(socket, std::string_view(&c, 1))) co_return;
        tick.expires_after(20ms);
        co_await tick.async_wait(ltf::test::use_tuple);
      }
    }, asio::detached);
    co_return co_await ltf::test::closed_by_server(socket);
  }(), 10s);
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 3s) << "the header limit counts the whole header, not the gap between bytes";
  EXPECT_EQ(s.server.stats().timed_out, 1u);
}

TEST(HttpServerTimeouts, AnIdleKeptAliveConnectionIsClosedAfterTheIdleTimeout) {
  asio::io_context io;
  Server s(io, short_timeouts());
  auto took = ltf::test::run_until_done(io, [&]() -> asio::awaitable<std::chrono::nanoseconds> {
    auto socket = co_await ltf::test::connect(s.server.port());
    boost::beast::flat_buffer buffer;
    EXPECT_TRUE(co_await ltf::test::send_text(socket, ltf::test::post_text("[]")));
    auto answer = co_await ltf::test::read_answer(socket, buffer);
    EXPECT_TRUE(answer && answer->result() == http::status::ok);
    co_return co_await ltf::test::closed_by_server(socket);
  }(), 10s);
  EXPECT_GE(took, 350ms);
  EXPECT_EQ(s.server.stats().timed_out, 1u);
  EXPECT_EQ(s.requests, 1);
}

TEST(HttpServerTimeouts, AKeptAliveConnectionIdleThroughAFreezeIsStillServedAtThaw) {
  asio::io_context io;
  Server s(io, short_timeouts());
  ltf::test::run_until_done(io, [&]() -> asio::awaitable<void> {
    auto socket = co_await ltf::test::connect(s.server.port());
    boost::beast::flat_buffer buffer;
    EXPECT_TRUE(co_await ltf::test::send_text(socket, ltf::test::post_text("[]")));
    EXPECT_TRUE(co_await ltf::test::read_answer(socket, buffer));
    // Idle a while (less than the limit), then frozen for far longer than the limit; at thaw
    // Lambda sends on the connection it kept.
    co_await quiet_for(150ms);
    co_await freeze(1500ms);
    EXPECT_TRUE(co_await ltf::test::send_text(socket, ltf::test::post_text("[]")));
    auto answer = co_await ltf::test::read_answer(socket, buffer);
    EXPECT_TRUE(answer && answer->result() == http::status::ok) << "the connection was closed for an idleness the freeze caused";
    // Idle for real afterwards, it is still closed.
    co_await ltf::test::closed_by_server(socket);
  }(), 10s);
  EXPECT_EQ(s.requests, 2);
  EXPECT_EQ(s.server.stats().timed_out, 1u);
}

TEST(HttpServerTimeouts, AHeaderInterruptedByAFreezeIsCompletedAtThaw) {
  asio::io_context io;
  Server s(io, short_timeouts());
  ltf::test::run_until_done(io, [&]() -> asio::awaitable<void> {
    auto socket = co_await ltf::test::connect(s.server.port());
    boost::beast::flat_buffer buffer;
    const std::string request = ltf::test::post_text("[]");
    // A first exchange, so that the server has surely accepted the connection before the freeze.
    EXPECT_TRUE(co_await ltf::test::send_text(socket, request));
    EXPECT_TRUE(co_await ltf::test::read_answer(socket, buffer));
    EXPECT_TRUE(co_await ltf::test::send_text(socket, std::string_view(request).substr(0, 20)));
    // Half a header, a pause shorter than the limit, then the sandbox freezes mid-request.
    co_await quiet_for(150ms);
    co_await freeze(1500ms);
    EXPECT_TRUE(co_await ltf::test::send_text(socket, std::string_view(request).substr(20)));
    auto answer = co_await ltf::test::read_answer(socket, buffer);
    EXPECT_TRUE(answer && answer->result() == http::status::ok) << "the request was cut off for a slowness the freeze caused";
  }(), 10s);
  EXPECT_EQ(s.requests, 2);
  EXPECT_EQ(s.server.stats().timed_out, 0u);
}

}  // namespace
