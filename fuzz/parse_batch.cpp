// libFuzzer harness: one Telemetry API POST body through telemetry::parse_batch.
#include "ltf/telemetry.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  std::vector<ltf::telemetry::Event> events;
  const auto outcome = ltf::telemetry::parse_batch(body, events);
  // What the parser promises: nothing taken from a body it refused, and every event counted.
  if (!outcome.error.empty() && !events.empty()) __builtin_trap();
  if (outcome.accepted != events.size()) __builtin_trap();
  for (auto& event : events) {
    (void)event.category();
    (void)ltf::telemetry::priority(event);
  }
  return 0;
}
