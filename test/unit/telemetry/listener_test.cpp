// The telemetry listener: what Lambda's POSTs get back, what is handed on, what is counted.
#include "ltf/log.hpp"
#include "ltf/listener.hpp"
#include "support/await.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using ltf::net::Exchange;
using ltf::net::HttpClient;
using ltf::net::Request;
using ltf::telemetry::Event;
using ltf::telemetry::Listener;
using ltf::telemetry::ListenerOptions;
using namespace std::chrono_literals;

constexpr std::string_view function_event =
    R"({"time":"2022-10-12T00:03:50.000Z","type":"function","record":"[INFO] Hello world"})";
constexpr std::string_view report_event =
    R"({"time":"2022-10-21T14:05:05.766Z","type":"platform.report","record":{"requestId":"459921b5-681c-4a96-beb0-81e0aa586026","metrics":{"durationMs":2599.4,"billedDurationMs":2600,"memorySizeMB":128,"maxMemoryUsedMB":94,"initDurationMs":549.04},"status":"success"}})";

Request post(std::string body) {
  Request request{http::verb::post, "/telemetry", 11};
  request.set(http::field::content_type, "application/json");
  request.body() = std::move(body);
  return request;
}

// A listener on a free loopback port, and a client that talks to it like Lambda does.
struct ListenerTest : ::testing::Test {
  explicit ListenerTest(std::uint64_t max_body = 4 << 20)
      : listener(io.get_executor(), ListenerOptions{.port = 0, .max_body_bytes = max_body},
                 [this](std::vector<Event>&& events) { handed.push_back(std::move(events)); }) {}

  void SetUp() override {
    ASSERT_FALSE(listener.start());
    ASSERT_NE(listener.port(), 0);
    client.emplace(io.get_executor(), "127.0.0.1", std::to_string(listener.port()));
  }
  void TearDown() override {
    client.reset();
    listener.stop();
  }

  Exchange send(Request request) {
    return ltf::test::run_until_done(io, client->send(std::move(request), 10s));
  }

  asio::io_context io;
  std::vector<std::vector<Event>> handed;
  Listener listener;
  std::optional<HttpClient> client;
};

TEST_F(ListenerTest, AcceptedPostIsAnswered200AndItsEventsHandedOnInOrder) {
  auto first =
      send(post("[" + std::string(function_event) + "," + std::string(report_event) + "]"));
  ASSERT_TRUE(first.ok()) << first.error.message();
  EXPECT_EQ(first.response.result(), http::status::ok);
  auto second = send(post("[" + std::string(function_event) + "]"));
  ASSERT_TRUE(second.ok()) << second.error.message();
  EXPECT_EQ(second.response.result(), http::status::ok);

  ASSERT_EQ(handed.size(), 2u);
  ASSERT_EQ(handed[0].size(), 2u);
  ASSERT_EQ(handed[1].size(), 1u);
  EXPECT_EQ(handed[0][0].raw, function_event);
  EXPECT_EQ(handed[0][1].raw, report_event);
  EXPECT_EQ(handed[0][1].request_id, "459921b5-681c-4a96-beb0-81e0aa586026");

  EXPECT_EQ(listener.stats().posts, 2u);
  EXPECT_EQ(listener.stats().events, 3u);
  EXPECT_EQ(listener.stats().malformed_posts, 0u);
}

TEST_F(ListenerTest, NonEventElementsAreCountedAndTheRestHandedOn) {
  auto exchange = send(post(R"([{"type":"function"},)" + std::string(function_event) + R"(,7])"));
  ASSERT_TRUE(exchange.ok());
  EXPECT_EQ(exchange.response.result(), http::status::ok);
  ASSERT_EQ(handed.size(), 1u);
  ASSERT_EQ(handed[0].size(), 1u);
  EXPECT_EQ(handed[0][0].raw, function_event);
  EXPECT_EQ(listener.stats().rejected_events, 2u);
  EXPECT_EQ(listener.stats().events, 1u);
}

// Resumes once `condition` holds, giving the listener's coroutines their turns meanwhile (it
// polls, without sleeping: the server has no signal of its own for what the tests look at).
template <typename Condition>
asio::awaitable<void> listener_saw(const Listener&, Condition condition) {
  while (!condition()) co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
}

// Lines the listener logged while `act` ran.
template <typename Act>
std::string logged_by(Act act) {
  ltf::log::init(ltf::log::Level::info);
  testing::internal::CaptureStdout();
  act();
  std::string out = testing::internal::GetCapturedStdout();
  ltf::log::init(std::nullopt);
  return out;
}

std::size_t lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

TEST_F(ListenerTest, MalformedBodyIsAnswered400AndCounted) {
  const auto log = logged_by([&] {
    for (std::string body : {"not json", R"({"type":"function","time":"t"})", "[{]"}) {
      auto exchange = send(post(body));
      ASSERT_TRUE(exchange.ok()) << exchange.error.message();
      EXPECT_EQ(exchange.response.result(), http::status::bad_request) << body;
    }
  });
  EXPECT_EQ(lines(log), 1u) << "logged once, then only counted: " << log;
  EXPECT_TRUE(handed.empty());
  EXPECT_EQ(listener.stats().malformed_posts, 3u);
  EXPECT_EQ(listener.stats().posts, 0u);

  auto after = send(post("[" + std::string(function_event) + "]"));
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after.response.result(), http::status::ok);
  EXPECT_EQ(handed.size(), 1u);
}

