// The OTLP destination end to end: the forwarder in-process on the fake Lambda, delivering to the
// RecordingSink as an OTLP/HTTP receiver (protobuf decoded by the emulator's own reader). Every
// function line arrives once as a LogRecord, each invocation gives one duration data point and
// one server span, and the resource describes the function; the same through an outage and 10%
// of 503 answers.
#include "harness.hpp"

#include <gtest/gtest.h>

namespace {

using ltf::emulator::SinkFault;
using ltf::test::Harness;

void send_otlp(Harness& h, const char* protocol) {
  h.env.erase("DISPATCH_POST_URI");
  h.env["LTF_OTLP_ENDPOINT"] = h.sink.url();
  h.env["LTF_OTLP_PROTOCOL"] = protocol;
  h.env["LTF_OTLP_RESOURCE_ATTRIBUTES"] = "deployment.environment=test";
  // As Lambda sets them for extensions.
  h.env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = std::to_string(h.scenario.memory_mb);
  h.env["AWS_REGION"] = h.scenario.region;
  // Each invocation's lines go before the next one starts: in this debug, one-thread arrangement
  // the fake's own decoding shares the CPU with the forwarder, and a backlog left to the
  // Shutdown drain would test the machine's speed, not the destination.
  h.env["LTF_FLUSH_STRATEGY"] = "end-of-invocation";
}

template <typename Map>
typename Map::mapped_type value_or(const Map& map, const std::string& key, typename Map::mapped_type fallback) {
  auto it = map.find(key);
  return it == map.end() ? fallback : it->second;
}

// Every line once, one duration point, invocation span and report per invocation, and a resource
// that names the function.
void expect_everything_once(const Harness& h, const ltf::test::Outcome& outcome, std::size_t invocations) {
  ASSERT_EQ(outcome.report.invocations.size(), invocations);
  EXPECT_EQ(outcome.report.timed_out_invocations(), 0u);
  EXPECT_EQ(outcome.exit_code, 0);
  const auto lines = h.sink.account(outcome.report.function_lines);
  EXPECT_EQ(lines.produced, invocations * static_cast<std::size_t>(h.scenario.log_lines_per_invocation));
  EXPECT_EQ(lines.lost, 0u);
  EXPECT_EQ(lines.duplicated, 0u);
  EXPECT_EQ(lines.unexpected, 0u);
  EXPECT_EQ(h.sink.events_of_type("platform.report"), invocations);
  const auto& otlp = h.sink.otlp();
  EXPECT_EQ(value_or(otlp.data_points, "faas.invoke_duration", 0), invocations);
  EXPECT_EQ(value_or(otlp.data_points, "faas.invocations", 0), invocations);
  EXPECT_EQ(value_or(otlp.data_points, "faas.coldstarts", 0), 1u);
  EXPECT_EQ(otlp.server_spans, invocations);
  EXPECT_EQ(value_or(otlp.spans, "responseLatency", 0), invocations);
  EXPECT_EQ(value_or(otlp.spans, "Init", 0), 1u);
  EXPECT_EQ(otlp.orphan_spans, 0u);
  EXPECT_EQ(otlp.resources_without_service_name, 0u);
  EXPECT_EQ(value_or(otlp.resource, "service.name", "<absent>"), h.scenario.function_name);
  EXPECT_EQ(value_or(otlp.resource, "faas.name", "<absent>"), h.scenario.function_name);
  EXPECT_EQ(value_or(otlp.resource, "faas.version", "<absent>"), h.scenario.function_version);
  EXPECT_EQ(value_or(otlp.resource, "cloud.region", "<absent>"), h.scenario.region);
  EXPECT_EQ(value_or(otlp.resource, "cloud.account.id", "<absent>"), h.scenario.account_id);
  EXPECT_EQ(value_or(otlp.resource, "cloud.platform", "<absent>"), "aws_lambda");
  EXPECT_EQ(value_or(otlp.resource, "faas.max_memory", "<absent>"), "\"" + std::to_string(h.scenario.memory_mb * 1048576) + "\"");
  EXPECT_EQ(value_or(otlp.resource, "faas.instance", "<absent>").size(), 16u);
  EXPECT_EQ(value_or(otlp.resource, "deployment.environment", "<absent>"), "test");
}

// 200 invocations in the suite (the 1000 of issue 12's figure take 30 s each in a debug build;
// `fake-lambda --otlp protobuf|json --invocations 1000 --lines 20` shows them, docs/otlp.md).
constexpr int kInvocations = 200;

TEST(Otlp, TwoHundredInvocationsOfTwentyLinesOverProtobufArriveOnceEach) {
  Harness h;
  h.scenario.invocations = kInvocations;
  h.scenario.log_lines_per_invocation = 20;
  send_otlp(h, "http/protobuf");
  const auto outcome = h.run();
  expect_everything_once(h, outcome, kInvocations);
  EXPECT_EQ(h.sink.otlp().protobuf, h.sink.otlp().requests);
  EXPECT_EQ(h.sink.invalid_bodies(), 0u);
}

TEST(Otlp, TwoHundredInvocationsOfTwentyJsonLinesOverJsonArriveOnceEach) {
  Harness h;
  h.scenario.invocations = kInvocations;
  h.scenario.log_lines_per_invocation = 20;
  h.scenario.log_format = ltf::emulator::LogFormat::json;
  send_otlp(h, "http/json");
  const auto outcome = h.run();
  expect_everything_once(h, outcome, kInvocations);
  EXPECT_EQ(h.sink.otlp().protobuf, 0u);
  EXPECT_EQ(h.sink.invalid_bodies(), 0u);
}

// Down for invocations 60-99, then 10% of requests answered 503: nothing lost, nothing doubled.
void outage_then_flaky(Harness& h) {
  h.before_invocation = [&h](int index) {
    if (index == 60) h.sink.set_fault(SinkFault::refuse());
    if (index == 100) h.sink.set_fault(SinkFault::fail_fraction(0.1));
  };
  h.env["LTF_RETRY_MAX_MS"] = "200";  // the outage ends within the run; come back soon after
  h.env["LTF_CIRCUIT_COOLDOWN_MS"] = "200";
}

void run_through_outage(const char* protocol) {
  Harness h;
  h.scenario.invocations = kInvocations;
  h.scenario.log_lines_per_invocation = 20;
  send_otlp(h, protocol);
  outage_then_flaky(h);
  const auto outcome = h.run();
  expect_everything_once(h, outcome, kInvocations);
  EXPECT_GT(h.sink.requests(), h.sink.accepted_requests());  // the 503s really happened
}

TEST(Otlp, ThroughAnOutageAndTenPercentOf503sProtobufLosesAndDoublesNothing) {
  run_through_outage("http/protobuf");
}

TEST(Otlp, ThroughAnOutageAndTenPercentOf503sJsonLosesAndDoublesNothing) {
  run_through_outage("http/json");
}

}  // namespace
