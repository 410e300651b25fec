// The resolver against a fake DNS server: answers cached for their TTL, one query for many
// callers, failures remembered, stale answers kept, and every caller back by its own deadline.
#include "fake_dns.hpp"

#include "ltf/resolver.hpp"
#include "support/await.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <gtest/gtest.h>

namespace {

namespace asio = boost::asio;
using ltf::net::DnsError;
using ltf::net::Resolver;
using ltf::net::ResolverOptions;
using ltf::test::FakeDns;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

const auto far = 10s;  // a deadline no test means to reach: only the safety net

ResolverOptions options_for(const FakeDns& dns) {
  ResolverOptions o;
  o.servers = dns.servers();
  o.attempt_timeout = 2000ms;  // the tests' own deadlines come first
  o.attempts = 1;
  return o;
}

std::string first(const ltf::net::Resolution& r) {
  return r.addresses.empty() ? "" : r.addresses.front().to_string();
}

// Awaits the moment the cached answer's TTL has run out: the passing of time is the event.
asio::awaitable<void> until(Clock::time_point when) {
  asio::steady_timer timer(co_await asio::this_coro::executor, when);
  co_await timer.async_wait(asio::use_awaitable);
}

TEST(Resolver, NumericHostsNeedNoLookUp) {
  asio::io_context io;
  FakeDns dns(io);
  auto resolver = Resolver::create(io.get_executor(), options_for(dns));
  auto v4 = ltf::test::run_until_done(io, resolver->resolve("10.1.2.3", Clock::now() + far));
  auto v6 = ltf::test::run_until_done(io, resolver->resolve("::1", Clock::now() + far));
  EXPECT_EQ(first(v4), "10.1.2.3");
  EXPECT_EQ(first(v6), "::1");
  EXPECT_EQ(resolver->counters().look_ups, 0u);
}

TEST(Resolver, EtcHostsIsHonouredWithoutAskingTheServer) {
  asio::io_context io;
  FakeDns dns(io);
  dns.set_mode(FakeDns::Mode::never);
  auto resolver = Resolver::create(io.get_executor(), options_for(dns));
  auto found = ltf::test::run_until_done(io, resolver->resolve("localhost", Clock::now() + far));
  ASSERT_FALSE(found.error) << found.error.message();
  EXPECT_TRUE(found.addresses.front().is_loopback());
  EXPECT_EQ(dns.a_queries("localhost"), 0);
}

TEST(Resolver, AnAnswerIsCachedForItsTtl) {
  asio::io_context io;
  FakeDns dns(io);
  dns.set("sink.test", "127.0.0.7", 60);
  auto resolver = Resolver::create(io.get_executor(), options_for(dns));
  for (int i = 0; i < 3; ++i) {
    auto found = ltf::test::run_until_done(io, resolver->resolve("sink.test", Clock::now() + far));
    ASSERT_FALSE(found.error) << found.error.message();
    EXPECT_EQ(first(found), "127.0.0.7");
    EXPECT_FALSE(found.stale);
  }
  EXPECT_EQ(dns.a_queries("sink.test"), 1);
  EXPECT_EQ(resolver->counters().look_ups, 1u);
  EXPECT_EQ(resolver->counters().cache_hits, 2u);
}

TEST(Resolver, AnExpiredAnswerIsLookedUpAgain) {
  asio::io_context io;
  FakeDns dns(io);
  dns.set("sink.test", "127.0.0.7", 1);
  auto resolver = Resolver::create(io.get_executor(), options_for(dns));
  ltf::test::run_until_done(io, [&]() -> asio::awaitable<void> {
    const auto asked = Clock::now();
    auto before = co_await resolver->resolve("sink.test", Clock::now() + far);
    EXPECT_EQ(first(before), "127.0.0.7");
    dns.set("sink.test", "127.0.0.8", 1);
    co_await until(asked + 1100ms);
    auto after = co_await resolver->resolve("sink.test", Clock::now() + far);
    EXPECT_EQ(first(after), "127.0.0.8");
    EXPECT_FALSE(after.stale);
  }());
  EXPECT_EQ(dns.a_queries("sink.test"), 2);
}

TEST(Resolver, AStaleAnswerIsKeptWhenItsRefreshFails) {
  asio::io_context io;
  FakeDns dns(io);
  dns.set("sink.test", "127.0.0.7", 1);
  auto resolver = Resolver::create(io.get_executor(), options_for(dns));
  ltf::test::run_until_done(io, [&]() -> asio::awaitable<void> {
    const auto asked = Clock::now();
    co_await resolver->resolve("sink.test", Clock::now() + far);
    dns.set_mode(FakeDns::Mode::servfail);
    co_await until(asked + 1100ms);
    auto refreshed = co_await resolver->resolve("sink.test", Clock::now() + far);
    EXPECT_FALSE(refreshed.error) << refreshed.error.message();
    EXPECT_EQ(first(refreshed), "127.0.0.7");
    EXPECT_TRUE(refreshed.stale);
    EXPECT_EQ(dns.a_queries("sink.test"), 2);
    // The failure is remembered: the next caller gets the stale answer without a query.
    auto again = co_await resolver->resolve("sink.test", Clock::now() + far);
    EXPECT_EQ(first(again), "127.0.0.7");
    EXPECT_EQ(dns.a_queries("sink.test"), 2);
  }());
}

TEST(Resolver, ASlowRefreshCostsACallerNoMoreThanItsPatience) {
  asio::io_context io;
  FakeDns dns(io);
  dns.set("sink.test", "127.0.0.7", 1);
  auto resolver = Resolver::create(io.get_executor(), options_for(dns));
  ltf::test::run_until_done(io, [&]() -> asio::awaitable<void> {
    const auto asked = Clock::now();
    co_await resolver->resolve("sink.test", Clock::now() + far);
    dns.set_mode(FakeDns::Mode::never);
    co_await until(asked + 1100ms);
    const auto start = Clock::now();
    auto refreshed = co_await resolver->resolve("sink.test", Clock::now() + far);
    const auto waited = Clock::now() - start;
    EXPECT_EQ(first(refreshed), "127.0.0.7");
    EXPECT_TRUE(refreshed.stale);
    EXPECT_GE(waited, ltf::net::DnsCache::kRefreshPatience);
    EXPECT_LT(waited, ltf::net::DnsCache::kRefreshPatience + 500ms);
  }());
}

TEST(Resolver, ConcurrentCallersShareOneQuery) {
  asio::io_context io;
  FakeDns dns(io);
  dns.set("sink.test", "127.0.0.7", 60);
  dns.set_mode(FakeDns::Mode::late, 200ms);
  auto resolver = Resolver::create(io.get_executor(), options_for(dns));
  constexpr int callers = 10;
  int answered = 0;
  int returned = 0;
  auto all_back = std::make_shared<ltf::async::Notifier>(io.get_executor());
  for (int i = 0; i < callers; ++i)
    asio::co_spawn(io, resolver->resolve("sink.test", Clock::now() + far),
                   [&](std::exception_ptr, ltf::net::Resolution r) {
                     if (first(r) == "127.0.0.7") ++answered;
                     ++returned;
                     all_back->notify();
                   });
  ltf::test::run_until_done(io, [&]() -> asio::awaitable<void> {
    co_await all_back->wait_until([&] { return returned == callers; }, Clock::now() + far);
  }());
  EXPECT_EQ(answered, callers);
  EXPECT_EQ(dns.a_queries("sink.test"), 1);
  EXPECT_EQ(resolver->counters().look_ups, 1u);
}

TEST(Resolver, AFailureIsRememberedSoADeadServerIsNotAskedOnEveryRetry) {
  asio::io_context io;
  FakeDns dns(io);
  auto resolver = Resolver::create(io.get_executor(), options_for(dns));
  dns.set_mode(FakeDns::Mode::servfail);
  auto failed = ltf::test::run_until_done(io, resolver->resolve("down.test", Clock::now() + far));
  EXPECT_EQ(failed.error, DnsError::no_answer);
  const int asked = dns.a_queries("down.test");
  EXPECT_GE(asked, 1);
  dns.set("down.test", "127.0.0.9", 60);
  dns.set_mode(FakeDns::Mode::answer);
  for (int i = 0; i < 5; ++i) {
    auto again = ltf::test::run_until_done(io, resolver->resolve("down.test", Clock::now() + far));
    EXPECT_EQ(again.error, DnsError::no_answer);
  }
  EXPECT_EQ(dns.a_queries("down.test"), asked);
  // A name that does not exist is remembered the same way.
  auto missing = ltf::test::run_until_done(io, resolver->resolve("nx.test", Clock::now() + far));
  auto still = ltf::test::run_until_done(io, resolver->resolve("nx.test", Clock::now() + far));
  EXPECT_EQ(missing.error, DnsError::not_found);
  EXPECT_EQ(still.error, DnsError::not_found);
  EXPECT_EQ(dns.a_queries("nx.test"), 1);
}

TEST(Resolver, ACallerReturnsAtItsDeadlineWhenTheServerNeverAnswers) {
  asio::io_context io;
  FakeDns dns(io);
  dns.set("sink.test", "127.0.0.7", 60);
  dns.set_mode(FakeDns::Mode::never);
  auto options = options_for(dns);
  options.attempt_timeout = 500ms;  // c-ares asks again after this: the look-up outlives a waiter
  options.attempts = 3;
  auto resolver = Resolver::create(io.get_executor(), options);
  ltf::test::run_until_done(io, [&]() -> asio::awaitable<void> {
    const auto start = Clock::now();
    auto late = co_await resolver->resolve("sink.test", start + 300ms);
    const auto waited = Clock::now() - start;
    EXPECT_EQ(late.error, DnsError::too_late);
    EXPECT_GE(waited, 300ms);
    EXPECT_LT(waited, 800ms);
    // The look-up goes on for later callers: c-ares' next attempt is answered.
    dns.set_mode(FakeDns::Mode::answer);
    auto found = co_await resolver->resolve("sink.test", Clock::now() + far);
    EXPECT_EQ(first(found), "127.0.0.7");
    EXPECT_EQ(resolver->counters().look_ups, 1u);
  }());
}

TEST(Resolver, ShutdownReleasesEveryWaiter) {
  asio::io_context io;
  FakeDns dns(io);
  dns.set_mode(FakeDns::Mode::never);
  auto resolver = Resolver::create(io.get_executor(), options_for(dns));
  auto stopped = ltf::test::run_until_done(io, [&]() -> asio::awaitable<ltf::net::Resolution> {
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
      co_await dns.notifier().wait_until([&] { return dns.a_queries("sink.test") > 0; },
                                         Clock::now() + far);
      resolver->shutdown();
    }, asio::detached);
    co_return co_await resolver->resolve("sink.test", Clock::now() + far);
  }());
  EXPECT_EQ(stopped.error, DnsError::stopped);
}

TEST(Resolver, SharedResolverFollowsTheOptionsGiven) {
  asio::io_context io;
  FakeDns dns(io);
  dns.set("sink.test", "127.0.0.7", 60);
  auto before = ltf::net::shared_resolver(io.get_executor());
  EXPECT_EQ(before, ltf::net::shared_resolver(io.get_executor()));
  ltf::net::use_resolver_options(io.get_executor(), options_for(dns));
  auto after = ltf::net::shared_resolver(io.get_executor());
  EXPECT_NE(before, after);
  EXPECT_EQ(after->options(), options_for(dns));
  auto found = ltf::test::run_until_done(io, after->resolve("sink.test", Clock::now() + far));
  EXPECT_EQ(first(found), "127.0.0.7");
}

TEST(Resolver, ServerListsAreCheckedAsTheResolverReadsThem) {
  EXPECT_FALSE(ltf::net::check_dns_servers("127.0.0.1:5353"));
  EXPECT_FALSE(ltf::net::check_dns_servers("10.0.0.2,[::1]:53"));
  EXPECT_TRUE(ltf::net::check_dns_servers("dns.example.com"));
  EXPECT_TRUE(ltf::net::check_dns_servers("127.0.0.1:port"));
}

}  // namespace