TEST_F(ListenerTest, OtherMethodsAreAnswered405) {
  for (auto verb : {http::verb::get, http::verb::put, http::verb::delete_}) {
    Request request{verb, "/telemetry", 11};
    auto exchange = send(std::move(request));
    ASSERT_TRUE(exchange.ok()) << exchange.error.message();
    EXPECT_EQ(exchange.response.result(), http::status::method_not_allowed);
    EXPECT_EQ(exchange.response[http::field::allow], "POST");
  }
  EXPECT_TRUE(handed.empty());
  EXPECT_EQ(listener.stats().posts, 0u);
}

TEST_F(ListenerTest, EmptyArrayIsAcceptedWithoutCallingTheHandler) {
  auto exchange = send(post("[]"));
  ASSERT_TRUE(exchange.ok());
  EXPECT_EQ(exchange.response.result(), http::status::ok);
  EXPECT_TRUE(handed.empty());
  EXPECT_EQ(listener.stats().posts, 1u);
}

struct SmallListenerTest : ListenerTest {
  SmallListenerTest() : ListenerTest(1024) {}
};

TEST_F(SmallListenerTest, OversizedBodyIsAnswered413CountedAndTheListenerKeepsWorking) {
  std::string big = "[";
  while (big.size() < 8 * 1024) big += std::string(function_event) + ",";
  big.back() = ']';
  const auto log = logged_by([&] {
    for (int i = 0; i < 2; ++i) {
      auto refused = send(post(big));
      ASSERT_TRUE(refused.ok()) << refused.error.message();
      EXPECT_EQ(refused.response.result(), http::status::payload_too_large);
    }
  });
  EXPECT_EQ(listener.stats().oversized_posts, 2u);
  EXPECT_EQ(lines(log), 1u) << "logged once, then only counted: " << log;
  EXPECT_TRUE(handed.empty());

  auto accepted = send(post("[" + std::string(function_event) + "]"));
  ASSERT_TRUE(accepted.ok()) << accepted.error.message();
  EXPECT_EQ(accepted.response.result(), http::status::ok);
  ASSERT_EQ(handed.size(), 1u);
  EXPECT_EQ(handed[0][0].raw, function_event);
  EXPECT_EQ(listener.stats().posts, 1u);
}

// A POST that arrives while other bodies hold the whole budget is answered 503 (Lambda sends it
// again), counted, and logged once; nothing is buffered for it.
TEST(Listener, APostOverTheBodiesBudgetIsAnswered503AndCounted) {
  asio::io_context io;
  std::vector<std::vector<Event>> handed;
  ListenerOptions options{.port = 0, .max_body_bytes = 64 * 1024};
  options.server.bodies_budget = 64 * 1024;
  Listener listener(io.get_executor(), options,
                    [&](std::vector<Event>&& events) { handed.push_back(std::move(events)); });
  ASSERT_FALSE(listener.start());
  const std::string body = "[" + std::string(function_event) + "]";
  const auto log = logged_by([&] {
    ltf::test::run_until_done(io, [&]() -> asio::awaitable<void> {
      using tcp = asio::ip::tcp;
      const tcp::endpoint at{asio::ip::make_address("127.0.0.1"), listener.port()};
      // A header announcing the largest body, and no body yet: it holds the whole budget.
      tcp::socket holder(co_await asio::this_coro::executor);
      co_await holder.async_connect(at, asio::use_awaitable);
      const std::string header = "POST /t HTTP/1.1\r\nHost: l\r\nContent-Length: " +
                                 std::to_string(64 * 1024) + "\r\n\r\n";
      co_await asio::async_write(holder, asio::buffer(header), asio::use_awaitable);
      // Lambda's POST, on a connection of its own, after the server has reserved the budget.
      co_await listener_saw(listener, [&] { return listener.server_stats().bodies_bytes > 0; });
      HttpClient lambda(co_await asio::this_coro::executor, "127.0.0.1",
                        std::to_string(listener.port()));
      auto busy = co_await lambda.send(post(body), 5s);
      EXPECT_TRUE(busy.ok()) << busy.error.message();
      EXPECT_EQ(busy.response.result(), http::status::service_unavailable);
      EXPECT_FALSE(busy.response[http::field::retry_after].empty());
      holder.close();
      // Budget free again: the retry is taken.
      co_await listener_saw(listener, [&] { return listener.server_stats().bodies_bytes == 0; });
      auto retried = co_await lambda.send(post(body), 5s);
      EXPECT_EQ(retried.response.result(), http::status::ok);
    }());
  });
  EXPECT_EQ(listener.stats().busy_posts, 1u);
  EXPECT_EQ(lines(log), 1u) << "[" << log << "]";
  EXPECT_EQ(handed.size(), 1u);
  listener.stop();
}

TEST(Listener, StartReportsAPortInUse) {
  asio::io_context io;
  Listener first(io.get_executor(), {}, [](std::vector<Event>&&) {});
  ASSERT_FALSE(first.start());
  Listener second(io.get_executor(), ListenerOptions{.port = first.port()},
                  [](std::vector<Event>&&) {});
  EXPECT_TRUE(second.start());
}

}  // namespace
