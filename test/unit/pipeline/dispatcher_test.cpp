#include "ltf/log.hpp"
#include "ltf/pipeline.hpp"
#include "support/await.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include <deque>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using namespace std::chrono_literals;
using ltf::pipeline::Buffer;
using ltf::pipeline::Dispatcher;
using ltf::pipeline::Event;
using ltf::pipeline::FlushResult;
using ltf::sinks::Delivery;
using ltf::sinks::Outcome;

// Records every batch it is given and answers from a script (delivered once the script is empty).
// While `hold` is set, each request waits until release(): a destination that has not answered yet.
class FakeSink final : public ltf::sinks::Sink {
 public:
  explicit FakeSink(asio::io_context& io) : gate_(io, asio::steady_timer::time_point::max()) {}

  asio::awaitable<Delivery> deliver(std::span<const Event> batch) override {
    std::vector<int> ids;
    for (const auto& e : batch) ids.push_back(std::stoi(e.raw.substr(6)));
    received.push_back(std::move(ids));
    if (hold) {
      co_await gate_.async_wait(asio::as_tuple(asio::use_awaitable));
      if ((co_await asio::this_coro::cancellation_state).cancelled() !=
          asio::cancellation_type::none)
        ++cancelled;
    }
    ++answered;
    if (script.empty()) co_return Delivery{Outcome::delivered, 200, {}, {}};
    Delivery next = script.front();
    script.pop_front();
    if (next.detail == "throw") throw std::runtime_error("sink bug");
    co_return next;
  }
  std::string describe() const override { return "fake"; }
  void restored(const ltf::telemetry::FunctionIdentity&) override {}

  void release() {
    hold = false;
    gate_.cancel();
  }

  std::vector<std::vector<int>> received;  // event ids of each request, in order
  std::deque<Delivery> script;
  bool hold = false;
  int answered = 0;
  int cancelled = 0;

 private:
  asio::steady_timer gate_;
};

Event event(int id) {
  Event e;
  e.raw = "{\"id\":" + std::to_string(id) + ",\"type\":\"function\"}";  // 26 or 27 bytes
  e.type = "function";
  return e;
}

std::vector<Event> events(int first, int count) {
  std::vector<Event> out;
  for (int i = first; i < first + count; ++i) out.push_back(event(i));
  return out;
}

std::vector<int> range(int first, int count) {
  std::vector<int> out(count);
  std::iota(out.begin(), out.end(), first);
  return out;
}

std::vector<int> flatten(const std::vector<std::vector<int>>& batches) {
  std::vector<int> out;
  for (const auto& b : batches) out.insert(out.end(), b.begin(), b.end());
  return out;
}

const Delivery unavailable{Outcome::retry_later, 503, "try later", {}};

struct DispatcherTest : ::testing::Test {
  // Three events make an array of 82-85 bytes, four at least 109: batches of three.
  explicit DispatcherTest(std::uint64_t max_batch_bytes = 94)
      : dispatcher(io.get_executor(), buffer, sink, max_batch_bytes) {}

  void SetUp() override {
    asio::co_spawn(io, [this]() -> asio::awaitable<void> {
      co_await dispatcher.run();
      run_returned = true;
    }, asio::detached);
  }
  void TearDown() override {
    sink.release();
    dispatcher.stop();
    run_until([this] { return run_returned; });
    io.poll();
  }

  FlushResult flush() { return ltf::test::run_until_done(io, dispatcher.flush()); }

  // Runs the io_context until `ready` holds (a safety limit turns a hang into a failure).
  template <typename Ready>
  void run_until(Ready ready) {
    ltf::test::run_until_done(io, [&]() -> asio::awaitable<void> {
      while (!ready()) co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
    }());
  }

  asio::io_context io;
  Buffer buffer{1 << 20};
  FakeSink sink{io};
  Dispatcher dispatcher;
  bool run_returned = false;
};

