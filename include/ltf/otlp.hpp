#pragma once
// OpenTelemetry's OTLP: the messages this extension sends (logs, metrics, traces and the resource
// they describe) as plain structs, how Lambda's events become them, and their two encodings,
// http/protobuf and http/json. No I/O here: the sink that sends them is ltf/otlp_sink.hpp.
//
// Field numbers and JSON names are those of opentelemetry-proto v1.11.0 (commit ac2c4b5d1f3a),
// taken as facts from its .proto files; no .proto file or generated code is part of this repo.

#include "ltf/config.hpp"
#include "ltf/telemetry.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ltf::otlp {

struct Attribute;
// AnyValue: empty, string, bool, int, double, array or key-value list.
struct Value {
  std::variant<std::monostate, std::string, bool, std::int64_t, double, std::vector<Value>,
               std::vector<Attribute>>
      v;
};
struct Attribute {
  std::string key;
  Value value;
};
using Attributes = std::vector<Attribute>;

Attribute attribute(std::string key, std::string value);
// A literal is text: without this overload a pointer would become a bool.
inline Attribute attribute(std::string key, const char* value) { return attribute(std::move(key), std::string(value)); }
Attribute attribute(std::string key, std::int64_t value);
Attribute attribute(std::string key, bool value);

// SeverityNumber: the first of each range (TRACE=1, DEBUG=5, INFO=9, WARN=13, ERROR=17, FATAL=21).
enum class Severity : int { unspecified = 0, trace = 1, debug = 5, info = 9, warn = 13, error = 17, fatal = 21 };

struct LogRecord {
  std::uint64_t time_unix_nano = 0;
  std::uint64_t observed_time_unix_nano = 0;
  Severity severity = Severity::unspecified;
  std::string severity_text;
  Value body;
  Attributes attributes;
  std::string trace_id;  // 16 bytes, or empty
  std::string span_id;   // 8 bytes, or empty
  std::string event_name;
};

// One observation as a histogram data point: count 1, sum = min = max = value, one bucket.
struct Observation {
  std::uint64_t start_unix_nano = 0;
  std::uint64_t time_unix_nano = 0;
  double value = 0;
};
struct NumberPoint {
  std::uint64_t start_unix_nano = 0;  // 0 for a gauge
  std::uint64_t time_unix_nano = 0;
  std::variant<std::int64_t, double> value;
};
struct Metric {
  enum class Kind { gauge, sum, histogram };
  std::string name;
  std::string description;
  std::string unit;
  Kind kind = Kind::gauge;
  // Sums and histograms: delta temporality (each point counts one invocation's own), monotonic.
  std::vector<NumberPoint> numbers;         // gauge, sum
  std::vector<Observation> observations;    // histogram
};

struct Span {
  enum class Kind : int { internal = 1, server = 2 };
  enum class Status : int { unset = 0, ok = 1, error = 2 };
  std::string trace_id;        // 16 bytes
  std::string span_id;         // 8 bytes
  std::string parent_span_id;  // 8 bytes, or empty
  std::string name;
  Kind kind = Kind::internal;
  std::uint64_t start_unix_nano = 0;
  std::uint64_t end_unix_nano = 0;
  Attributes attributes;
  Status status = Status::unset;
  std::string status_message;
};

// What the resource describes: the function, from its registration and the environment.
struct ResourceInfo {
  telemetry::FunctionIdentity function;  // region, name, version, sandbox (faas.instance)
  std::string account_id;                // cloud.account.id, when Lambda gave it
  std::uint64_t memory_mb = 0;           // faas.max_memory (as bytes), 0: unknown
  HttpHeaders extra;  // LTF_OTLP_RESOURCE_ATTRIBUTES (same syntax): added last, they win
};
Attributes resource_attributes(const ResourceInfo& info);

// --- Lambda's events as OTLP ---------------------------------------------------------------

// Every event as one LogRecord, so nothing is dropped: function and extension lines with their
// level as severity and their text (or a JSON record as a map) as body; platform events with
// their record as a map body and their type as event name. Each carries the event's id
// (aws.lambda.event_id) for dropping duplicates and its sequence, and the request id and trace
// context when the event gives them.
std::vector<LogRecord> log_records(std::span<const telemetry::Event> batch);
// The FaaS metrics (OpenTelemetry semantic conventions) of platform.report (each invocation:
// duration, billed duration, memory used and limit, invocations, errors, timeouts) and
// platform.initReport (init duration, cold starts): one data point per event per metric.
std::vector<Metric> metrics(std::span<const telemetry::Event> batch);
// Spans: one per invocation (from platform.runtimeDone) with Lambda's phases (responseLatency,
// responseDuration, ...) as children, and one per Init (platform.initReport). The trace id is
// the X-Ray trace id of Lambda's tracing header when there is one.
std::vector<Span> spans(std::span<const telemetry::Event> batch, std::string_view function_name);
// True for the events metrics() and spans() read.
bool feeds_metrics(const telemetry::Event& event);
bool feeds_spans(const telemetry::Event& event);

// The X-Ray trace id in an X-Amzn-Trace-Id value ("Root=1-5759e988-bd862e3fe1be46a994272793;...")
// as OpenTelemetry's 16 bytes; nullopt when it has none.
std::optional<std::string> xray_trace_id(std::string_view header);

// --- Encodings ----------------------------------------------------------------------------------

// The Export*ServiceRequest of each signal: one resource, one scope (this extension), the items.
std::string encode_logs(const Attributes& resource, std::span<const LogRecord> records, OtlpProtocol protocol);
std::string encode_metrics(const Attributes& resource, std::span<const Metric> metrics, OtlpProtocol protocol);
std::string encode_spans(const Attributes& resource, std::span<const Span> spans, OtlpProtocol protocol);
std::string_view content_type(OtlpProtocol protocol);

// An Export*ServiceResponse's partial_success: what the backend refused of an accepted request
// (field 1 of every signal's; rejected_log_records, rejected_data_points, rejected_spans).
struct PartialSuccess {
  std::int64_t rejected = 0;
  std::string error_message;
};
// nullopt when the body holds none (an empty body is a full success) or cannot be read.
std::optional<PartialSuccess> partial_success(std::string_view body, OtlpProtocol protocol);

}  // namespace ltf::otlp
