#pragma once
// What a log line's `record` is, as Lambda shapes it: text or its JSON log format, the tenant of a
// tenant-isolated function, and what a subscriber's schemaVersion lets it see (log_records.cpp).

#include "ltf/emulator.hpp"

#include <boost/json/value.hpp>

#include <string>
#include <string_view>

namespace ltf::emulator {

// One line the fake runtime writes during an invocation.
struct RuntimeLine {
  std::string_view text;        // the line, unique per run (report.function_lines)
  std::string_view time;        // when it was written, as event times are
  std::string_view request_id;  // the invocation's
  int index = 0;                // its number within the invocation, from 0
};

// The `record` of a function event: the line itself in text format; in JSON format the object
// the runtime's formatter makes of it, or, for every json_line_every-th line, the object the
// function wrote itself (a structured logger's output, which Lambda does not wrap again).
boost::json::value function_record(const Scenario& scenario, const RuntimeLine& line);
// The `record` of an extension event: extensions write text; in JSON format Lambda wraps it.
boost::json::value extension_record(const Scenario& scenario, std::string_view text,
                                    std::string_view time);

// Every json_line_every-th line of an invocation (the last of each group) is already JSON.
inline constexpr int json_line_every = 5;
bool written_as_json(const Scenario& scenario, int index);

// The record as a subscriber of `schema` receives it: schema 2022-07-01 knows only string log
// records (an object becomes its JSON text), and `tenantId` on platform events belongs to schema
// 2025-01-29 (older subscribers do not get it; a log line's own tenantId is part of the line).
boost::json::value record_for_schema(std::string_view type, const boost::json::value& record,
                                     std::string_view schema);

// The schemaVersions of the Telemetry API, oldest first.
inline constexpr std::string_view telemetry_schemas[] = {"2022-07-01", "2022-12-13", "2025-01-29"};

}  // namespace ltf::emulator