TEST_F(DispatcherTest, FlushDrainsEverythingInBatchesOfAtMostMaxBatchBytes) {
  buffer.push(events(0, 10));
  EXPECT_EQ(flush(), FlushResult::drained);
  ASSERT_EQ(sink.received.size(), 4u);
  EXPECT_EQ(sink.received[0], range(0, 3));
  EXPECT_EQ(sink.received[3], range(9, 1));
  EXPECT_EQ(flatten(sink.received), range(0, 10));
  EXPECT_TRUE(buffer.empty());
  EXPECT_EQ(dispatcher.stats().requests, 4u);
  EXPECT_EQ(dispatcher.stats().delivered_events, 10u);
  EXPECT_EQ(dispatcher.stats().failed_requests, 0u);
}

TEST_F(DispatcherTest, AFailedBatchGoesBackToTheFrontAndEndsTheFlushAsFailed) {
  buffer.push(events(0, 9));
  sink.script = {Delivery{Outcome::delivered, 200, {}, {}}, unavailable};
  EXPECT_EQ(flush(), FlushResult::failed);
  ASSERT_EQ(sink.received.size(), 2u) << "a failure ends the flush: no third request";
  EXPECT_EQ(buffer.size(), 6u);
  EXPECT_EQ(dispatcher.stats().delivered_events, 3u);
  EXPECT_EQ(dispatcher.stats().failed_requests, 1u);

  EXPECT_EQ(flush(), FlushResult::drained);
  EXPECT_EQ(sink.received[2], range(3, 3)) << "the failed batch is sent again first";
  EXPECT_EQ(dispatcher.stats().delivered_events, 9u);
  EXPECT_EQ(dispatcher.stats().requests, 4u);
  EXPECT_TRUE(buffer.empty());
}

TEST_F(DispatcherTest, RejectedBatchesAreDroppedAndCounted) {
  buffer.push(events(0, 6));
  sink.script = {Delivery{Outcome::rejected, 400, "mapping conflict", {}}};
  EXPECT_EQ(flush(), FlushResult::drained);
  EXPECT_EQ(sink.received.size(), 2u);
  EXPECT_TRUE(buffer.empty());
  EXPECT_EQ(dispatcher.stats().rejected_events, 3u);
  EXPECT_EQ(dispatcher.stats().delivered_events, 3u);
  EXPECT_EQ(dispatcher.stats().failed_requests, 1u);
}

TEST_F(DispatcherTest, PerEventAnswersSettleEachEventAndPutOnlyTheRetriesBack) {
  buffer.push(events(0, 3));
  Delivery items{Outcome::delivered, 200, {}, std::chrono::milliseconds(0)};
  items.retry = {2, 0};
  items.refused = {1};
  sink.script = {items};
  EXPECT_EQ(flush(), FlushResult::failed) << "events still owed end the flush like a failure";
  EXPECT_EQ(buffer.size(), 2u);
  EXPECT_EQ(dispatcher.stats().rejected_events, 1u);
  EXPECT_EQ(dispatcher.stats().delivered_events, 0u);
  EXPECT_EQ(dispatcher.stats().retried_events, 2u);

  buffer.push(events(3, 1));
  EXPECT_EQ(flush(), FlushResult::drained);
  EXPECT_EQ(sink.received[1], (std::vector<int>{0, 2, 3})) << "the retries first, in order";
  EXPECT_EQ(dispatcher.stats().delivered_events, 3u);
  EXPECT_TRUE(buffer.empty());
}

