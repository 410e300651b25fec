#pragma once
// Telemetry API POST bodies shaped like what Lambda sends (the record shapes of spec section 4):
// invocations of a platform.start, function log lines, a platform.runtimeDone and a
// platform.report, repeated. Log lines alternate between the text format (tab-separated, with
// escapes in the JSON string) and the JSON format (an object record), as a mixed fleet produces.

#include <cstddef>
#include <string>

namespace ltf::bench {

// A JSON array of exactly `events` events.
std::string batch_of_events(std::size_t events);

// The largest such array that stays within `bytes`, as a subscription's maxBytes fills a POST.
std::string batch_of_bytes(std::size_t bytes);

}  // namespace ltf::bench
