#pragma once
// The extension's own log: Boost.Log to stdout, one line per lifecycle step, warning or error.
// Lambda sends these lines back to us as `extension` telemetry, so nothing here may log per event.

#include <boost/log/trivial.hpp>

#include <optional>
#include <string_view>

namespace ltf::log {

using Level = boost::log::trivial::severity_level;

// Parses "trace|debug|info|warn|warning|error|fatal|off" (case-insensitive).
std::optional<Level> parse_level(std::string_view text);

// Routes Boost.Log's trivial logger to stdout as "[telemetry-forwarder] LEVEL message" and drops
// records below `min`. `off` (nullopt) silences everything.
void init(std::optional<Level> min, std::string_view program_name = "telemetry-forwarder");

}  // namespace ltf::log

#define LTF_LOG(level) BOOST_LOG_TRIVIAL(level)