TEST_F(DispatcherTest, ABackendThatTakesPartOfEveryBatchNeverOpensTheCircuit) {
  ltf::pipeline::RetryPolicy::Options options{std::chrono::milliseconds(0),
                                              std::chrono::milliseconds(0), 2,
                                              std::chrono::hours(1)};
  Dispatcher strict(io.get_executor(), buffer, sink, 94, options);
  asio::co_spawn(io, strict.run(), asio::detached);
  for (int round = 0; round < 5; ++round) {
    buffer.push(events(round * 10, 3));
    Delivery items{Outcome::delivered, 200, {}, {}};
    items.retry = {1};  // one throttled item in every request
    sink.script = {items};
    ltf::test::run_until_done(io, strict.flush());
  }
  EXPECT_FALSE(strict.retry_policy().circuit_open());
  EXPECT_EQ(strict.retry_policy().consecutive_failures(), 0u);

  Delivery nothing{Outcome::delivered, 200, {}, {}};
  nothing.retry = {0, 1, 2};  // every item throttled: that is a failure
  sink.script = {nothing};
  ltf::test::run_until_done(io, strict.flush());
  EXPECT_EQ(strict.retry_policy().consecutive_failures(), 1u);
  strict.stop();
  io.poll();
}

TEST_F(DispatcherTest, PerEventAnswerWithNothingToRetryCountsAsSuccess) {
  buffer.push(events(0, 6));
  Delivery items{Outcome::delivered, 200, {}, {}};
  items.refused = {1};
  sink.script = {items};
  EXPECT_EQ(flush(), FlushResult::drained);
  EXPECT_EQ(dispatcher.stats().delivered_events, 5u);
  EXPECT_EQ(dispatcher.stats().rejected_events, 1u);
  EXPECT_EQ(dispatcher.retry_policy().consecutive_failures(), 0u);
}

TEST_F(DispatcherTest, ASinkThatThrowsCountsAsAFailureNotTheEndOfTheDispatcher) {
  buffer.push(events(0, 2));
  sink.script = {Delivery{Outcome::retry_later, 0, "throw", {}}};
  EXPECT_EQ(flush(), FlushResult::failed);
  EXPECT_EQ(buffer.size(), 2u);
  EXPECT_EQ(flush(), FlushResult::drained);
  EXPECT_EQ(dispatcher.stats().delivered_events, 2u);
}

TEST_F(DispatcherTest, FlushWithNothingBufferedIsDrainedAtOnce) {
  EXPECT_EQ(flush(), FlushResult::drained);
  EXPECT_TRUE(sink.received.empty());
}

TEST_F(DispatcherTest, AbandoningAFlushWaitDoesNotCancelTheSend) {
  buffer.push(events(0, 2));
  sink.hold = true;
  const auto winner = ltf::test::run_until_done(io, [&]() -> asio::awaitable<std::size_t> {
    asio::steady_timer give_up(co_await asio::this_coro::executor, 20ms);
    auto outcome = co_await (dispatcher.flush() || give_up.async_wait(asio::use_awaitable));
    co_return outcome.index();
  }());
  EXPECT_EQ(winner, 1u) << "the sink has not answered, so only the waiter's timeout can end it";
  ASSERT_EQ(sink.received.size(), 1u);
  EXPECT_TRUE(dispatcher.busy()) << "the request is still in flight";

  sink.release();
  run_until([&] { return !dispatcher.busy(); });
  EXPECT_EQ(sink.answered, 1);
  EXPECT_EQ(sink.cancelled, 0) << "the send was cancelled along with the wait";
  EXPECT_EQ(dispatcher.stats().delivered_events, 2u);
  EXPECT_TRUE(buffer.empty());
}

TEST_F(DispatcherTest, AFlushAskedDuringASendCoversWhatWasBufferedWhenItWasAsked) {
  buffer.push(events(0, 2));
  sink.hold = true;
  FlushResult first{}, second{};
  int finished = 0;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    first = co_await dispatcher.flush();
    ++finished;
  }, asio::detached);
  run_until([&] { return sink.received.size() == 1; });

  buffer.push(events(2, 2));  // arrives while the first batch is out
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    second = co_await dispatcher.flush();
    ++finished;
  }, asio::detached);
  sink.release();
  run_until([&] { return finished == 2; });
  EXPECT_EQ(first, FlushResult::drained);
  EXPECT_EQ(second, FlushResult::drained);
  EXPECT_EQ(flatten(sink.received), range(0, 4));
  EXPECT_TRUE(buffer.empty());
}

