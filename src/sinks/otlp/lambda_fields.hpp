#pragma once
// What the OTLP mappings (logs, metrics, spans) read from Lambda's events: times, JSON records as
// AnyValues, tracing headers, ids (private to the sinks module).

#include "ltf/otlp.hpp"

#include <boost/json/value.hpp>

namespace ltf::otlp::detail {

// The event time as Unix nanoseconds; 0 when it is not an RFC 3339 time.
std::uint64_t unix_nanos(std::string_view time);
// Milliseconds (a JSON number) as nanoseconds; 0 when absent, negative or not a number.
std::uint64_t millis_as_nanos(const boost::json::value* millis);
// What a platform event's record measures: from its time minus metrics.durationMs to its time.
struct Interval {
  std::uint64_t start = 0, end = 0;
};
Interval measured_interval(const telemetry::Event& event, const boost::json::value& record);
double number_or(const boost::json::value* value, double fallback);
const boost::json::value* member(const boost::json::value& object, std::string_view name);
std::string_view string_member(const boost::json::value& object, std::string_view name);

// A JSON value as an AnyValue: objects as key-value lists, null as an empty value, integers
// beyond int64 as doubles.
Value value_of(const boost::json::value& json);

// Lambda's tracing object ({"type":"X-Amzn-Trace-Id","value":"Root=...;Parent=...","spanId":...}).
struct Tracing {
  std::string trace_id;        // 16 bytes, empty when the header has no Root
  std::string parent_span_id;  // 8 bytes from Parent=, or empty
  std::string span_id;         // 8 bytes from spanId, or empty
};
Tracing tracing_of(const boost::json::value& record);

// `hex` as raw bytes when it is exactly 2 * `size` hex digits (and not all zero); else "".
std::string bytes_from_hex(std::string_view hex, std::size_t size);
// Deterministic ids for what an event produces, so that a resend carries the same ones: the
// event id's 16 bytes (a hash of the raw event when it has none) and 8-byte ids numbered from it.
std::string event_key(const telemetry::Event& event);
std::string derived_span_id(std::string_view key, std::uint64_t ordinal);

}  // namespace ltf::otlp::detail
