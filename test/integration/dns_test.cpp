// The destination by host name, looked up through a fake DNS server that answers late or never:
// Lambda's POSTs are answered at once, invocations and SHUTDOWN keep their deadlines, and what
// could not be sent is kept on disk for the next process in the sandbox, not lost.

#include "harness.hpp"
#include "unit/net/fake_dns.hpp"

#include "ltf/resolver.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

namespace {

using namespace std::chrono_literals;
using ltf::test::FakeDns;
using ltf::test::Harness;
using ltf::test::kExtensionName;

constexpr auto flush_budget = 200ms;
// Time beyond a limit that a loaded test machine may add; far below what a blocked thread costs
// (the DNS server's 1.5 s, or c-ares' own timeouts of several seconds).
constexpr auto slack = 300ms;

// The harness's destination becomes sink.test, which only `dns` knows; every client on the
// harness's io_context asks `dns`: set directly, and through LTF_DNS_SERVERS, which the extension
// applies (with the same options) once it has read its configuration.
void send_through(Harness& h, FakeDns& dns) {
  h.env["LTF_DNS_SERVERS"] = dns.servers();
  const auto url = h.sink.url();  // http://127.0.0.1:PORT/
  h.env["DISPATCH_POST_URI"] = "http://sink.test" + url.substr(url.find(':', 5));
  h.env["LTF_FLUSH_BUDGET_MS"] = std::to_string(flush_budget.count());
  dns.set("sink.test", "127.0.0.1", 60);
  ltf::net::ResolverOptions options;
  options.servers = dns.servers();
  ltf::net::use_resolver_options(h.io.get_executor(), options);
  // A listener that does not answer at once makes Lambda's POST fail (failed_posts).
  h.scenario.delivery_timeout = 250ms;
}

void expect_deadlines_kept(const ltf::test::Outcome& outcome) {
  EXPECT_EQ(outcome.exit_code, 0);
  EXPECT_EQ(outcome.report.timed_out_invocations(), 0u);
  for (const auto& invocation : outcome.report.invocations)
    EXPECT_LT(invocation.post_runtime, flush_budget + slack)
        << "invocation " << invocation.index << " waited "
        << std::chrono::duration_cast<std::chrono::milliseconds>(invocation.post_runtime).count()
        << " ms after its runtimeDone";
  // The figures docs and reviews quote: the longest wait an invocation had, and Shutdown's length.
  const auto stats = outcome.report.post_runtime_stats();
  std::printf("figures: post-runtime max %.0f ms (p99 %.0f ms) over %zu invocations; shutdown %lld ms\n",
              stats.max_ms, stats.p99_ms, stats.count,
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                         outcome.report.shutdown_duration).count()));
  const auto* extension = outcome.report.extension(kExtensionName);
  ASSERT_NE(extension, nullptr);
  EXPECT_TRUE(extension->exited_before_deadline);
  EXPECT_EQ(extension->failed_posts, 0u) << "Lambda's POSTs to the listener were not answered";
  EXPECT_EQ(extension->dropped_records, 0u);
}

TEST(Dns, AServerAnsweringLateHoldsUpNoInvocationAndEverythingArrives) {
  Harness h;
  FakeDns dns(h.io);
  dns.set_mode(FakeDns::Mode::late, 1500ms);
  send_through(h, dns);
  h.scenario.invocations = 6;
  h.env["LTF_FLUSH_STRATEGY"] = "end-of-invocation";
  auto outcome = h.run();
  expect_deadlines_kept(outcome);
  const auto lines = h.sink.account(outcome.report.function_lines);
  EXPECT_EQ(lines.lost, 0u);
  EXPECT_EQ(lines.unexpected, 0u);
  EXPECT_EQ(dns.a_queries("sink.test"), 1) << "one look-up, cached for its TTL";
}

TEST(Dns, AServerThatNeverAnswersCostsNoDeadlineAndWhatWasNotSentWaitsOnDisk) {
  Harness first;
  FakeDns dead(first.io);
  dead.set_mode(FakeDns::Mode::never);
  send_through(first, dead);
  first.scenario.invocations = 5;
  first.env["LTF_FLUSH_STRATEGY"] = "end-of-invocation";
  auto down = first.run();
  expect_deadlines_kept(down);
  EXPECT_EQ(first.sink.requests(), 0u);
  EXPECT_GE(dead.a_queries("sink.test"), 1);

  // The next extension process in the same sandbox, with DNS answering, sends it all.
  Harness second;
  FakeDns alive(second.io);
  send_through(second, alive);
  second.env["LTF_SPILL_DIR"] = first.spill_dir();
  second.scenario.invocations = 2;
  auto up = second.run();
  EXPECT_EQ(up.exit_code, 0);
  std::vector<std::string> both = down.report.function_lines;
  both.insert(both.end(), up.report.function_lines.begin(), up.report.function_lines.end());
  const auto lines = second.sink.account(both);
  EXPECT_EQ(lines.lost, 0u) << "accepted while DNS was dead, and neither sent nor kept";
  EXPECT_EQ(lines.unexpected, 0u);
}

// What the lead wires: LTF_DNS_SERVERS reaches the resolver every client of the extension uses.
TEST(Dns, LtfDnsServersNamesTheServersTheExtensionAsks) {
  Harness h;
  FakeDns dns(h.io);
  dns.set("sink.test", "127.0.0.1", 60);
  const auto url = h.sink.url();
  h.env["DISPATCH_POST_URI"] = "http://sink.test" + url.substr(url.find(':', 5));
  h.env["LTF_DNS_SERVERS"] = dns.servers();
  h.scenario.invocations = 2;
  auto outcome = h.run();
  EXPECT_EQ(outcome.exit_code, 0);
  EXPECT_EQ(h.sink.account(outcome.report.function_lines).lost, 0u);
  EXPECT_EQ(dns.a_queries("sink.test"), 1);
}

TEST(Dns, AnUnusableLtfDnsServersIsAnInitError) {
  Harness h;
  h.env["LTF_DNS_SERVERS"] = "dns.example.com";
  auto outcome = h.run();
  EXPECT_EQ(outcome.exit_code, ltf::exit_init_failed);
  const auto* extension = outcome.report.extension(kExtensionName);
  ASSERT_NE(extension, nullptr);
  EXPECT_EQ(extension->error_type, "Extension.ConfigInvalid");
}

}  // namespace
