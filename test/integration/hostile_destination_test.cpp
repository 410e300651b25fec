// The hostile-destination suite: the forwarder in-process on the fake Lambda, delivering through a
// HostileDestination (support/hostile_destination.hpp) in front of a well-behaved destination, the
// RecordingSink for the HTTP sink and FakeOpenSearch for the OpenSearch sink. The destination
// misbehaves for invocations 1-4 in one way each, then recovers. For every way and both sinks:
// no event is lost, no invocation misses its deadline, the sender never stays longer than its
// timeout, and the process's peak RSS stays bounded (recorded for docs/hostile.md).
#include "harness.hpp"

#include "ltf/fake_opensearch.hpp"
#include "ltf/net.hpp"
#include "support/hostile_destination.hpp"
#include "support/peak_rss.hpp"

#include <gtest/gtest.h>

#include <set>
#include <tuple>

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using namespace std::chrono_literals;
using ltf::emulator::FakeOpenSearch;
using ltf::test::Harness;
using ltf::test::HostileDestination;
using ltf::test::Misbehaviour;
using ltf::test::UpstreamAnswer;

enum class SinkKind { http, opensearch };

constexpr auto kSinkTimeout = 300ms;
// What a loaded test machine may add to the sink's timeout before the sender has gone.
constexpr auto kSlack = 700ms;
// The process's peak RSS growth over a run: the fake Lambda, the destinations and the forwarder
// together. What the forwarder holds of a hostile answer is bounded far below this (1 MiB for the
// HTTP sink, a 16 KiB piece for OpenSearch); before answers were streamed, an endless OpenSearch
// answer alone held 32 MiB.
constexpr long kRssBoundKib = 24 * 1024;

// Passes each request to the well-behaved destination on `port` and returns its answer.
ltf::test::Upstream forward_to(asio::any_io_executor executor, std::uint16_t port) {
  return [executor, port](http::request<http::string_body>& in) -> asio::awaitable<UpstreamAnswer> {
    ltf::net::Request out{in.method(), in.target(), 11};
    for (const auto& field : in)
      if (field.name() != http::field::host && field.name() != http::field::content_length &&
          field.name() != http::field::connection)
        out.insert(field.name_string(), field.value());
    out.body() = std::move(in.body());
    ltf::net::HttpClient client(executor, "127.0.0.1", std::to_string(port));
    const auto exchange = co_await client.send(std::move(out), std::chrono::milliseconds(10'000));
    if (!exchange.ok()) co_return UpstreamAnswer{502, "text/plain", exchange.error.message()};
    const auto type = exchange.response[http::field::content_type];
    co_return UpstreamAnswer{exchange.response.result_int(), std::string(type),
                             exchange.response.body()};
  };
}

class HostileDestinations : public testing::TestWithParam<std::tuple<SinkKind, Misbehaviour>> {};

TEST_P(HostileDestinations, NothingIsLostNoDeadlineIsMissedAndMemoryStaysBounded) {
  const auto [kind, way] = GetParam();
  Harness h;
  h.scenario.invocations = 8;
  h.scenario.log_lines_per_invocation = 5;
  h.scenario.invoke_timeout = 1500ms;
  h.env["LTF_SINK_TIMEOUT_MS"] = std::to_string(kSinkTimeout.count());
  h.env["LTF_FLUSH_BUDGET_MS"] = "50";
  h.env["LTF_FLUSH_STRATEGY"] = "end-of-invocation";
  h.env["LTF_RETRY_INITIAL_MS"] = "5";
  h.env["LTF_RETRY_MAX_MS"] = "50";
  h.env["LTF_CIRCUIT_COOLDOWN_MS"] = "50";

  std::unique_ptr<FakeOpenSearch> os;
  std::uint16_t upstream = h.sink.port();
  if (kind == SinkKind::opensearch) {
    os = std::make_unique<FakeOpenSearch>(h.io.get_executor());
    ASSERT_FALSE(os->listen());
    upstream = os->port();
  }
  HostileDestination destination(h.io.get_executor(), forward_to(h.io.get_executor(), upstream));
  destination.set_drip_interval(50ms);
  if (kind == SinkKind::opensearch) {
    h.env.erase("DISPATCH_POST_URI");
    h.env["URL"] = destination.url();
    h.env["AWS_REGION"] = h.scenario.region;
    h.env["AWS_LAMBDA_FUNCTION_NAME"] = h.scenario.function_name;
  } else {
    h.env["DISPATCH_POST_URI"] = destination.url() + "/";
  }
  h.before_invocation = [&destination, bad = way](int index) {
    if (index == 1) destination.misbehave(bad);
    if (index == 5) destination.misbehave(Misbehaviour::none);
  };

  ltf::test::PeakRss rss;
  const auto outcome = h.run();
  const long growth = rss.growth_kib();

  EXPECT_EQ(outcome.exit_code, 0);
  EXPECT_EQ(outcome.report.timed_out_invocations(), 0u);
  const auto* extension = outcome.report.extension(ltf::test::kExtensionName);
  ASSERT_NE(extension, nullptr);
  EXPECT_TRUE(extension->exited_before_deadline);
  EXPECT_GE(destination.misbehaved(), 1u) << "the destination never met a request";
  EXPECT_LT(destination.longest_stay(), kSinkTimeout + kSlack) << "a request outstayed its timeout";
  EXPECT_LT(growth, kRssBoundKib * ltf::test::kRssBoundFactor) << "KiB";
  const std::string label = std::string(kind == SinkKind::http ? "http" : "opensearch") + "_sink_" +
                            ltf::test::name(way);
  ltf::test::record((label + "_peak_rss_growth").c_str(), growth, "KiB");
  ltf::test::record((label + "_longest_stay").c_str(),
                    static_cast<long>(destination.longest_stay().count()), "ms");

  const auto& produced = outcome.report.function_lines;
  ASSERT_FALSE(produced.empty());
  if (kind == SinkKind::http) {
    const auto lines = h.sink.account(produced);
    EXPECT_EQ(lines.lost, 0u);
    EXPECT_EQ(lines.unexpected, 0u);
    EXPECT_EQ(lines.altered_duplicates, 0u);
  } else {
    std::set<std::string> function_events;
    for (const auto& index : os->indices())
      for (const auto& doc : os->documents(index))
        if (doc.source.at("type").as_string() == "function")
          function_events.insert(std::string(doc.source.at("event_id").as_string()));
    EXPECT_EQ(function_events.size(), produced.size()) << "function events indexed, once each";
    os->stop();
  }
  destination.stop();
}

std::string case_name(const testing::TestParamInfo<std::tuple<SinkKind, Misbehaviour>>& tested) {
  const SinkKind kind = std::get<0>(tested.param);
  return std::string(kind == SinkKind::http ? "HttpSink_" : "OpenSearchSink_") +
         ltf::test::name(std::get<1>(tested.param));
}

INSTANTIATE_TEST_SUITE_P(Every, HostileDestinations,
                         testing::Combine(testing::Values(SinkKind::http, SinkKind::opensearch),
                                          testing::ValuesIn(ltf::test::every_misbehaviour())),
                         case_name);

}  // namespace
