// The OTLP sink against a scripted OTLP receiver: which requests go where, what is retried and
// what is not, and that a batch sent again reaches only the signals still owing it.
#include "ltf/fake_otlp.hpp"
#include "ltf/otlp_sink.hpp"
#include "otlp_test_events.hpp"
#include "support/await.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <map>

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace otlp = ltf::otlp;
using ltf::net::Request;
using ltf::net::Response;
using ltf::sinks::Delivery;
using ltf::sinks::Outcome;
using ltf::telemetry::Event;
using ltf::test::otlp_events::invocation;

struct OtlpSinkTest : ::testing::Test {
  OtlpSinkTest()
      : server(io.get_executor(), [this](Request& request) -> asio::awaitable<Response> {
          const std::string target(request.target());
          received.push_back(request);
          ++requests[target];
          Response response{http::status::ok, 11};
          if (auto it = script.find(target); it != script.end() && !it->second.empty()) {
            response = it->second.front();
            it->second.erase(it->second.begin());
          }
          co_return response;
        }) {}

  void SetUp() override {
    ASSERT_FALSE(server.listen({asio::ip::make_address("127.0.0.1"), 0}));
    server.start();
  }
  void TearDown() override { server.stop(); }

  ltf::net::HttpUrl url(std::string target) {
    return {"http", "127.0.0.1", std::to_string(server.port()), std::move(target)};
  }
  std::unique_ptr<otlp::OtlpSink> sink(ltf::OtlpProtocol protocol = ltf::OtlpProtocol::protobuf) {
    otlp::OtlpSinkOptions options;
    options.logs = url("/v1/logs");
    options.metrics = url("/v1/metrics");
    options.traces = url("/v1/traces");
    options.protocol = protocol;
    ltf::sinks::HeaderSourceOptions headers;
    headers.fixed = {{"x-honeycomb-team", "secret-key"}};
    options.http.headers = std::make_shared<ltf::sinks::HeaderSource>(io.get_executor(), std::move(headers));
    options.resource.function = {"eu-west-1", "orders", "7", "3f9a0c1d5e7b2468"};
    return std::make_unique<otlp::OtlpSink>(io.get_executor(), std::move(options));
  }
  Delivery deliver(otlp::OtlpSink& s, const std::vector<Event>& events) {
    return ltf::test::run_until_done(io, s.deliver(events));
  }
  static Response status(http::status code, std::string body = {}) {
    Response response{code, 11};
    response.body() = std::move(body);
    return response;
  }
  std::vector<Event> pick(const std::vector<Event>& events, const std::vector<std::size_t>& indices) {
    std::vector<Event> out;
    for (auto i : indices) out.push_back(events[i]);
    return out;
  }

  asio::io_context io;
  std::vector<Request> received;
  std::map<std::string, int> requests;
  std::map<std::string, std::vector<Response>> script;  // answers per target, in order; then 200
  ltf::net::HttpServer server;
};

TEST_F(OtlpSinkTest, EachSignalGoesToItsEndpointEncodedWithTheHeaders) {
  auto s = sink();
  const auto events = invocation();
  const Delivery d = deliver(*s, events);
  EXPECT_EQ(d.outcome, Outcome::delivered);
  EXPECT_FALSE(d.per_event());
  ASSERT_EQ(received.size(), 3u);
  const char* targets[] = {"/v1/logs", "/v1/metrics", "/v1/traces"};
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(received[i].target(), targets[i]);
    EXPECT_EQ(received[i][http::field::content_type], "application/x-protobuf");
    EXPECT_EQ(received[i]["x-honeycomb-team"], "secret-key");
    const auto signal = *ltf::emulator::otlp::signal_of_target(targets[i]);
    EXPECT_TRUE(ltf::emulator::otlp::decode_protobuf(signal, received[i].body())) << targets[i];
  }
  const auto logs = *ltf::emulator::otlp::decode_protobuf(ltf::emulator::otlp::Signal::logs, received[0].body());
  EXPECT_EQ(logs.at("resourceLogs").at(0).at("scopeLogs").at(0).at("logRecords").as_array().size(), events.size());
}

TEST_F(OtlpSinkTest, JsonProtocolSendsJson) {
  auto s = sink(ltf::OtlpProtocol::json);
  EXPECT_EQ(deliver(*s, invocation()).outcome, Outcome::delivered);
  ASSERT_EQ(received.size(), 3u);
  EXPECT_EQ(received[0][http::field::content_type], "application/json");
  EXPECT_TRUE(boost::json::parse(received[0].body()).at("resourceLogs").is_array());
}

