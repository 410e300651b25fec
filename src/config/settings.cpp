// The numeric settings' table: each variable with its default and range from ltf/defaults.hpp.
// Reader::number takes a variable's range from here, and a test checks docs/configuration.md
// against it, so the checks, the defaults and the docs cannot drift apart.
#include "ltf/config.hpp"

#include <type_traits>

namespace ltf {

namespace {

namespace d = defaults;

template <typename T>
constexpr std::uint64_t raw(T value) {
  if constexpr (std::is_integral_v<T>) return value;
  else return static_cast<std::uint64_t>(value.count());
}

template <typename T>
constexpr NumericSetting entry(std::string_view variable, d::Range<T> range) {
  return {variable, raw(range.fallback), raw(range.min), raw(range.max)};
}

// Every numeric setting: its variable and its range from ltf/defaults.hpp. Reader::number finds a
// variable's range here, so the docs test and the checks cannot disagree.
constexpr NumericSetting kNumericSettings[] = {
    entry("LTF_LISTENER_PORT", d::listener_port),
    entry("LTF_LISTENER_MAX_BODY_BYTES", d::listener_max_body_bytes),
    entry("LTF_TELEMETRY_MAX_ITEMS", d::telemetry_max_items),
    entry("LTF_TELEMETRY_MAX_BYTES", d::telemetry_max_bytes),
    entry("LTF_TELEMETRY_TIMEOUT_MS", d::telemetry_timeout_ms),
    entry("DISPATCH_MIN_BATCH_SIZE", d::dispatch_min_batch_size),
    entry("LTF_DISPATCH_MAX_BATCH_BYTES", d::dispatch_max_batch_bytes),
    entry("LTF_SINK_TIMEOUT_MS", d::sink_timeout),
    entry("LTF_CONNECT_TIMEOUT_MS", d::connect_timeout),
    entry("LTF_TLS_HANDSHAKE_TIMEOUT_MS", d::handshake_timeout),
    entry("LTF_RETRY_INITIAL_MS", d::retry_initial),
    entry("LTF_RETRY_MAX_MS", d::retry_max),
    entry("LTF_RETRY_AFTER_MAX_MS", d::retry_after_max),
    entry("LTF_CIRCUIT_FAILURES", d::circuit_failures),
    entry("LTF_CIRCUIT_COOLDOWN_MS", d::circuit_cooldown),
    entry("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", d::secrets_extension_port),
    entry("LTF_SECRETS_TIMEOUT_MS", d::secrets_timeout),
    entry("LTF_FLUSH_BUDGET_MS", d::flush_budget),
    entry("LTF_BUFFER_MAX_BYTES", d::buffer_max_bytes),
    entry("LTF_SPILL_MAX_BYTES", d::spill_max_bytes),
    entry("LTF_DEADLINE_MARGIN_MS", d::deadline_margin),
    entry("LTF_FLUSH_INTERVAL_MS", d::flush_interval),
    entry("LTF_BUSY_BELOW_MS", d::busy_below),
    entry("LTF_COUNTERS_INTERVAL_MS", d::counters_interval),
};

}  // namespace

std::span<const NumericSetting> numeric_settings() { return kNumericSettings; }

}  // namespace ltf
