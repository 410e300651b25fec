// The fake OTLP receiver's protobuf reader: a field table of the OTLP messages (numbers, types and
// JSON names from opentelemetry-proto v1.11.0, commit ac2c4b5d1f3a) and a wire reader that turns
// a message into the OTLP/JSON value it stands for. Independent of the extension's encoder.
#include "ltf/fake_otlp.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <bit>
#include <cstdint>
#include <span>

namespace ltf::emulator::otlp {

namespace json = boost::json;

namespace {

enum class Type { string, bytes, fixed64, sfixed64, int64, uint32, int32, boolean, dbl, fixed32, message };

struct Message;
struct Field {
  std::uint32_t number;
  const char* name;
  Type type;
  bool repeated = false;
  const Message* message = nullptr;
};
struct Message {
  std::span<const Field> fields;
};

extern const Message any_value, key_value, resource, scope, resource_logs, scope_logs, log_record,
    resource_metrics, scope_metrics, metric, gauge, sum, histogram, number_point, histogram_point,
    exemplar, resource_spans, scope_spans, span, span_event, span_link, status, array_value,
    kv_list, export_logs, export_metrics, export_traces;

constexpr Field any_value_fields[] = {{1, "stringValue", Type::string},  {2, "boolValue", Type::boolean},
                                      {3, "intValue", Type::int64},      {4, "doubleValue", Type::dbl},
                                      {5, "arrayValue", Type::message, false, &array_value},
                                      {6, "kvlistValue", Type::message, false, &kv_list},
                                      {7, "bytesValue", Type::bytes}};
constexpr Field array_value_fields[] = {{1, "values", Type::message, true, &any_value}};
constexpr Field kv_list_fields[] = {{1, "values", Type::message, true, &key_value}};
constexpr Field key_value_fields[] = {{1, "key", Type::string}, {2, "value", Type::message, false, &any_value}};
constexpr Field resource_fields[] = {{1, "attributes", Type::message, true, &key_value},
                                     {2, "droppedAttributesCount", Type::uint32}};
constexpr Field scope_fields[] = {{1, "name", Type::string}, {2, "version", Type::string},
                                  {3, "attributes", Type::message, true, &key_value},
                                  {4, "droppedAttributesCount", Type::uint32}};
// logs
constexpr Field export_logs_fields[] = {{1, "resourceLogs", Type::message, true, &resource_logs}};
constexpr Field resource_logs_fields[] = {{1, "resource", Type::message, false, &resource},
                                          {2, "scopeLogs", Type::message, true, &scope_logs},
                                          {3, "schemaUrl", Type::string}};
constexpr Field scope_logs_fields[] = {{1, "scope", Type::message, false, &scope},
                                       {2, "logRecords", Type::message, true, &log_record},
                                       {3, "schemaUrl", Type::string}};
constexpr Field log_record_fields[] = {
    {1, "timeUnixNano", Type::fixed64},        {11, "observedTimeUnixNano", Type::fixed64},
    {2, "severityNumber", Type::int32},        {3, "severityText", Type::string},
    {5, "body", Type::message, false, &any_value}, {6, "attributes", Type::message, true, &key_value},
    {7, "droppedAttributesCount", Type::uint32}, {8, "flags", Type::fixed32},
    {9, "traceId", Type::bytes},               {10, "spanId", Type::bytes},
    {12, "eventName", Type::string}};
// metrics
constexpr Field export_metrics_fields[] = {{1, "resourceMetrics", Type::message, true, &resource_metrics}};
constexpr Field resource_metrics_fields[] = {{1, "resource", Type::message, false, &resource},
                                             {2, "scopeMetrics", Type::message, true, &scope_metrics},
                                             {3, "schemaUrl", Type::string}};
constexpr Field scope_metrics_fields[] = {{1, "scope", Type::message, false, &scope},
                                          {2, "metrics", Type::message, true, &metric},
                                          {3, "schemaUrl", Type::string}};
constexpr Field metric_fields[] = {{1, "name", Type::string}, {2, "description", Type::string},
                                   {3, "unit", Type::string},
                                   {5, "gauge", Type::message, false, &gauge},
                                   {7, "sum", Type::message, false, &sum},
                                   {9, "histogram", Type::message, false, &histogram},
                                   {12, "metadata", Type::message, true, &key_value}};
constexpr Field gauge_fields[] = {{1, "dataPoints", Type::message, true, &number_point}};
constexpr Field sum_fields[] = {{1, "dataPoints", Type::message, true, &number_point},
                                {2, "aggregationTemporality", Type::int32},
                                {3, "isMonotonic", Type::boolean}};
constexpr Field histogram_fields[] = {{1, "dataPoints", Type::message, true, &histogram_point},
                                      {2, "aggregationTemporality", Type::int32}};
constexpr Field number_point_fields[] = {{7, "attributes", Type::message, true, &key_value},
                                         {2, "startTimeUnixNano", Type::fixed64},
                                         {3, "timeUnixNano", Type::fixed64},
                                         {4, "asDouble", Type::dbl},
                                         {6, "asInt", Type::sfixed64},
                                         {5, "exemplars", Type::message, true, &exemplar},
                                         {8, "flags", Type::uint32}};
constexpr Field histogram_point_fields[] = {{9, "attributes", Type::message, true, &key_value},
                                            {2, "startTimeUnixNano", Type::fixed64},
                                            {3, "timeUnixNano", Type::fixed64},
                                            {4, "count", Type::fixed64},
                                            {5, "sum", Type::dbl},
                                            {6, "bucketCounts", Type::fixed64, true},
                                            {7, "explicitBounds", Type::dbl, true},
                                            {8, "exemplars", Type::message, true, &exemplar},
                                            {10, "flags", Type::uint32},
                                            {11, "min", Type::dbl},
                                            {12, "max", Type::dbl}};
constexpr Field exemplar_fields[] = {{7, "filteredAttributes", Type::message, true, &key_value},
                                     {2, "timeUnixNano", Type::fixed64}, {3, "asDouble", Type::dbl},
                                     {6, "asInt", Type::sfixed64}, {4, "spanId", Type::bytes},
                                     {5, "traceId", Type::bytes}};
// traces
constexpr Field export_traces_fields[] = {{1, "resourceSpans", Type::message, true, &resource_spans}};
constexpr Field resource_spans_fields[] = {{1, "resource", Type::message, false, &resource},
                                           {2, "scopeSpans", Type::message, true, &scope_spans},
                                           {3, "schemaUrl", Type::string}};
constexpr Field scope_spans_fields[] = {{1, "scope", Type::message, false, &scope},
                                        {2, "spans", Type::message, true, &span},
                                        {3, "schemaUrl", Type::string}};
constexpr Field span_fields[] = {
    {1, "traceId", Type::bytes},        {2, "spanId", Type::bytes},
    {3, "traceState", Type::string},    {4, "parentSpanId", Type::bytes},
    {16, "flags", Type::fixed32},       {5, "name", Type::string},
    {6, "kind", Type::int32},           {7, "startTimeUnixNano", Type::fixed64},
    {8, "endTimeUnixNano", Type::fixed64}, {9, "attributes", Type::message, true, &key_value},
    {10, "droppedAttributesCount", Type::uint32}, {11, "events", Type::message, true, &span_event},
    {12, "droppedEventsCount", Type::uint32}, {13, "links", Type::message, true, &span_link},
    {14, "droppedLinksCount", Type::uint32}, {15, "status", Type::message, false, &status}};
constexpr Field span_event_fields[] = {{1, "timeUnixNano", Type::fixed64}, {2, "name", Type::string},
                                       {3, "attributes", Type::message, true, &key_value},
                                       {4, "droppedAttributesCount", Type::uint32}};
constexpr Field span_link_fields[] = {{1, "traceId", Type::bytes}, {2, "spanId", Type::bytes},
                                      {3, "traceState", Type::string},
                                      {4, "attributes", Type::message, true, &key_value},
                                      {5, "droppedAttributesCount", Type::uint32},
                                      {6, "flags", Type::fixed32}};
constexpr Field status_fields[] = {{2, "message", Type::string}, {3, "code", Type::int32}};

const Message any_value{any_value_fields}, array_value{array_value_fields}, kv_list{kv_list_fields},
    key_value{key_value_fields}, resource{resource_fields}, scope{scope_fields},
    export_logs{export_logs_fields}, resource_logs{resource_logs_fields}, scope_logs{scope_logs_fields},
    log_record{log_record_fields}, export_metrics{export_metrics_fields},
    resource_metrics{resource_metrics_fields}, scope_metrics{scope_metrics_fields}, metric{metric_fields},
    gauge{gauge_fields}, sum{sum_fields}, histogram{histogram_fields}, number_point{number_point_fields},
    histogram_point{histogram_point_fields}, exemplar{exemplar_fields},
    export_traces{export_traces_fields}, resource_spans{resource_spans_fields},
    scope_spans{scope_spans_fields}, span{span_fields}, span_event{span_event_fields},
    span_link{span_link_fields}, status{status_fields};

constexpr int max_depth = 64;

// A cursor over one message's bytes.
struct Reader {
  std::string_view bytes;
  std::size_t at = 0;
  std::string* why;