TEST_F(OtlpSinkTest, ABatchWithoutPlatformReportsSendsOnlyLogs) {
  auto s = sink();
  const auto events = invocation();
  EXPECT_EQ(deliver(*s, pick(events, {2, 3, 4})).outcome, Outcome::delivered);
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].target(), "/v1/logs");
}

TEST_F(OtlpSinkTest, AFailedSignalOwesOnlyItsEventsAndTheResendSkipsWhatArrived) {
  auto s = sink();
  const auto events = invocation();
  auto throttled = status(http::status::too_many_requests);
  throttled.set(http::field::retry_after, "3");
  script["/v1/metrics"] = {throttled};
  const Delivery first = deliver(*s, events);
  EXPECT_EQ(first.outcome, Outcome::retry_later);
  EXPECT_EQ(first.status, 429u);
  ASSERT_TRUE(first.retry_after);
  EXPECT_EQ(*first.retry_after, std::chrono::milliseconds(3000));
  // initReport (0) and report (6) feed the metrics; runtimeDone (5) the spans, not tried yet.
  EXPECT_EQ(first.retry, (std::vector<std::size_t>{0, 5, 6}));
  EXPECT_TRUE(first.refused.empty());
  EXPECT_EQ(requests["/v1/traces"], 0);

  const Delivery second = deliver(*s, pick(events, first.retry));
  EXPECT_EQ(second.outcome, Outcome::delivered);
  EXPECT_EQ(requests["/v1/logs"], 1);  // the logs had arrived: not sent again
  EXPECT_EQ(requests["/v1/metrics"], 2);
  EXPECT_EQ(requests["/v1/traces"], 1);
}

TEST_F(OtlpSinkTest, WhatOtlpCallsNotRetryableIsRefusedForGoodAndCounted) {
  auto s = sink();
  const auto events = invocation();
  script["/v1/logs"] = {status(http::status::internal_server_error, "boom")};
  const Delivery d = deliver(*s, events);
  EXPECT_EQ(d.outcome, Outcome::rejected);
  EXPECT_EQ(d.refused.size(), events.size());
  EXPECT_TRUE(d.retry.empty());
  EXPECT_EQ(s->rejected(otlp::OtlpSink::logs_signal), events.size());
  EXPECT_EQ(requests["/v1/metrics"], 0);  // refused events are not derived from either
}

TEST_F(OtlpSinkTest, RefusedMetricsDoNotRefuseTheEventsThatArrivedAsLogs) {
  auto s = sink();
  script["/v1/metrics"] = {status(http::status::bad_request, "unknown metric")};
  const Delivery d = deliver(*s, invocation());
  EXPECT_EQ(d.outcome, Outcome::delivered);
  EXPECT_TRUE(d.refused.empty());
  EXPECT_EQ(s->rejected(otlp::OtlpSink::metrics_signal), 2u);
  EXPECT_EQ(requests["/v1/traces"], 1);
}

TEST_F(OtlpSinkTest, PartialSuccessIsCountedAndNotRetried) {
  auto s = sink();
  script["/v1/logs"] = {status(http::status::ok, std::string("\x0a\x07\x08\x02\x12\x03" "old", 9))};
  const Delivery d = deliver(*s, invocation());
  EXPECT_EQ(d.outcome, Outcome::delivered);
  EXPECT_TRUE(d.retry.empty());
  EXPECT_EQ(s->rejected(otlp::OtlpSink::logs_signal), 2u);
  EXPECT_EQ(requests["/v1/logs"], 1);
}

TEST_F(OtlpSinkTest, AnUnreachableEndpointOwesTheWholeBatch) {
  auto s = sink();
  server.stop();
  const auto events = invocation();
  const Delivery d = deliver(*s, events);
  EXPECT_EQ(d.outcome, Outcome::retry_later);
  EXPECT_EQ(d.retry.size(), events.size());
  EXPECT_EQ(d.status, 0u);
}

TEST_F(OtlpSinkTest, DescribeNamesTheEndpointsButNoHeaderValue) {
  auto s = sink();
  const auto text = s->describe();
  EXPECT_NE(text.find("/v1/logs"), std::string::npos);
  EXPECT_NE(text.find("http/protobuf"), std::string::npos);
  EXPECT_EQ(text.find("secret-key"), std::string::npos);
}

}  // namespace
