// OTLP's http/json encoding (the protobuf JSON mapping as OTLP specifies it: lowerCamelCase
// names, trace and span ids as hex, 64-bit integers as strings, enums as numbers), built with
// Boost.JSON; the dispatch between the two encodings; reading partial_success from an answer.
#include "encodings.hpp"

#include "ltf/version.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <cstdlib>

namespace ltf::otlp {

namespace json = boost::json;

namespace json_encoding {

namespace {

std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

json::array attributes_json(const Attributes& attributes);

json::object value_json(const Value& value) {
  json::object out;
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) out["stringValue"] = v;
        else if constexpr (std::is_same_v<T, bool>) out["boolValue"] = v;
        else if constexpr (std::is_same_v<T, std::int64_t>) out["intValue"] = std::to_string(v);
        else if constexpr (std::is_same_v<T, double>) out["doubleValue"] = v;
        else if constexpr (std::is_same_v<T, std::vector<Value>>) {
          json::array values;
          for (const auto& item : v) values.push_back(value_json(item));
          out["arrayValue"] = json::object{{"values", std::move(values)}};
        } else if constexpr (std::is_same_v<T, std::vector<Attribute>>)
          out["kvlistValue"] = json::object{{"values", attributes_json(v)}};
      },
      value.v);
  return out;
}

json::array attributes_json(const Attributes& attributes) {
  json::array out;
  out.reserve(attributes.size());
  for (const auto& a : attributes) out.push_back(json::object{{"key", a.key}, {"value", value_json(a.value)}});
  return out;
}

void set_time(json::object& o, std::string_view name, std::uint64_t nanos) {
  if (nanos) o[name] = std::to_string(nanos);
}
void set_text(json::object& o, std::string_view name, std::string_view text) {
  if (!text.empty()) o[name] = text;
}

// {"resource<Kind>": [{"resource": ..., "scope<Kind>": [{"scope": ..., items_name: items}]}]}
std::string envelope(const Attributes& resource, std::string_view kind, std::string_view items_name,
                     json::array items) {
  json::object scope_entry{{"scope", json::object{{"name", "telemetry-forwarder"}, {"version", ltf::version()}}},
                           {items_name, std::move(items)}};
  json::object resource_entry;
  resource_entry["resource"] = json::object{{"attributes", attributes_json(resource)}};
  resource_entry["scope" + std::string(kind)] = json::array{std::move(scope_entry)};
  json::object request;
  request["resource" + std::string(kind)] = json::array{std::move(resource_entry)};
  return json::serialize(request);
}

}  // namespace

std::string logs(const Attributes& resource, std::span<const LogRecord> records) {
  json::array items;
  items.reserve(records.size());
  for (const auto& r : records) {
    json::object o;
    set_time(o, "timeUnixNano", r.time_unix_nano);
    if (r.severity != Severity::unspecified) o["severityNumber"] = static_cast<int>(r.severity);
    set_text(o, "severityText", r.severity_text);
    if (!std::holds_alternative<std::monostate>(r.body.v)) o["body"] = value_json(r.body);
    if (!r.attributes.empty()) o["attributes"] = attributes_json(r.attributes);
    set_text(o, "traceId", hex(r.trace_id));
    set_text(o, "spanId", hex(r.span_id));
    set_time(o, "observedTimeUnixNano", r.observed_time_unix_nano);
    set_text(o, "eventName", r.event_name);
    items.push_back(std::move(o));
  }
  return envelope(resource, "Logs", "logRecords", std::move(items));
}

std::string metrics(const Attributes& resource, std::span<const Metric> metrics) {
  json::array items;
  for (const auto& m : metrics) {
    json::object o;
    set_text(o, "name", m.name);
    set_text(o, "description", m.description);
    set_text(o, "unit", m.unit);
    json::array points;
    for (const auto& p : m.numbers) {
      json::object point;
      set_time(point, "startTimeUnixNano", p.start_unix_nano);
      set_time(point, "timeUnixNano", p.time_unix_nano);
      if (auto* d = std::get_if<double>(&p.value)) point["asDouble"] = *d;
      else point["asInt"] = std::to_string(std::get<std::int64_t>(p.value));
      points.push_back(std::move(point));
    }
    for (const auto& obs : m.observations) {
      json::object point;
      set_time(point, "startTimeUnixNano", obs.start_unix_nano);
      set_time(point, "timeUnixNano", obs.time_unix_nano);
      point["count"] = "1";
      point["sum"] = obs.value;
      point["bucketCounts"] = json::array{"1"};
      point["min"] = obs.value;
      point["max"] = obs.value;
      points.push_back(std::move(point));
    }
    switch (m.kind) {
      case Metric::Kind::gauge: o["gauge"] = json::object{{"dataPoints", std::move(points)}}; break;
      case Metric::Kind::sum:
        o["sum"] = json::object{{"dataPoints", std::move(points)}, {"aggregationTemporality", 1}, {"isMonotonic", true}};
        break;
      case Metric::Kind::histogram:
        o["histogram"] = json::object{{"dataPoints", std::move(points)}, {"aggregationTemporality", 1}};
        break;
    }
    items.push_back(std::move(o));
  }
  return envelope(resource, "Metrics", "metrics", std::move(items));
}

