// RecordingSink as an OTLP/HTTP receiver: requests to .../v1/logs, /v1/metrics and /v1/traces,
// protobuf (decoded by the emulator's own reader, fake_otlp.hpp) or JSON (Boost.JSON), counted:
// LogRecords as events and function lines, data points by metric, spans by name.
#include "recording_sink_recorder.hpp"

#include "ltf/fake_otlp.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <functional>

namespace ltf::emulator {

namespace json = boost::json;

namespace {

const json::array& array_at(const json::value& object, std::string_view key) {
  static const json::array empty;
  const json::object* o = object.if_object();
  const json::value* v = o ? o->if_contains(key) : nullptr;
  return v && v->is_array() ? v->get_array() : empty;
}

std::string_view string_at(const json::value& object, std::string_view key) {
  const json::object* o = object.if_object();
  const json::value* v = o ? o->if_contains(key) : nullptr;
  return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view{};
}

const json::value* value_at(const json::value& object, std::string_view key) {
  const json::object* o = object.if_object();
  return o ? o->if_contains(key) : nullptr;
}

// An AnyValue as text: its string, else its JSON.
std::string text_of(const json::value* any) {
  if (!any) return {};
  if (auto s = string_at(*any, "stringValue"); !s.empty()) return std::string(s);
  const json::object* o = any->if_object();
  if (o && o->size() == 1) return json::serialize(o->begin()->value());
  return json::serialize(*any);
}

// The value of attribute `key` in a list of KeyValues, as text; "" when absent.
std::string attribute(const json::value& owner, std::string_view key) {
  for (const auto& kv : array_at(owner, "attributes"))
    if (string_at(kv, "key") == key) return text_of(value_at(kv, "value"));
  return {};
}

// A function LogRecord's line: a string body, or the "message" of a map body.
std::optional<std::string> line_of(const json::value& record) {
  const json::value* body = value_at(record, "body");
  if (!body) return std::nullopt;
  if (const json::value* s = value_at(*body, "stringValue"); s && s->is_string())
    return std::string(s->get_string());
  if (const json::value* map = value_at(*body, "kvlistValue"))
    for (const auto& kv : array_at(*map, "values"))
      if (string_at(kv, "key") == "message") return text_of(value_at(kv, "value"));
  return std::nullopt;
}

}  // namespace

unsigned RecordingSink::Recorder::accept_otlp(const ReceivedRequest& request, std::string_view body,
                                              std::size_t& events_recorded) {
  const auto signal = *otlp::signal_of_target(request.target);
  const bool protobuf = request.content_type.find("protobuf") != std::string::npos;
  std::optional<json::value> decoded;
  if (protobuf) {
    decoded = otlp::decode_protobuf(signal, body);
  } else {
    boost::system::error_code ec;
    auto parsed = json::parse(body, ec);
    if (!ec && parsed.is_object()) decoded = std::move(parsed);
  }
  if (!decoded) {
    ++invalid;
    return 400;
  }
  static constexpr std::string_view names[3][3] = {{"resourceLogs", "scopeLogs", "logRecords"},
                                                   {"resourceMetrics", "scopeMetrics", "metrics"},
                                                   {"resourceSpans", "scopeSpans", "spans"}};
  const auto& [resources_key, scopes_key, items_key] = names[static_cast<int>(signal)];
  std::size_t items = 0;
  for (const auto& resource_entry : array_at(*decoded, resources_key)) {
    const json::value* resource = value_at(resource_entry, "resource");
    if (resource) {
      otlp.resource.clear();
      for (const auto& kv : array_at(*resource, "attributes"))
        otlp.resource[std::string(string_at(kv, "key"))] = text_of(value_at(kv, "value"));
    }
    if (!resource || attribute(*resource, "service.name").empty()) ++otlp.resources_without_service_name;
    for (const auto& scope : array_at(resource_entry, scopes_key))
      for (const auto& item : array_at(scope, items_key)) {
        ++items;
        switch (signal) {
          case otlp::Signal::logs: {
            ++otlp.log_records;
            ++events;
            const std::string type = attribute(item, "aws.lambda.event.type");
            ++by_type[type];
            if (type == "function")
              if (auto line = line_of(item))
                count_line(*line, std::hash<std::string>{}(json::serialize(item)), request.at);
            break;
          }
          case otlp::Signal::metrics:
            for (const char* kind : {"gauge", "sum", "histogram"})
              if (const json::value* data = value_at(item, kind))
                otlp.data_points[std::string(string_at(item, "name"))] += array_at(*data, "dataPoints").size();
            break;
          case otlp::Signal::traces: {
            ++otlp.spans[std::string(string_at(item, "name"))];
            const json::value* kind = value_at(item, "kind");
            const bool invocation_span = kind && kind->is_int64() && kind->get_int64() == 2;  // SPAN_KIND_SERVER
            if (invocation_span) ++otlp.server_spans;
            otlp_span_ids.insert(std::string(string_at(item, "spanId")));
            if (!invocation_span && !string_at(item, "parentSpanId").empty())
              otlp_parent_ids.insert(std::string(string_at(item, "parentSpanId")));
            break;
          }
        }
      }
  }
  otlp.orphan_spans = 0;
  for (const auto& parent : otlp_parent_ids) otlp.orphan_spans += otlp_span_ids.contains(parent) ? 0 : 1;
  events_recorded = items;
  ++accepted;
  ++otlp.requests;
  if (protobuf) ++otlp.protobuf;
  bytes += request.body.size();
  return 200;
}

}  // namespace ltf::emulator
