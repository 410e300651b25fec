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
  h.env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = std::to_string(h.scenario.memory_mb);  // as Lambda sets it
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
  EXPECT_EQ(otlp.data_points.at("faas.invoke_duration"), invocations);
  EXPECT_EQ(otlp.data_points.at("faas.invocations"), invocations);
  EXPECT_EQ(otlp.data_points.at("faas.coldstarts"), 1u);
  EXPECT_EQ(otlp.server_spans, invocations);
  EXPECT_EQ(otlp.spans.at("responseLatency"), invocations);
  EXPECT_EQ(otlp.spans.at("Init"), 1u);
  EXPECT_EQ(otlp.orphan_spans, 0u);
  EXPECT_EQ(otlp.resources_without_service_name, 0u);
  EXPECT_EQ(otlp.resource.at("service.name"), h.scenario.function_name);
  EXPECT_EQ(otlp.resource.at("faas.name"), h.scenario.function_name);
  EXPECT_EQ(otlp.resource.at("faas.version"), h.scenario.function_version);
  EXPECT_EQ(otlp.resource.at("cloud.region"), h.scenario.region);
  EXPECT_EQ(otlp.resource.at("cloud.account.id"), h.scenario.account_id);
  EXPECT_EQ(otlp.resource.at("cloud.platform"), "aws_lambda");
  EXPECT_EQ(otlp.resource.at("faas.max_memory"), "\"" + std::to_string(h.scenario.memory_mb * 1048576) + "\"");
  EXPECT_EQ(otlp.resource.at("faas.instance").size(), 16u);
  EXPECT_EQ(otlp.resource.at("deployment.environment"), "test");
}

TEST(Otlp, AThousandInvocationsOfTwentyLinesOverProtobufArriveOnceEach) {
  Harness h;
  h.scenario.invocations = 1000;
  h.scenario.log_lines_per_invocation = 20;
  send_otlp(h, "http/protobuf");
  const auto outcome = h.run();
  expect_everything_once(h, outcome, 1000);
  EXPECT_EQ(h.sink.otlp().protobuf, h.sink.otlp().requests);
  EXPECT_EQ(h.sink.invalid_bodies(), 0u);
}

TEST(Otlp, AThousandInvocationsOfTwentyJsonLinesOverJsonArriveOnceEach) {
  Harness h;
  h.scenario.invocations = 1000;
  h.scenario.log_lines_per_invocation = 20;
  h.scenario.log_format = ltf::emulator::LogFormat::json;
  send_otlp(h, "http/json");
  const auto outcome = h.run();
  expect_everything_once(h, outcome, 1000);
  EXPECT_EQ(h.sink.otlp().protobuf, 0u);
  EXPECT_EQ(h.sink.invalid_bodies(), 0u);
}

// Down for invocations 300-499, then 10% of requests answered 503: nothing lost, nothing doubled.
void outage_then_flaky(Harness& h) {
  h.before_invocation = [&h](int index) {
    if (index == 300) h.sink.set_fault(SinkFault::refuse());
    if (index == 500) h.sink.set_fault(SinkFault::fail_fraction(0.1));
  };
  h.env["LTF_RETRY_MAX_MS"] = "200";  // the outage ends within the run; come back soon after
  h.env["LTF_CIRCUIT_COOLDOWN_MS"] = "200";
}

void run_through_outage(const char* protocol) {
  Harness h;
  h.scenario.invocations = 1000;
  h.scenario.log_lines_per_invocation = 20;
  send_otlp(h, protocol);
  outage_then_flaky(h);
  const auto outcome = h.run();
  expect_everything_once(h, outcome, 1000);
  EXPECT_GT(h.sink.requests(), h.sink.accepted_requests());  // the 503s really happened
}

TEST(Otlp, ThroughAnOutageAndTenPercentOf503sProtobufLosesAndDoublesNothing) {
  run_through_outage("http/protobuf");
}

TEST(Otlp, ThroughAnOutageAndTenPercentOf503sJsonLosesAndDoublesNothing) {
  run_through_outage("http/json");
}

}  // namespace
