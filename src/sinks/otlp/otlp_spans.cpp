// Lambda's platform.runtimeDone and platform.initReport as OTLP spans: one per invocation with
// Lambda's own phases (responseLatency, responseDuration, runtimeOverhead) as its children, and
// one per Init. Ids are derived from the event's id, so a resend carries the same spans.
#include "lambda_fields.hpp"

#include <boost/json/parse.hpp>

namespace ltf::otlp {

namespace json = boost::json;
using namespace detail;

namespace {

void set_status(Span& span, std::string_view status) {
  if (status.empty()) return;
  if (status == "success") {
    span.status = Span::Status::ok;
  } else {
    span.status = Span::Status::error;
    span.status_message = std::string(status);
  }
}

void add_invocation(std::vector<Span>& out, const telemetry::Event& event, const json::value& record,
                    std::string_view function_name) {
  const std::string key = event_key(event);
  const Tracing tracing = tracing_of(record);
  Span invocation;
  invocation.trace_id = tracing.trace_id.empty() ? key : tracing.trace_id;
  invocation.span_id = tracing.span_id.empty() ? derived_span_id(key, 0) : tracing.span_id;
  invocation.parent_span_id = tracing.trace_id.empty() ? std::string{} : tracing.parent_span_id;
  invocation.name = function_name.empty() ? std::string("invoke") : std::string(function_name);
  invocation.kind = Span::Kind::server;
  const Interval interval = measured_interval(event, record);
  invocation.start_unix_nano = interval.start;
  invocation.end_unix_nano = interval.end;
  const std::string_view request_id = string_member(record, "requestId");
  if (!request_id.empty()) invocation.attributes.push_back(attribute("faas.invocation_id", std::string(request_id)));
  set_status(invocation, string_member(record, "status"));

  std::uint64_t ordinal = 0;
  if (const json::value* phases = member(record, "spans"); phases && phases->is_array())
    for (const auto& phase : phases->get_array()) {
      Span child;
      child.trace_id = invocation.trace_id;
      child.span_id = derived_span_id(key, ++ordinal);
      child.parent_span_id = invocation.span_id;
      child.name = std::string(string_member(phase, "name"));
      child.start_unix_nano = unix_nanos(string_member(phase, "start"));
      child.end_unix_nano = child.start_unix_nano + millis_as_nanos(member(phase, "durationMs"));
      // The invocation spans its phases, whatever the clocks said.
      if (child.start_unix_nano && child.start_unix_nano < invocation.start_unix_nano)
        invocation.start_unix_nano = child.start_unix_nano;
      if (child.end_unix_nano > invocation.end_unix_nano) invocation.end_unix_nano = child.end_unix_nano;
      out.push_back(std::move(child));
    }
  out.push_back(std::move(invocation));
}

void add_init(std::vector<Span>& out, const telemetry::Event& event, const json::value& record) {
  const std::string key = event_key(event);
  Span init;
  init.trace_id = key;  // Init belongs to no request: a trace of its own
  init.span_id = derived_span_id(key, 0);
  const std::string_view phase = string_member(record, "phase");
  init.name = phase == "restore" ? "Restore" : "Init";
  init.kind = Span::Kind::internal;
  const Interval interval = measured_interval(event, record);
  init.start_unix_nano = interval.start;
  init.end_unix_nano = interval.end;
  const std::string_view type = string_member(record, "initializationType");
  if (!type.empty()) init.attributes.push_back(attribute("aws.lambda.initialization_type", std::string(type)));
  init.attributes.push_back(attribute("faas.coldstart", phase == "init"));
  set_status(init, string_member(record, "status"));
  out.push_back(std::move(init));
}

}  // namespace

bool feeds_spans(const telemetry::Event& event) {
  return event.type == "platform.runtimeDone" || event.type == "platform.initReport";
}

std::vector<Span> spans(std::span<const telemetry::Event> batch, std::string_view function_name) {
  std::vector<Span> out;
  for (const auto& event : batch) {
    if (!feeds_spans(event)) continue;
    boost::system::error_code ec;
    const json::value whole = json::parse(event.raw, ec);
    const json::value* record = ec ? nullptr : member(whole, "record");
    if (!record) continue;
    if (event.type == "platform.runtimeDone") add_invocation(out, event, *record, function_name);
    else add_init(out, event, *record);
  }
  return out;
}

}  // namespace ltf::otlp
