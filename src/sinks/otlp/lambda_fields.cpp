// Reading Lambda's events for the OTLP mappings, and the resource that describes the function.
#include "lambda_fields.hpp"

#include <boost/json/parse.hpp>

#include <algorithm>
#include <chrono>

namespace ltf::otlp {

namespace json = boost::json;

Attribute attribute(std::string key, std::string value) { return {std::move(key), Value{std::move(value)}}; }
Attribute attribute(std::string key, std::int64_t value) { return {std::move(key), Value{value}}; }
Attribute attribute(std::string key, bool value) { return {std::move(key), Value{value}}; }

Attributes resource_attributes(const ResourceInfo& info) {
  const auto& f = info.function;
  Attributes out;
  auto add_text = [&](const char* key, const std::string& value) {
    if (!value.empty()) out.push_back(attribute(key, value));
  };
  // OpenTelemetry's FaaS and cloud semantic conventions.
  add_text("service.name", f.function_name);
  add_text("faas.name", f.function_name);
  add_text("faas.version", f.function_version);
  add_text("faas.instance", f.sandbox);
  if (info.memory_mb) out.push_back(attribute("faas.max_memory", static_cast<std::int64_t>(info.memory_mb * 1024 * 1024)));
  out.push_back(attribute("cloud.provider", std::string("aws")));
  out.push_back(attribute("cloud.platform", std::string("aws_lambda")));
  add_text("cloud.region", f.region);
  add_text("cloud.account.id", info.account_id);
  for (const auto& extra : info.extra) {
    auto same = std::find_if(out.begin(), out.end(), [&](const Attribute& a) { return a.key == extra.name; });
    if (same != out.end()) same->value = Value{extra.value};
    else out.push_back(attribute(extra.name, extra.value));
  }
  return out;
}

std::optional<std::string> xray_trace_id(std::string_view header) {
  // Root=1-<8 hex: epoch seconds>-<24 hex>: OpenTelemetry's id is the 32 digits together.
  for (std::size_t start = 0; start < header.size();) {
    auto end = header.find(';', start);
    if (end == std::string_view::npos) end = header.size();
    std::string_view part = header.substr(start, end - start);
    start = end + 1;
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (!part.starts_with("Root=")) continue;
    part.remove_prefix(5);
    if (part.size() != 35 || part.substr(0, 2) != "1-" || part[10] != '-') return std::nullopt;
    const std::string digits = std::string(part.substr(2, 8)) + std::string(part.substr(11));
    auto id = detail::bytes_from_hex(digits, 16);
    if (id.empty()) return std::nullopt;
    return id;
  }
  return std::nullopt;
}

namespace detail {

std::uint64_t unix_nanos(std::string_view time) {
  const auto when = telemetry::parse_event_time(time);
  if (!when || when->time_since_epoch().count() < 0) return 0;
  return static_cast<std::uint64_t>(when->time_since_epoch().count());
}

double number_or(const json::value* value, double fallback) {
  if (!value) return fallback;
  if (value->is_double()) return value->get_double();
  if (value->is_int64()) return static_cast<double>(value->get_int64());
  if (value->is_uint64()) return static_cast<double>(value->get_uint64());
  return fallback;
}

std::uint64_t millis_as_nanos(const json::value* millis) {
  const double ms = number_or(millis, 0);
  // Bounded: a day is far beyond any Lambda phase, and keeps the arithmetic in range.
  if (!(ms > 0) || ms > 86'400'000.0) return 0;
  return static_cast<std::uint64_t>(ms * 1e6);
}

Interval measured_interval(const telemetry::Event& event, const json::value& record) {
  Interval out;
  out.end = unix_nanos(event.time);
  const json::value* metrics = member(record, "metrics");
  const std::uint64_t duration = metrics ? millis_as_nanos(member(*metrics, "durationMs")) : 0;
  out.start = out.end > duration ? out.end - duration : 0;
  return out;
}

const json::value* member(const json::value& object, std::string_view name) {
  const json::object* o = object.if_object();
  return o ? o->if_contains(name) : nullptr;
}

std::string_view string_member(const json::value& object, std::string_view name) {
  const json::value* v = member(object, name);
  return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view{};
}

Value value_of(const json::value& j) {
  switch (j.kind()) {
    case json::kind::string: return Value{std::string(j.get_string())};
    case json::kind::bool_: return Value{j.get_bool()};
    case json::kind::int64: return Value{j.get_int64()};
    case json::kind::uint64:
      if (j.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) return Value{static_cast<std::int64_t>(j.get_uint64())};
      return Value{static_cast<double>(j.get_uint64())};
    case json::kind::double_: return Value{j.get_double()};
    case json::kind::array: {
      std::vector<Value> items;
      items.reserve(j.get_array().size());
      for (const auto& item : j.get_array()) items.push_back(value_of(item));
      return Value{std::move(items)};
    }
    case json::kind::object: {
      Attributes members;
      members.reserve(j.get_object().size());
      for (const auto& [key, value] : j.get_object()) members.push_back({std::string(key), value_of(value)});
      return Value{std::move(members)};
    }
    case json::kind::null: break;
  }
  return Value{};
}

Tracing tracing_of(const json::value& record) {
  Tracing out;
  const json::value* tracing = member(record, "tracing");
  if (!tracing) return out;
  const std::string_view header = string_member(*tracing, "value");
  if (auto id = xray_trace_id(header)) out.trace_id = std::move(*id);
  const auto parent = header.find("Parent=");
  if (parent != std::string_view::npos) out.parent_span_id = bytes_from_hex(header.substr(parent + 7, 16), 8);
  out.span_id = bytes_from_hex(string_member(*tracing, "spanId"), 8);
  return out;
}

std::string bytes_from_hex(std::string_view hex, std::size_t size) {
  if (hex.size() != 2 * size) return {};
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out(size, '\0');
  bool zero = true;
  for (std::size_t i = 0; i < size; ++i) {
    const int high = digit(hex[2 * i]), low = digit(hex[2 * i + 1]);
    if (high < 0 || low < 0) return {};
    out[i] = static_cast<char>(high * 16 + low);
    zero = zero && out[i] == 0;
  }
  return zero ? std::string{} : out;  // all-zero ids are invalid in OTLP
}

namespace {

std::uint64_t fnv1a(std::string_view text, std::uint64_t hash = 0xcbf29ce484222325ULL) {
  for (unsigned char c : text) hash = (hash ^ c) * 0x100000001b3ULL;
  return hash;
}

std::string eight_bytes(std::uint64_t value) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((value >> (56 - 8 * i)) & 0xff);
  return out;
}

}  // namespace

std::string event_key(const telemetry::Event& event) {
  if (auto id = bytes_from_hex(event.id, 16); !id.empty()) return id;
  // Not an accepted event (no id yet): its text, hashed twice over, identifies it all the same.
  const std::uint64_t first = fnv1a(event.raw);
  return eight_bytes(first) + eight_bytes(fnv1a(event.raw, first ^ 0x9e3779b97f4a7c15ULL) | 1);
}

std::string derived_span_id(std::string_view key, std::uint64_t ordinal) {
  const std::uint64_t id = fnv1a(std::to_string(ordinal), fnv1a(key));
  return eight_bytes(id ? id : 1);
}

}  // namespace detail

}  // namespace ltf::otlp