  bool fail(std::string message) {
    if (why && why->empty()) *why = std::move(message);
    return false;
  }
  bool varint(std::uint64_t& value) {
    value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (at >= bytes.size()) return fail("truncated varint");
      const auto byte = static_cast<unsigned char>(bytes[at++]);
      value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return true;
    }
    return fail("varint longer than 10 bytes");
  }
  bool fixed(int width, std::uint64_t& value) {
    if (bytes.size() - at < static_cast<std::size_t>(width)) return fail("truncated fixed-width field");
    value = 0;
    for (int i = 0; i < width; ++i) value |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[at + i])) << (8 * i);
    at += static_cast<std::size_t>(width);
    return true;
  }
  bool length_delimited(std::string_view& out) {
    std::uint64_t size = 0;
    if (!varint(size)) return false;
    if (size > bytes.size() - at) return fail("length runs past the end of its message");
    out = bytes.substr(at, size);
    at += size;
    return true;
  }
  bool skip(unsigned wire) {
    std::uint64_t ignored = 0;
    std::string_view ignored_bytes;
    switch (wire) {
      case 0: return varint(ignored);
      case 1: return fixed(8, ignored);
      case 2: return length_delimited(ignored_bytes);
      case 5: return fixed(4, ignored);
      default: return fail("unsupported wire type " + std::to_string(wire));
    }
  }
};

