// Events as OpenSearch documents, and the names of the indices they go to.
#include "ltf/opensearch.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <array>
#include <chrono>
#include <cstdio>

namespace ltf::opensearch {

namespace json = boost::json;

namespace {

// An event time as UTC, to the second (telemetry::parse_event_time, floored).
std::optional<std::chrono::sys_seconds> parse_rfc3339(std::string_view text) {
  const auto when = telemetry::parse_event_time(text);
  if (!when) return std::nullopt;
  return std::chrono::floor<std::chrono::seconds>(*when);
}

std::string two_digits(unsigned value) {
  std::array<char, 3> text{};
  std::snprintf(text.data(), text.size(), "%02u", value % 100);
  return text.data();
}

const json::parse_options& lenient_depth() {
  // Function logs in JSON format carry whatever the function logged; as deep as the listener
  // accepts (telemetry/parse.cpp).
  static const json::parse_options options = [] {
    json::parse_options o;
    o.max_depth = 1024;
    return o;
  }();
  return options;
}

// Where an event came from and where it stands in its sandbox's stream: the same fields in a
// document and in its dead letter (their mappings: identity_properties).
void add_identity(json::object& document, const Event& event, const FunctionIdentity& function) {
  document["type"] = event.type;
  document["event_id"] = event.id;
  document["sequence"] = event.sequence;
  if (!function.sandbox.empty()) document["sandbox"] = function.sandbox;
  document["function_name"] = function.function_name;
  document["function_version"] = function.function_version;
  document["region"] = function.region;
}

// What a search across every kind of event filters on, lifted from an object record to the top:
// the tenant (tenant-isolated functions, schema 2025-01-29: platform.start, platform.report and
// JSON-format logs carry `tenantId`) and, for log lines in Lambda's JSON format, their `level`
// and `message`, so that a text line's `message` and a JSON line's are one field. Only strings
// are lifted: a function may log `"message": {"order": 17}`, which stays under `record` alone,
// or the first such document would fix `message`'s mapping as an object and refuse every text line.
void add_record_fields(json::object& document, const json::object& record,
                       telemetry::Category category) {
  auto lift = [&](std::string_view from, std::string_view to) {
    const json::value* value = record.if_contains(from);
    if (value && value->is_string()) document[to] = value->get_string();
  };
  lift("tenantId", "tenantId");
  if (category != telemetry::Category::function && category != telemetry::Category::extension)
    return;
  lift("level", "level");
  lift("message", "message");
}

}  // namespace

bool has_date_fields(std::string_view pattern) {
  return pattern.find('%') != std::string_view::npos;
}

std::string index_name_prefix(std::string_view pattern) {
  return std::string(pattern.substr(0, pattern.find('%')));
}

std::optional<std::string> index_name(std::string_view pattern, std::string_view event_time) {
  if (!has_date_fields(pattern)) return std::string(pattern);
  const auto when = parse_rfc3339(event_time);
  if (!when) return std::nullopt;
  using namespace std::chrono;
  const auto day_start = floor<days>(*when);
  const year_month_day date{day_start};
  const auto hour = duration_cast<hours>(*when - day_start).count();

  std::string out;
  out.reserve(pattern.size() + 8);
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '%' || i + 1 == pattern.size()) {
      out += pattern[i];
      continue;
    }
    switch (pattern[++i]) {
      case 'Y': out += std::to_string(static_cast<int>(date.year())); break;
      case 'm': out += two_digits(static_cast<unsigned>(date.month())); break;
      case 'd': out += two_digits(static_cast<unsigned>(date.day())); break;
      case 'H': out += two_digits(static_cast<unsigned>(hour)); break;
      default:  // load_config refuses other fields; kept literally for a hand-made Config
        out += '%';
        out += pattern[i];
    }
  }
  return out;
}

const std::string& IndexPatterns::for_category(telemetry::Category category) const {
  switch (category) {
    case telemetry::Category::function: return function;
    case telemetry::Category::extension: return extension;
    case telemetry::Category::platform:
    case telemetry::Category::unknown: break;
  }
  return platform;
}

std::optional<std::string> document_source(const Event& event, const FunctionIdentity& function,
                                           std::string* why) {
  std::array<unsigned char, 4096> first_block;
  json::monotonic_resource arena(first_block.data(), first_block.size());
  boost::system::error_code ec;
  json::value parsed = json::parse(event.raw, ec, &arena, lenient_depth());
  const json::object* envelope = ec ? nullptr : parsed.if_object();
  if (!envelope) {
    if (why) *why = ec ? "the event is not JSON: " + ec.message() : "the event is not a JSON object";
    return std::nullopt;
  }

  json::object document(&arena);
  document.reserve(12);
  document["@timestamp"] = event.time;
  document["time"] = event.time;
  if (!event.request_id.empty()) document["requestId"] = event.request_id;
  add_identity(document, event, function);
  if (const json::value* record = envelope->if_contains("record")) {
    // One field, one type: whichever shape arrived first would otherwise fix the mapping of
    // `record` and fail every event of the other shape for good.
    if (const json::object* fields = record->if_object()) {
      document["record"] = *record;
      add_record_fields(document, *fields, event.category());
    } else if (const json::string* text = record->if_string()) {
      document["message"] = *text;
    } else if (!record->is_null()) {
      document["message"] = json::serialize(*record);
    }
  }
  return json::serialize(document);
}

std::string dead_letter_source(const Event& event, const FunctionIdentity& function,
                               const Refusal& refusal, std::string_view now) {
  json::object document;
  document["@timestamp"] = parse_rfc3339(event.time) ? std::string_view(event.time) : now;
  add_identity(document, event, function);
  document["index"] = refusal.index;
  document["status"] = refusal.status;
  document["error_type"] = refusal.error_type;
  document["reason"] = refusal.reason;
  document["original"] = event.raw;
  return json::serialize(document);
}

}  // namespace ltf::opensearch
