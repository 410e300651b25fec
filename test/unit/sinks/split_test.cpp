#include "ltf/sinks.hpp"
#include "support/await.hpp"

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
using ltf::sinks::Delivery;
using ltf::sinks::Outcome;
using ltf::telemetry::Event;

std::vector<Event> events(std::size_t count) {
  std::vector<Event> out(count);
  for (std::size_t i = 0; i < count; ++i) out[i].raw = std::to_string(i);
  return out;
}

std::vector<std::size_t> indices(std::initializer_list<std::size_t> list) { return list; }

// A backend that refuses (413) any request of more than `limit` events, unless `answer` says
// otherwise for the request numbered n (0-based). Records the events of every request.
struct Backend {
  std::size_t limit = 2;
  std::function<std::optional<Delivery>(std::size_t n, std::span<const Event>)> answer =
      [](std::size_t, std::span<const Event>) { return std::optional<Delivery>(); };
  std::vector<std::vector<std::string>> requests;

  ltf::sinks::SendBatch send() {
    return [this](std::span<const Event> batch) -> asio::awaitable<Delivery> {
      std::vector<std::string> names;
      for (const auto& e : batch) names.push_back(e.raw);
      requests.push_back(names);
      if (auto scripted = answer(requests.size() - 1, batch)) co_return *scripted;
      if (batch.size() > limit) co_return Delivery{Outcome::rejected, 413, "too large", {}};
      co_return Delivery{Outcome::delivered, 200, {}, {}};
    };
  }
};

Delivery deliver(Backend& backend, const std::vector<Event>& batch) {
  asio::io_context io;
  const auto send = backend.send();
  return ltf::test::run_until_done(io, ltf::sinks::deliver_splitting_when_too_large(batch, send));
}

TEST(SplitWhenTooLarge, ABatchThatFitsGoesInOneRequest) {
  Backend backend;
  const Delivery d = deliver(backend, events(2));
  EXPECT_EQ(d.outcome, Outcome::delivered);
  EXPECT_FALSE(d.per_event());
  EXPECT_EQ(backend.requests.size(), 1u);
}

TEST(SplitWhenTooLarge, HalvesUntilEveryPartFitsAndReportsAllDelivered) {
  Backend backend;
  const Delivery d = deliver(backend, events(7));
  EXPECT_EQ(d.outcome, Outcome::delivered);
  EXPECT_FALSE(d.per_event()) << "every event went through";
  // 7 -> 3 + 4 -> (1 + 2) + (2 + 2): every event sent exactly once in a request that fitted.
  std::vector<std::string> delivered;
  for (const auto& request : backend.requests)
    if (request.size() <= backend.limit) delivered.insert(delivered.end(), request.begin(), request.end());
  EXPECT_EQ(delivered, (std::vector<std::string>{"0", "1", "2", "3", "4", "5", "6"}));
  EXPECT_EQ(backend.requests.size(), 7u);  // 7, 3, 1, 2, 4, 2, 2
}

TEST(SplitWhenTooLarge, ASingleEventStillTooLargeIsRefusedTheOthersDelivered) {
  Backend backend;
  backend.answer = [](std::size_t, std::span<const Event> batch) -> std::optional<Delivery> {
    for (const auto& e : batch)
      if (e.raw == "2") return Delivery{Outcome::rejected, 413, "too large", {}};
    return std::nullopt;
  };
  const Delivery d = deliver(backend, events(4));
  EXPECT_TRUE(d.per_event());
  EXPECT_EQ(d.outcome, Outcome::delivered);
  EXPECT_EQ(d.refused, indices({2}));
  EXPECT_TRUE(d.retry.empty());
}

TEST(SplitWhenTooLarge, AHalfThatFailsStopsTheWalkAndEverythingUnsentIsRetried) {
  Backend backend;
  // 8 -> 413; first half (4) -> 413; its halves: [0,1] delivered, [2,3] server error.
  backend.answer = [](std::size_t n, std::span<const Event>) -> std::optional<Delivery> {
    if (n == 3) return Delivery{Outcome::retry_later, 503, "busy", std::chrono::milliseconds(700)};
    return std::nullopt;
  };
  const Delivery d = deliver(backend, events(8));
  EXPECT_EQ(d.outcome, Outcome::retry_later);
  EXPECT_EQ(d.retry, indices({2, 3, 4, 5, 6, 7}));
  EXPECT_TRUE(d.refused.empty());
  ASSERT_TRUE(d.retry_after);
  EXPECT_EQ(*d.retry_after, std::chrono::milliseconds(700));
  EXPECT_EQ(backend.requests.size(), 4u) << "nothing sent after the failure";
}

TEST(SplitWhenTooLarge, PerEventAnswersOfAHalfAreMappedToTheWholeBatch) {
  Backend backend;
  // The second half [2,3] answers per item: its own index 1 (batch index 3) is throttled.
  backend.answer = [](std::size_t n, std::span<const Event>) -> std::optional<Delivery> {
    if (n != 2) return std::nullopt;
    Delivery items{Outcome::delivered, 200, {}, {}};
    items.retry = {1};
    return items;
  };
  const Delivery d = deliver(backend, events(4));
  EXPECT_EQ(d.outcome, Outcome::retry_later);
  EXPECT_EQ(d.retry, indices({3}));
}

TEST(SplitWhenTooLarge, OnlyA413Splits) {
  Backend backend;
  backend.answer = [](std::size_t, std::span<const Event>) -> std::optional<Delivery> {
    return Delivery{Outcome::rejected, 400, "bad", {}};
  };
  const Delivery d = deliver(backend, events(4));
  EXPECT_EQ(d.outcome, Outcome::rejected);
  EXPECT_FALSE(d.per_event());
  EXPECT_EQ(backend.requests.size(), 1u);
}

}  // namespace