std::string hex(std::string_view raw) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

unsigned wire_type_of(Type type) {
  switch (type) {
    case Type::int64: case Type::uint32: case Type::int32: case Type::boolean: return 0;
    case Type::fixed64: case Type::sfixed64: case Type::dbl: return 1;
    case Type::fixed32: return 5;
    default: return 2;
  }
}

std::optional<json::object> read_message(std::string_view bytes, const Message& message, int depth, std::string* why);

// One scalar of `type` from `r` (already past the key).
bool read_scalar(Reader& r, Type type, json::value& out) {
  std::uint64_t raw = 0;
  switch (type) {
    case Type::int64: if (!r.varint(raw)) return false; out = std::to_string(static_cast<std::int64_t>(raw)); return true;
    case Type::uint32: if (!r.varint(raw)) return false; out = static_cast<std::uint32_t>(raw); return true;
    case Type::int32: if (!r.varint(raw)) return false; out = static_cast<std::int32_t>(raw); return true;
    case Type::boolean: if (!r.varint(raw)) return false; out = raw != 0; return true;
    case Type::fixed64: if (!r.fixed(8, raw)) return false; out = std::to_string(raw); return true;
    case Type::sfixed64: if (!r.fixed(8, raw)) return false; out = std::to_string(static_cast<std::int64_t>(raw)); return true;
    case Type::dbl: if (!r.fixed(8, raw)) return false; out = std::bit_cast<double>(raw); return true;
    case Type::fixed32: if (!r.fixed(4, raw)) return false; out = static_cast<std::uint32_t>(raw); return true;
    default: return r.fail("not a scalar");
  }
}

