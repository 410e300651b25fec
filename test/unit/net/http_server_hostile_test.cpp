// A hostile client against HttpServer: many connections, large bodies held open, and the process
// out of file descriptors. Each test records the peak RSS it caused beside the budget that bounds it.
#include "hostile_client.hpp"
#include "ltf/notifier.hpp"
#include "support/await.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using namespace std::chrono_literals;
using ltf::net::HttpServer;
using ltf::net::Request;
using ltf::net::Response;
using ltf::net::ServerLimits;
using ltf::test::tcp;

struct Server {
  Server(asio::io_context& io, ServerLimits limits)
      : server(io.get_executor(),
               [this](Request& request) -> asio::awaitable<Response> {
                 ++requests;
                 body_bytes += request.body().size();
                 co_return Response{http::status::ok, 11};
               },
               limits) {
    EXPECT_FALSE(server.listen(ltf::test::loopback(0)));
    server.start();
  }
  ~Server() { server.stop(); }
  HttpServer server;
  int requests = 0;
  std::size_t body_bytes = 0;
};

TEST(HttpServerHostile, ManyIdleConnectionsAreHeldToTheLimitAndLambdaIsStillServed) {
  asio::io_context io;
  ServerLimits limits;
  limits.max_connections = 8;
  limits.header_timeout = 200ms;
  Server s(io, limits);
  ltf::test::PeakRss rss;
  constexpr int hostile = 40;
  ltf::test::run_until_done(io, [&]() -> asio::awaitable<void> {
    std::vector<tcp::socket> silent;
    for (int i = 0; i < hostile; ++i) silent.push_back(co_await ltf::test::connect(s.server.port()));
    // Lambda's connection comes last, behind all of them in the backlog: it is served once the
    // silent ones before it have used up their header limit, a few slots at a time.
    auto lambda = co_await ltf::test::connect(s.server.port());
    boost::beast::flat_buffer buffer;
    EXPECT_TRUE(co_await ltf::test::send_text(lambda, ltf::test::post_text("[]")));
    auto answer = co_await ltf::test::read_answer(lambda, buffer);
    EXPECT_TRUE(answer && answer->result() == http::status::ok);
  }(), 30s);
  EXPECT_EQ(s.requests, 1);
  EXPECT_LE(s.server.stats().peak_open, limits.max_connections);
  EXPECT_GE(s.server.stats().timed_out, static_cast<std::uint64_t>(hostile / 2));
  ltf::test::record("many_connections_peak_open", static_cast<long>(s.server.stats().peak_open),
                    "connections");
  ltf::test::record("many_connections_peak_rss_growth", rss.growth_kib(), "KiB");
  ltf::test::record("many_connections_header_budget",
                    static_cast<long>(limits.max_connections * limits.header_limit / 1024), "KiB");
}

TEST(HttpServerHostile, BodiesHeldOpenAreBoundedByTheBudgetAndTheRestAnswered503) {
  asio::io_context io;
  ServerLimits limits;
  limits.body_limit = 1 << 20;
  limits.bodies_budget = 2 << 20;
  limits.body_timeout = 30s;  // the stalled bodies must stay open while the test looks
  constexpr int connections = 40;
  limits.max_connections = connections;  // every one is read at once: only the budget holds them
  Server s(io, limits);
  constexpr std::size_t admitted = 2;  // the budget holds two 1 MiB bodies
  const std::string body(limits.body_limit, 'x');
  const std::string request = ltf::test::post_text(body);
  const std::size_t half = request.size() - body.size() / 2;
  ltf::test::PeakRss rss;

  auto changed = std::make_shared<ltf::async::Notifier>(io.get_executor());
  struct Client {
    std::optional<tcp::socket> socket;
    std::optional<http::status> answer;
  };
  std::vector<Client> clients(connections);
  std::size_t answered = 0;
  auto client = [&](Client& c) -> asio::awaitable<void> {
    c.socket.emplace(co_await ltf::test::connect(s.server.port()));
    // A header that announces 1 MiB, then half of it, then nothing: a body held open.
    co_await ltf::test::send_text(*c.socket, std::string_view(request).substr(0, half));
    boost::beast::flat_buffer buffer;
    auto answer = co_await ltf::test::read_answer(*c.socket, buffer);
    c.answer = answer ? answer->result() : http::status::unknown;
    c.socket->close();
    ++answered;
    changed->notify();
  };
  ltf::test::run_until_done(io, [&]() -> asio::awaitable<void> {
    for (auto& c : clients) asio::co_spawn(io, client(c), asio::detached);
    co_await changed->wait_until([&] { return answered == connections - admitted; });
    EXPECT_LE(s.server.stats().bodies_bytes, limits.bodies_budget);
    // The admitted ones finish their bodies and are served.
    for (auto& c : clients)
      if (!c.answer) co_await ltf::test::send_text(*c.socket, std::string_view(request).substr(half));
    co_await changed->wait_until([&] { return answered == connections; });
  }(), 60s);
  std::size_t ok = 0, busy = 0;
  for (auto& c : clients) {
    ok += c.answer == http::status::ok;
    busy += c.answer == http::status::service_unavailable;
  }
  EXPECT_EQ(ok, admitted);
  EXPECT_EQ(busy, connections - admitted);
  EXPECT_EQ(s.server.stats().over_budget, connections - admitted);
  EXPECT_LE(s.server.stats().peak_bodies_bytes, limits.bodies_budget);
  EXPECT_EQ(s.body_bytes, admitted * body.size());
  // Without the budget the server held 40 half bodies of 1 MiB each (~20 MiB touched, 40 MiB
  // reserved). With it, about the budget, plus what the test itself holds.
  EXPECT_LT(rss.growth_kib(), 12 * 1024);
  ltf::test::record("large_bodies_peak_rss_growth", rss.growth_kib(), "KiB");
  ltf::test::record("large_bodies_budget", static_cast<long>(limits.bodies_budget / 1024), "KiB");
}

