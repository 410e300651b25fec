#pragma once
// The extension's own log: Boost.Log to stdout, one line per lifecycle step, warning or error.
// Lambda sends these lines back to us as `extension` telemetry, so nothing here may log per event.

#include <boost/log/trivial.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace ltf::log {

using Level = boost::log::trivial::severity_level;

// Parses "trace|debug|info|warn|warning|error|fatal|off" (case-insensitive).
std::optional<Level> parse_level(std::string_view text);

// The longest message a log line carries; the rest is cut and marked "...".
inline constexpr std::size_t max_message_bytes = 4096;

// `text` as one printable line: line breaks and other control characters (C0, DEL, and the
// Unicode line breaks NEL, LS, PS) escaped as \n, \r, \t, \xHH or \uHHHH, so that no value
// from outside (a server's answer, a configuration value, a URL) can end a line and forge the next
// one; at most `limit` bytes, "..." marking a cut.
std::string one_line(std::string_view text, std::size_t limit = max_message_bytes);

// Routes Boost.Log's trivial logger to stdout as "[telemetry-forwarder] LEVEL message" and drops
// records below `min`. `off` (nullopt) silences everything. Every message goes through one_line:
// one record, one line.
void init(std::optional<Level> min, std::string_view program_name = "telemetry-forwarder");

}  // namespace ltf::log

#define LTF_LOG(level) BOOST_LOG_TRIVIAL(level)
