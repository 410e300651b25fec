// OTLP encoding: what the extension encodes, decoded by the emulator's independent reader
// (ltf/fake_otlp.hpp), and the two encodings compared with each other.
#include "ltf/fake_otlp.hpp"
#include "ltf/otlp.hpp"
#include "otlp_test_events.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

namespace {

namespace json = boost::json;
namespace otlp = ltf::otlp;
using ltf::OtlpProtocol;
using ltf::emulator::otlp::decode_protobuf;
using ltf::emulator::otlp::Signal;
using ltf::test::otlp_events::invocation;

otlp::Attributes resource() {
  otlp::ResourceInfo info;
  info.function = {"eu-west-1", "orders", "7", "3f9a0c1d5e7b2468"};
  info.account_id = "123456789012";
  info.memory_mb = 128;
  return otlp::resource_attributes(info);
}

json::value decoded(Signal signal, const std::string& body) {
  std::string why;
  auto value = decode_protobuf(signal, body, &why);
  EXPECT_TRUE(value) << why;
  return value ? *value : json::value{};
}

// The items of the request's only resource and scope.
const json::array& items(const json::value& request, const char* resources, const char* scopes, const char* name) {
  return request.at(resources).at(0).at(scopes).at(0).at(name).as_array();
}

std::string attribute(const json::value& owner, std::string_view key) {
  for (const auto& kv : owner.at("attributes").as_array())
    if (kv.at("key").as_string() == key) {
      const auto& value = kv.at("value").as_object();
      return value.begin()->value().is_string() ? std::string(value.begin()->value().as_string())
                                                 : json::serialize(value.begin()->value());
    }
  return "<absent>";
}

TEST(OtlpEncoding, ResourceDescribesTheFunctionWithFaasAndCloudConventions) {
  const auto request = decoded(Signal::logs, otlp::encode_logs(resource(), {}, OtlpProtocol::protobuf));
  const auto& res = request.at("resourceLogs").at(0).at("resource");
  EXPECT_EQ(attribute(res, "service.name"), "orders");
  EXPECT_EQ(attribute(res, "faas.name"), "orders");
  EXPECT_EQ(attribute(res, "faas.version"), "7");
  EXPECT_EQ(attribute(res, "faas.instance"), "3f9a0c1d5e7b2468");
  EXPECT_EQ(attribute(res, "faas.max_memory"), std::to_string(128 * 1024 * 1024));
  EXPECT_EQ(attribute(res, "cloud.provider"), "aws");
  EXPECT_EQ(attribute(res, "cloud.platform"), "aws_lambda");
  EXPECT_EQ(attribute(res, "cloud.region"), "eu-west-1");
  EXPECT_EQ(attribute(res, "cloud.account.id"), "123456789012");
}

TEST(OtlpEncoding, ResourceAttributesFromTheSettingWinOverTheDerivedOnes) {
  otlp::ResourceInfo info;
  info.function = {"eu-west-1", "orders", "7", ""};
  info.extra = {{"service.name", "checkout"}, {"deployment.environment", "prod"}};
  const auto attributes = otlp::resource_attributes(info);
  const auto request = decoded(Signal::logs, otlp::encode_logs(attributes, {}, OtlpProtocol::protobuf));
  const auto& res = request.at("resourceLogs").at(0).at("resource");
  EXPECT_EQ(attribute(res, "service.name"), "checkout");
  EXPECT_EQ(attribute(res, "deployment.environment"), "prod");
  EXPECT_EQ(attribute(res, "faas.instance"), "<absent>");  // no sandbox id: left out
}

TEST(OtlpEncoding, EveryEventBecomesOneLogRecordWithBodySeverityTimeAndIds) {
  const auto events = invocation();
  const auto records = otlp::log_records(events);
  const auto request = decoded(Signal::logs, otlp::encode_logs(resource(), records, OtlpProtocol::protobuf));
  const auto& logs = items(request, "resourceLogs", "scopeLogs", "logRecords");
  ASSERT_EQ(logs.size(), events.size());

  const auto& text = logs.at(2);  // the Python text line
  EXPECT_EQ(text.at("body").at("stringValue").as_string(), "[WARN]\t2026-12-04T10:00:00.135Z\t6d68ca91-49c9-448d-89b8-7ca3e6dc66aa\tcharged order 17\n");
  EXPECT_EQ(text.at("severityNumber").as_int64(), 13);
  EXPECT_EQ(text.at("severityText").as_string(), "WARN");
  EXPECT_EQ(text.at("timeUnixNano").as_string(), "1796378400135000000");
  EXPECT_EQ(attribute(text, "faas.invocation_id"), ltf::test::otlp_events::request_id);
  EXPECT_EQ(attribute(text, "aws.lambda.event.id"), events[2].id);
  EXPECT_EQ(attribute(text, "aws.lambda.event.type"), "function");
  EXPECT_EQ(attribute(text, "aws.lambda.event.sequence"), "3");  // intValue: a string in JSON

  const auto& structured = logs.at(3);  // the JSON line: a map body
  EXPECT_EQ(structured.at("severityNumber").as_int64(), 17);
  const auto& members = structured.at("body").at("kvlistValue").at("values").as_array();
  std::map<std::string, json::value> body;
  for (const auto& kv : members) body[std::string(kv.at("key").as_string())] = kv.at("value");
  EXPECT_EQ(body.at("message").at("stringValue"), "card declined");
  EXPECT_EQ(body.at("attempt").at("intValue"), "2");
  EXPECT_EQ(body.at("ok").at("boolValue"), false);  // a false oneof member is still sent
  EXPECT_EQ(body.at("tags").at("arrayValue").at("values").at(1).at("doubleValue"), 1.5);

  const auto& start = logs.at(1);  // a platform event: its record as the body, trace context
  EXPECT_EQ(start.at("eventName").as_string(), "platform.start");
  EXPECT_EQ(start.at("severityNumber").as_int64(), 9);
  EXPECT_EQ(start.at("traceId").as_string(), "5759e988bd862e3fe1be46a994272793");
  EXPECT_EQ(start.at("spanId").as_string(), "7f1a2b3c4d5e6f70");

  EXPECT_EQ(logs.at(6).at("severityNumber").as_int64(), 17);  // report with status timeout
  EXPECT_EQ(logs.at(4).as_object().count("severityNumber"), 0u);  // a plain line: unspecified
}

TEST(OtlpEncoding, ReportAndInitReportGiveOneDataPointPerMetricEach) {
  const auto events = invocation();
  const auto metrics = otlp::metrics(events);
  const auto request = decoded(Signal::metrics, otlp::encode_metrics(resource(), metrics, OtlpProtocol::protobuf));
  std::map<std::string, json::object> by_name;
  for (const auto& m : items(request, "resourceMetrics", "scopeMetrics", "metrics"))
    by_name[std::string(m.at("name").as_string())] = m.as_object();
  for (const char* name : {"faas.invoke_duration", "aws.lambda.billed_duration", "faas.mem_usage",
                           "aws.lambda.memory_limit", "faas.invocations", "faas.errors",
                           "faas.timeouts", "faas.init_duration", "faas.coldstarts"})
    ASSERT_TRUE(by_name.contains(name)) << name;

  const auto& duration = by_name["faas.invoke_duration"].at("histogram");
  EXPECT_EQ(duration.at("aggregationTemporality").as_int64(), 1);  // delta
  const auto& point = duration.at("dataPoints").as_array().at(0);
  EXPECT_EQ(duration.at("dataPoints").as_array().size(), 1u);
  EXPECT_EQ(point.at("count").as_string(), "1");
  EXPECT_DOUBLE_EQ(point.at("sum").as_double(), 0.21);
  EXPECT_EQ(point.at("timeUnixNano").as_string(), "1796378400330000000");
  EXPECT_EQ(point.at("startTimeUnixNano").as_string(), "1796378400120000000");
  EXPECT_EQ(by_name["faas.timeouts"].at("sum").at("dataPoints").at(0).at("asInt"), "1");
  EXPECT_EQ(by_name["faas.errors"].at("sum").at("dataPoints").at(0).at("asInt"), "0");
  EXPECT_EQ(by_name["aws.lambda.memory_limit"].at("gauge").at("dataPoints").at(0).at("asInt"),
            json::value(std::to_string(128 * 1024 * 1024)));
  EXPECT_DOUBLE_EQ(by_name["faas.init_duration"].at("histogram").at("dataPoints").at(0).at("sum").as_double(), 0.2505);
  EXPECT_EQ(by_name["faas.coldstarts"].at("sum").at("dataPoints").at(0).at("asInt"), "1");
}

TEST(OtlpEncoding, AnInvocationIsAServerSpanWithLambdasPhasesAsChildrenInTheXRayTrace) {
  const auto events = invocation();
  const auto spans = otlp::spans(events, "orders");
  const auto request = decoded(Signal::traces, otlp::encode_spans(resource(), spans, OtlpProtocol::protobuf));
  const auto& all = items(request, "resourceSpans", "scopeSpans", "spans");
  ASSERT_EQ(all.size(), 4u);  // Init, responseLatency, responseDuration, the invocation
  std::map<std::string, json::object> by_name;
  for (const auto& s : all) by_name[std::string(s.at("name").as_string())] = s.as_object();
  const auto& invoke = by_name.at("orders");
  EXPECT_EQ(invoke.at("kind").as_int64(), 2);
  EXPECT_EQ(invoke.at("traceId").as_string(), "5759e988bd862e3fe1be46a994272793");
  EXPECT_EQ(invoke.at("spanId").as_string(), "7f1a2b3c4d5e6f70");
  EXPECT_EQ(invoke.at("parentSpanId").as_string(), "53995c3f42cd8ad8");
  EXPECT_EQ(invoke.at("startTimeUnixNano").as_string(), "1796378400120000000");
  EXPECT_EQ(invoke.at("endTimeUnixNano").as_string(), "1796378400320000000");
  EXPECT_EQ(attribute(invoke, "faas.invocation_id"), ltf::test::otlp_events::request_id);
  for (const char* phase : {"responseLatency", "responseDuration"}) {
    const auto& child = by_name.at(phase);
    EXPECT_EQ(child.at("parentSpanId"), invoke.at("spanId")) << phase;
    EXPECT_EQ(child.at("traceId"), invoke.at("traceId")) << phase;
    EXPECT_NE(child.at("spanId"), invoke.at("spanId")) << phase;
  }
  EXPECT_EQ(by_name.at("responseDuration").at("endTimeUnixNano").as_string(), "1796378400320000000");
  const auto& init = by_name.at("Init");
  EXPECT_EQ(init.at("traceId").as_string().size(), 32u);
  EXPECT_EQ(init.at("startTimeUnixNano").as_string(), "1796378399849500000");
}

TEST(OtlpEncoding, WithoutTracingTheTraceIdIsTheEventsIdAndResendsCarryTheSameIds) {
  auto done = invocation()[5];
  const auto at = done.raw.find(",\"tracing\"");
  done.raw.erase(at, done.raw.find("},\"spans\"") + 1 - at);
  const auto first = otlp::spans(std::span(&done, 1), "orders");
  const auto again = otlp::spans(std::span(&done, 1), "orders");
  ASSERT_EQ(first.size(), 3u);
  const auto& invoke = first.back();
  EXPECT_EQ(invoke.trace_id, std::string("\x01\x23\x45\x67\x89\xab\xcd\xef\x01\x23\x45\x67\x89\xab\xcd\xef", 16));
  EXPECT_TRUE(invoke.parent_span_id.empty());
  for (std::size_t i = 0; i < first.size(); ++i) EXPECT_EQ(first[i].span_id, again[i].span_id);
}

TEST(OtlpEncoding, ProtobufAndJsonEncodingsSayTheSame) {
  const auto events = invocation();
  const auto records = otlp::log_records(events);
  const auto metrics = otlp::metrics(events);
  const auto spans = otlp::spans(events, "orders");
  EXPECT_EQ(decoded(Signal::logs, otlp::encode_logs(resource(), records, OtlpProtocol::protobuf)),
            json::parse(otlp::encode_logs(resource(), records, OtlpProtocol::json)));
  EXPECT_EQ(decoded(Signal::metrics, otlp::encode_metrics(resource(), metrics, OtlpProtocol::protobuf)),
            json::parse(otlp::encode_metrics(resource(), metrics, OtlpProtocol::json)));
  EXPECT_EQ(decoded(Signal::traces, otlp::encode_spans(resource(), spans, OtlpProtocol::protobuf)),
            json::parse(otlp::encode_spans(resource(), spans, OtlpProtocol::json)));
}

TEST(OtlpEncoding, XRayHeadersBecomeTraceIdsAndMalformedOnesDoNot) {
  EXPECT_EQ(otlp::xray_trace_id("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1")->size(), 16u);
  EXPECT_EQ(otlp::xray_trace_id("Sampled=1; Root=1-5759e988-bd862e3fe1be46a994272793"),
            otlp::xray_trace_id("Root=1-5759e988-bd862e3fe1be46a994272793"));
  for (const char* bad : {"", "Root=", "Root=1-5759e988-bd862e3f", "Root=2-5759e988-bd862e3fe1be46a994272793",
                          "Root=1-5759e988-bd862e3fe1be46a99427279z", "Root=1-00000000-000000000000000000000000"})
    EXPECT_FALSE(otlp::xray_trace_id(bad)) << bad;
}

TEST(OtlpEncoding, PartialSuccessIsReadFromEitherEncodingAndGarbageIsNot) {
  // ExportLogsServiceResponse { partial_success (1) { rejected_log_records (1) = 3; error_message (2) = "bad" } }
  const std::string protobuf("\x0a\x07\x08\x03\x12\x03" "bad", 9);
  auto found = otlp::partial_success(protobuf, OtlpProtocol::protobuf);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->rejected, 3);
  EXPECT_EQ(found->error_message, "bad");
  found = otlp::partial_success(R"({"partialSuccess":{"rejectedDataPoints":"5","errorMessage":"too old"}})", OtlpProtocol::json);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->rejected, 5);
  EXPECT_FALSE(otlp::partial_success("", OtlpProtocol::protobuf));  // a full success
  EXPECT_FALSE(otlp::partial_success("{}", OtlpProtocol::json));
  EXPECT_FALSE(otlp::partial_success(R"({"partialSuccess":{}})", OtlpProtocol::json));
  for (const std::string& garbage : {std::string("\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11),
                                    std::string("\x0a\x10\x08", 3), std::string("{\"errors\":false}")})
    EXPECT_FALSE(otlp::partial_success(garbage, OtlpProtocol::protobuf));
  EXPECT_FALSE(otlp::partial_success("[1,2", OtlpProtocol::json));
}

