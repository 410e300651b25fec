#pragma once
// The Telemetry API subscribe body: parsed and validated the way Lambda does (spec 3.1), with every
// violation named so the 400 can list them all, "; "-separated.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ltf::emulator {

struct SubscriptionLimits {
  static constexpr std::int64_t min_items = 1000, max_items = 10000, default_items = 10000;
  static constexpr std::int64_t min_bytes = 262144, max_bytes = 1048576, default_bytes = 262144;
  static constexpr std::int64_t min_timeout_ms = 25, max_timeout_ms = 30000,
                                default_timeout_ms = 1000;
};

struct TelemetrySubscription {
  std::string schema_version;
  std::vector<std::string> types;  // subset of platform, function, extension
  std::size_t max_items = SubscriptionLimits::default_items;
  std::size_t max_bytes = SubscriptionLimits::default_bytes;
  std::chrono::milliseconds timeout{SubscriptionLimits::default_timeout_ms};
  std::string uri;     // as given
  std::uint16_t port = 0;
  std::string target;  // path and query, at least "/"
};

using SubscriptionParse = std::variant<TelemetrySubscription, std::vector<std::string>>;
// `schema_versions`: the schemaVersions this Lambda accepts.
SubscriptionParse parse_subscription(std::string_view body,
                                     const std::vector<std::string>& schema_versions);

}  // namespace ltf::emulator