std::string spans(const Attributes& resource, std::span<const Span> spans) {
  json::array items;
  items.reserve(spans.size());
  for (const auto& s : spans) {
    json::object o;
    set_text(o, "traceId", hex(s.trace_id));
    set_text(o, "spanId", hex(s.span_id));
    set_text(o, "parentSpanId", hex(s.parent_span_id));
    set_text(o, "name", s.name);
    o["kind"] = static_cast<int>(s.kind);
    set_time(o, "startTimeUnixNano", s.start_unix_nano);
    set_time(o, "endTimeUnixNano", s.end_unix_nano);
    if (!s.attributes.empty()) o["attributes"] = attributes_json(s.attributes);
    if (s.status != Span::Status::unset || !s.status_message.empty()) {
      json::object status;
      set_text(status, "message", s.status_message);
      if (s.status != Span::Status::unset) status["code"] = static_cast<int>(s.status);
      o["status"] = std::move(status);
    }
    items.push_back(std::move(o));
  }
  return envelope(resource, "Spans", "spans", std::move(items));
}

}  // namespace json_encoding

std::string encode_logs(const Attributes& resource, std::span<const LogRecord> records, OtlpProtocol protocol) {
  return protocol == OtlpProtocol::json ? json_encoding::logs(resource, records)
                                        : protobuf::logs(resource, records);
}
std::string encode_metrics(const Attributes& resource, std::span<const Metric> metrics, OtlpProtocol protocol) {
  return protocol == OtlpProtocol::json ? json_encoding::metrics(resource, metrics)
                                        : protobuf::metrics(resource, metrics);
}
std::string encode_spans(const Attributes& resource, std::span<const Span> spans, OtlpProtocol protocol) {
  return protocol == OtlpProtocol::json ? json_encoding::spans(resource, spans)
                                        : protobuf::spans(resource, spans);
}
std::string_view content_type(OtlpProtocol protocol) {
  return protocol == OtlpProtocol::json ? "application/json" : "application/x-protobuf";
}

namespace {

// One varint at `at`; false when the bytes end first or it runs past 10 bytes.
bool read_varint(std::string_view bytes, std::size_t& at, std::uint64_t& value) {
  value = 0;
  for (int shift = 0; shift < 70 && at < bytes.size(); shift += 7) {
    const auto byte = static_cast<unsigned char>(bytes[at++]);
    value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return true;
  }
  return false;
}

// Walks the fields of a protobuf message: `on(field, wire_type, varint, bytes)` for each;
// fixed-width fields are skipped. False when the message is malformed.
template <typename On>
bool each_field(std::string_view message, On&& on) {
  std::size_t at = 0;
  while (at < message.size()) {
    std::uint64_t key = 0, number = 0;
    if (!read_varint(message, at, key)) return false;
    switch (key & 7) {
      case 0:
        if (!read_varint(message, at, number)) return false;
        on(key >> 3, number, std::string_view{});
        break;
      case 1: if ((at += 8) > message.size()) return false; break;
      case 5: if ((at += 4) > message.size()) return false; break;
      case 2:
        if (!read_varint(message, at, number) || number > message.size() - at) return false;
        on(key >> 3, 0, message.substr(at, number));
        at += number;
        break;
      default: return false;
    }
  }
  return true;
}

}  // namespace

std::optional<PartialSuccess> partial_success(std::string_view body, OtlpProtocol protocol) {
  if (body.empty()) return std::nullopt;
  PartialSuccess found;
  bool present = false;
  if (protocol == OtlpProtocol::json) {
    boost::system::error_code ec;
    const json::value answer = json::parse(body, ec);
    const json::object* object = ec ? nullptr : answer.if_object();
    const json::value* partial = object ? object->if_contains("partialSuccess") : nullptr;
    if (!partial || !partial->is_object()) return std::nullopt;
    for (const auto& [key, value] : partial->get_object()) {
      if (key.starts_with("rejected")) {  // rejectedLogRecords, rejectedDataPoints, rejectedSpans
        if (value.is_string()) found.rejected = std::strtoll(value.get_string().c_str(), nullptr, 10);
        else if (value.is_int64()) found.rejected = value.get_int64();
        else if (value.is_uint64()) found.rejected = static_cast<std::int64_t>(value.get_uint64());
      } else if (key == "errorMessage" && value.is_string()) {
        found.error_message = value.get_string();
      }
    }
    present = found.rejected != 0 || !found.error_message.empty();
  } else {
    // Export*ServiceResponse { partial_success = 1 { rejected_* = 1 (int64); error_message = 2 } }
    each_field(body, [&](std::uint64_t field, std::uint64_t, std::string_view bytes) {
      if (field != 1) return;
      each_field(bytes, [&](std::uint64_t inner, std::uint64_t number, std::string_view text) {
        if (inner == 1) found.rejected = static_cast<std::int64_t>(number);
        else if (inner == 2) found.error_message = std::string(text);
      });
      present = found.rejected != 0 || !found.error_message.empty();
    });
  }
  if (!present) return std::nullopt;
  return found;
}

}  // namespace ltf::otlp