TEST_F(DispatcherTest, WaitersOfOneFlushAllGetItsResult) {
  buffer.push(events(0, 2));
  sink.script = {unavailable};
  std::vector<FlushResult> results;
  for (int i = 0; i < 3; ++i)
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
      results.push_back(co_await dispatcher.flush());
    }, asio::detached);
  run_until([&] { return results.size() == 3; });
  EXPECT_EQ(results, std::vector<FlushResult>(3, FlushResult::failed));
  EXPECT_EQ(sink.received.size(), 1u) << "one pass served the three requests";
}

TEST_F(DispatcherTest, StopEndsRunWhileIdle) {
  io.poll();  // run() is now waiting to be asked
  EXPECT_FALSE(run_returned);
  dispatcher.stop();
  io.poll();
  EXPECT_TRUE(run_returned);
  EXPECT_EQ(flush(), FlushResult::failed) << "nobody is left to serve a flush";
}

TEST_F(DispatcherTest, StopDuringASendEndsRunOnceTheRequestHasItsAnswer) {
  buffer.push(events(0, 9));
  sink.hold = true;
  std::optional<FlushResult> result;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> { result = co_await dispatcher.flush(); },
                 asio::detached);
  run_until([&] { return sink.received.size() == 1; });
  dispatcher.stop();
  io.poll();
  EXPECT_FALSE(run_returned) << "the request in flight is not cancelled";
  sink.release();
  run_until([&] { return run_returned; });
  EXPECT_EQ(sink.cancelled, 0);
  EXPECT_EQ(sink.received.size(), 1u) << "no new request after stop()";
  EXPECT_EQ(dispatcher.stats().delivered_events, 3u);
  EXPECT_EQ(buffer.size(), 6u);
  EXPECT_EQ(result, FlushResult::failed);
}

TEST_F(DispatcherTest, LogsStateChangesOnlyNeverPerRequest) {
  ltf::log::init(ltf::log::Level::info);
  testing::internal::CaptureStdout();
  for (int round = 0; round < 3; ++round) {  // failing three times: one warning
    buffer.push(events(0, 1));
    sink.script = {unavailable};
    EXPECT_EQ(flush(), FlushResult::failed);
  }
  EXPECT_EQ(flush(), FlushResult::drained);  // recovered: one info
  buffer.push(events(0, 1));
  EXPECT_EQ(flush(), FlushResult::drained);  // steady state: nothing
  for (unsigned status : {400u, 400u, 413u, 400u}) {  // one warning per distinct status
    buffer.push(events(0, 1));
    sink.script = {Delivery{Outcome::rejected, status, "no: " + std::to_string(status), {}}};
    EXPECT_EQ(flush(), FlushResult::drained);
  }
  const std::string out = testing::internal::GetCapturedStdout();
  ltf::log::init(std::nullopt);

  auto count = [&out](std::string_view what) {
    std::size_t n = 0;
    for (auto at = out.find(what); at != std::string::npos; at = out.find(what, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("\n"), 4u) << out;
  EXPECT_EQ(count("is failing (HTTP 503: try later)"), 1u) << out;
  EXPECT_EQ(count("accepting events again"), 1u) << out;
  EXPECT_EQ(count("(HTTP 400: no: 400)"), 1u) << out;
  EXPECT_EQ(count("(HTTP 413: no: 413)"), 1u) << out;
}

struct BigBatchDispatcherTest : DispatcherTest {
  BigBatchDispatcherTest() : DispatcherTest(1 << 20) {}
};

TEST_F(BigBatchDispatcherTest, OneRequestCarriesEverythingThatFits) {
  buffer.push(events(0, 50));
  EXPECT_EQ(flush(), FlushResult::drained);
  ASSERT_EQ(sink.received.size(), 1u);
  EXPECT_EQ(sink.received[0], range(0, 50));
}

}  // namespace