TEST(OtlpEncoding, HostileEventsStillBecomeRecordsAndTruncatedMessagesAreRefused) {
  // A record nested deep, numbers past int64, a null, an unparsable time: all encoded, none lost.
  std::string deep = "1";
  for (int i = 0; i < 40; ++i) deep = "[" + deep + "]";
  const std::vector<ltf::telemetry::Event> odd{
      ltf::test::otlp_events::event(R"({"time":"not a time","type":"function","record":{"n":18446744073709551615,"z":null,"d":)" + deep + "}}"),
      ltf::test::otlp_events::event(R"({"time":"2026-12-04T10:00:00Z","type":"platform.report","record":{"metrics":{"durationMs":-5}}})"),
  };
  const auto body = otlp::encode_logs(resource(), otlp::log_records(odd), OtlpProtocol::protobuf);
  const auto request = decoded(Signal::logs, body);
  EXPECT_EQ(items(request, "resourceLogs", "scopeLogs", "logRecords").size(), 2u);
  EXPECT_EQ(otlp::metrics(odd).size(), 4u);  // duration, invocations, errors, timeouts
  EXPECT_EQ(otlp::metrics(odd).front().observations.at(0).value, 0.0);  // clamped
  for (std::size_t cut : {body.size() - 1, body.size() / 2, std::size_t{3}}) {
    std::string why;
    EXPECT_FALSE(decode_protobuf(Signal::logs, body.substr(0, cut), &why)) << cut;
    EXPECT_FALSE(why.empty());
  }
}

}  // namespace
