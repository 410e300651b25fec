// Notifier: any number of waiters, each woken to re-check its own condition; deadlines and
// cancellation end a wait without the condition.
#include "ltf/notifier.hpp"
#include "support/await.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <gtest/gtest.h>

namespace ltf::async {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

TEST(Notifier, WakesEveryWaiterWhoseConditionNowHolds) {
  asio::io_context io;
  auto notifier = std::make_shared<Notifier>(io.get_executor());
  int value = 0;
  int woken = 0;
  for (int want = 1; want <= 3; ++want)
    asio::co_spawn(io, [&, want]() -> asio::awaitable<void> {
      if (co_await notifier->wait_until([&] { return value >= want; })) ++woken;
    }, asio::detached);
  io.poll();
  EXPECT_EQ(woken, 0);
  value = 2;
  notifier->notify();
  io.poll();
  EXPECT_EQ(woken, 2);  // the third still waits: its condition does not hold
  value = 3;
  notifier->notify();
  io.poll();
  EXPECT_EQ(woken, 3);
}

TEST(Notifier, ADeadlineEndsTheWaitWithFalse) {
  asio::io_context io;
  auto notifier = std::make_shared<Notifier>(io.get_executor());
  const bool held = test::run_until_done(
      io, notifier->wait_until([] { return false; }, std::chrono::steady_clock::now() + 5ms));
  EXPECT_FALSE(held);
}

TEST(Notifier, AConditionAlreadyTrueReturnsAtOnce) {
  asio::io_context io;
  auto notifier = std::make_shared<Notifier>(io.get_executor());
  EXPECT_TRUE(test::run_until_done(io, notifier->wait_until([] { return true; })));
}

TEST(Notifier, TheLosingSideOfAnOrStopsWaiting) {
  using namespace asio::experimental::awaitable_operators;
  asio::io_context io;
  auto notifier = std::make_shared<Notifier>(io.get_executor());
  auto other = []() -> asio::awaitable<int> { co_return 7; };
  auto outcome = test::run_until_done(
      io, [&]() -> asio::awaitable<std::variant<bool, int>> {
        co_return co_await (notifier->wait_until([] { return false; }) || other());
      }());
  EXPECT_EQ(outcome.index(), 1u);
}

}  // namespace
}  // namespace ltf::async