// Fills every free descriptor of the process, and gives them back at the end.
class DescriptorExhaustion {
 public:
  DescriptorExhaustion() {
    getrlimit(RLIMIT_NOFILE, &saved_);
    // A low limit, so that exhausting it takes a few hundred opens rather than a million.
    rlimit low = saved_;
    low.rlim_cur = std::min<rlim_t>(saved_.rlim_cur, 512);
    setrlimit(RLIMIT_NOFILE, &low);
    for (;;) {
      const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (fd < 0) break;
      held_.push_back(fd);
    }
  }
  ~DescriptorExhaustion() { release(); }
  void release() {
    for (int fd : held_) ::close(fd);
    held_.clear();
    setrlimit(RLIMIT_NOFILE, &saved_);
  }
  std::size_t held() const { return held_.size(); }

 private:
  rlimit saved_{};
  std::vector<int> held_;
};

TEST(HttpServerHostile, OutOfDescriptorsTheAcceptLoopBacksOffServesLambdaAndRecovers) {
  asio::io_context io;
  ServerLimits limits;
  limits.accept_backoff_initial = 10ms;
  limits.accept_backoff_max = 200ms;
  Server s(io, limits);
  constexpr auto window = 1000ms;
  long cpu_ms = 0;
  std::uint64_t errors_in_window = 0;
  ltf::test::run_until_done(io, [&]() -> asio::awaitable<void> {
    boost::beast::flat_buffer lambda_buffer, late_buffer;
    auto lambda = co_await ltf::test::connect(s.server.port());
    EXPECT_TRUE(co_await ltf::test::send_text(lambda, ltf::test::post_text("[]")));
    EXPECT_TRUE(co_await ltf::test::read_answer(lambda, lambda_buffer));
    // The late client's socket exists before the descriptors run out; its connection then waits
    // in the backlog, where the server cannot accept it.
    tcp::socket late(co_await asio::this_coro::executor);
    late.open(tcp::v4());
    DescriptorExhaustion exhausted;
    EXPECT_GT(exhausted.held(), 0u);
    co_await late.async_connect(ltf::test::loopback(s.server.port()), asio::use_awaitable);

    const auto errors_before = s.server.stats().accept_errors;
    const auto cpu_before = ltf::test::cpu_time();
    asio::steady_timer watch(co_await asio::this_coro::executor);
    watch.expires_after(window);
    co_await watch.async_wait(ltf::test::use_tuple);  // the window measured, not a wait for an event
    cpu_ms = std::chrono::duration_cast<std::chrono::milliseconds>(ltf::test::cpu_time() -
                                                                    cpu_before).count();
    errors_in_window = s.server.stats().accept_errors - errors_before;

    // Lambda's kept-alive connection is served all the while.
    EXPECT_TRUE(co_await ltf::test::send_text(lambda, ltf::test::post_text("[]")));
    auto during = co_await ltf::test::read_answer(lambda, lambda_buffer);
    EXPECT_TRUE(during && during->result() == http::status::ok);

    // Descriptors back: the waiting connection is accepted and served.
    exhausted.release();
    EXPECT_TRUE(co_await ltf::test::send_text(late, ltf::test::post_text("[]")));
    auto after = co_await ltf::test::read_answer(late, late_buffer);
    EXPECT_TRUE(after && after->result() == http::status::ok);
  }(), 30s);
  EXPECT_EQ(s.requests, 3);
  EXPECT_GT(errors_in_window, 0u);
  // Doubling from 10 ms to 200 ms: about 10 tries in a second. Spinning made tens of thousands.
  EXPECT_LE(errors_in_window, 20u);
  EXPECT_LT(cpu_ms, 150) << "CPU used in " << window.count() << " ms out of descriptors";
  ltf::test::record("descriptors_exhausted_accept_errors_per_s", static_cast<long>(errors_in_window),
                    "errors");
  ltf::test::record("descriptors_exhausted_cpu_per_s", cpu_ms, "ms");
}

}  // namespace
