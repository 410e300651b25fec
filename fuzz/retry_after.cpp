// libFuzzer harness: a Retry-After header value through sinks::parse_retry_after.
#include "ltf/sinks.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view value(reinterpret_cast<const char*>(data), size);
  // A fixed "now" keeps runs reproducible: 2026-01-01T00:00:00Z.
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1767225600));
  const auto delay = ltf::sinks::parse_retry_after(value, now);
  if (delay && delay->count() < 0) __builtin_trap();  // a wait is never negative
  return 0;
}