std::optional<json::object> read_message(std::string_view bytes, const Message& message, int depth,
                                         std::string* why) {
  if (depth > max_depth) {
    if (why && why->empty()) *why = "messages nested deeper than " + std::to_string(max_depth);
    return std::nullopt;
  }
  Reader r{bytes, 0, why};
  json::object out;
  while (r.at < bytes.size()) {
    std::uint64_t key = 0;
    if (!r.varint(key)) return std::nullopt;
    const auto number = static_cast<std::uint32_t>(key >> 3);
    const auto wire = static_cast<unsigned>(key & 7);
    if (number == 0) { r.fail("field number 0"); return std::nullopt; }
    const Field* field = nullptr;
    for (const auto& f : message.fields)
      if (f.number == number) field = &f;
    if (!field) {
      if (!r.skip(wire)) return std::nullopt;
      continue;
    }
    std::vector<json::value> values;
    if (field->type == Type::message || field->type == Type::string || field->type == Type::bytes) {
      if (wire != 2) { r.fail(std::string("wrong wire type for ") + field->name); return std::nullopt; }
      std::string_view inner;
      if (!r.length_delimited(inner)) return std::nullopt;
      if (field->type == Type::message) {
        auto nested = read_message(inner, *field->message, depth + 1, why);
        if (!nested) return std::nullopt;
        values.emplace_back(std::move(*nested));
      } else {
        values.emplace_back(field->type == Type::bytes ? json::string(hex(inner)) : json::string(inner));
      }
    } else if (wire == 2 && field->repeated) {  // packed
      std::string_view packed;
      if (!r.length_delimited(packed)) return std::nullopt;
      Reader p{packed, 0, why};
      while (p.at < packed.size()) {
        json::value v;
        if (!read_scalar(p, field->type, v)) return std::nullopt;
        values.push_back(std::move(v));
      }
    } else {
      if (wire != wire_type_of(field->type)) { r.fail(std::string("wrong wire type for ") + field->name); return std::nullopt; }
      json::value v;
      if (!read_scalar(r, field->type, v)) return std::nullopt;
      values.push_back(std::move(v));
    }
    if (field->repeated) {
      json::value& slot = out[field->name];
      if (!slot.is_array()) slot = json::array{};
      for (auto& v : values) slot.get_array().push_back(std::move(v));
    } else if (field->type == Type::message && out.contains(field->name)) {
      // protobuf merges a repeated singular message; OTLP encoders never send one twice
      for (auto& [k, v] : values.back().get_object()) out[field->name].get_object()[k] = v;
    } else {
      out[field->name] = std::move(values.back());
    }
  }
  return out;
}

}  // namespace

std::optional<Signal> signal_of_target(std::string_view target) {
  target = target.substr(0, target.find('?'));
  if (target.ends_with("/v1/logs")) return Signal::logs;
  if (target.ends_with("/v1/metrics")) return Signal::metrics;
  if (target.ends_with("/v1/traces")) return Signal::traces;
  return std::nullopt;
}

std::optional<json::value> decode_protobuf(Signal signal, std::string_view body, std::string* why) {
  const Message& request = signal == Signal::logs      ? export_logs
                           : signal == Signal::metrics ? export_metrics
                                                       : export_traces;
  auto decoded = read_message(body, request, 0, why);
  if (!decoded) return std::nullopt;
  return json::value(std::move(*decoded));
}

}  // namespace ltf::emulator::otlp
