// The Telemetry API subscribe body parsed and checked rule by rule, as Lambda does (spec 3.1).
#include "subscription.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <array>

namespace ltf::emulator {

namespace json = boost::json;

namespace {

constexpr std::array<std::string_view, 3> stream_types{"platform", "function", "extension"};

template <std::size_t N>
bool one_of(const std::array<std::string_view, N>& set, std::string_view value) {
  return std::find(set.begin(), set.end(), value) != set.end();
}

void check_types(const json::object& body, TelemetrySubscription& out,
                 std::vector<std::string>& problems) {
  const auto* types = body.if_contains("types");
  if (!types || (types->is_array() && types->get_array().empty())) {
    problems.emplace_back("types should not be empty");
    return;
  }
  if (!types->is_array()) {
    problems.emplace_back("types must be an array of strings");
    return;
  }
  for (const auto& type : types->get_array()) {
    if (!type.is_string() || !one_of(stream_types, type.get_string())) {
      problems.emplace_back("types may contain only platform, function and extension");
      return;
    }
    const std::string name(type.get_string());
    if (std::find(out.types.begin(), out.types.end(), name) == out.types.end())
      out.types.push_back(name);
  }
}

void check_uri(std::string_view text, TelemetrySubscription& out,
               std::vector<std::string>& problems) {
  out.uri = std::string(text);
  auto parsed = boost::urls::parse_absolute_uri(text);
  if (!parsed) {
    problems.emplace_back("URI is not a valid absolute URI");
    return;
  }
  if (parsed->scheme() != "http") problems.emplace_back("URI scheme must be http");
  const std::string host = parsed->host();
  if (host != "sandbox.localdomain" && host != "sandbox")
    problems.emplace_back("URI host must be sandbox.localdomain or sandbox");
  if (!parsed->has_port() || parsed->port().empty()) {
    problems.emplace_back("URI port is not provided");
  } else if (parsed->port_number() == 0) {
    problems.emplace_back("URI port must be between 1 and 65535");
  } else {
    out.port = parsed->port_number();
  }
  out.target = parsed->encoded_target();
  if (out.target.empty() || out.target.front() != '/') out.target.insert(0, "/");
}

void check_destination(const json::object& body, TelemetrySubscription& out,
                       std::vector<std::string>& problems) {
  const auto* destination = body.if_contains("destination");
  if (!destination || !destination->is_object()) {
    problems.emplace_back("destination is required");
    return;
  }
  const auto& fields = destination->get_object();
  const auto* protocol = fields.if_contains("protocol");
  if (!protocol || !protocol->is_string()) {
    problems.emplace_back("destination.protocol is required");
  } else if (protocol->get_string() == "TCP") {
    // TCP is a documented protocol; the emulator delivers over HTTP only and says so.
    problems.emplace_back("destination.protocol TCP is not supported by fake-lambda; use HTTP");
  } else if (protocol->get_string() != "HTTP") {
    problems.emplace_back("destination.protocol must be HTTP or TCP");
  }
  const auto* uri = fields.if_contains("URI");
  if (!uri || !uri->is_string()) {
    problems.emplace_back("destination.URI is required");
    return;
  }
  check_uri(uri->get_string(), out, problems);
}

// Sets `out` when buffering.<name> is present and an integer within [low, high].
template <typename T>
void check_range(const json::object& buffering, std::string_view name, std::int64_t low,
                 std::int64_t high, T& out, std::vector<std::string>& problems) {
  const auto* value = buffering.if_contains(name);
  if (!value) return;
  const auto message = "buffering." + std::string(name) + " must be an integer between " +
                       std::to_string(low) + " and " + std::to_string(high);
  std::int64_t number = 0;
  if (value->is_int64()) number = value->get_int64();
  else if (value->is_uint64() && value->get_uint64() <= static_cast<std::uint64_t>(high))
    number = static_cast<std::int64_t>(value->get_uint64());
  else {
    problems.push_back(message);
    return;
  }
  if (number < low || number > high) {
    problems.push_back(message);
    return;
  }
  out = static_cast<T>(number);
}

void check_buffering(const json::object& body, TelemetrySubscription& out,
                     std::vector<std::string>& problems) {
  const auto* buffering = body.if_contains("buffering");
  if (!buffering) return;
  if (!buffering->is_object()) {
    problems.emplace_back("buffering must be an object");
    return;
  }
  using L = SubscriptionLimits;
  const auto& fields = buffering->get_object();
  check_range(fields, "maxItems", L::min_items, L::max_items, out.max_items, problems);
  check_range(fields, "maxBytes", L::min_bytes, L::max_bytes, out.max_bytes, problems);
  std::int64_t timeout_ms = out.timeout.count();
  check_range(fields, "timeoutMs", L::min_timeout_ms, L::max_timeout_ms, timeout_ms, problems);
  out.timeout = std::chrono::milliseconds(timeout_ms);
}

}  // namespace

SubscriptionParse parse_subscription(std::string_view text,
                                     const std::vector<std::string>& schema_versions) {
  boost::system::error_code ec;
  auto parsed = json::parse(text, ec);
  if (ec || !parsed.is_object())
    return std::vector<std::string>{"request body must be a JSON object"};
  const auto& body = parsed.get_object();
  TelemetrySubscription out;
  std::vector<std::string> problems;

  const auto* schema = body.if_contains("schemaVersion");
  if (!schema || !schema->is_string()) problems.emplace_back("schemaVersion is required");
  else if (std::find(schema_versions.begin(), schema_versions.end(), schema->get_string()) ==
           schema_versions.end()) {
    std::string accepted;
    for (const auto& v : schema_versions) accepted += (accepted.empty() ? "" : ", ") + v;
    problems.emplace_back("schemaVersion must be one of " + accepted);
  }
  else out.schema_version = std::string(schema->get_string());

  check_types(body, out, problems);
  check_destination(body, out, problems);
  check_buffering(body, out, problems);
  if (!problems.empty()) return problems;
  return out;
}

}  // namespace ltf::emulator
