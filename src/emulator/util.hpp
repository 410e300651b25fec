#pragma once
// Small helpers shared by the emulator's files: wall-clock formats Lambda uses, identifiers, and
// Lambda's JSON error responses.

#include "ltf/net.hpp"

#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>

namespace ltf::emulator {

using WallClock = std::chrono::system_clock;

std::int64_t epoch_ms(WallClock::time_point t);
// "2022-10-12T00:00:15.064Z": UTC, millisecond precision, as Lambda stamps `time`.
std::string iso_time(WallClock::time_point t);
double to_ms(std::chrono::steady_clock::duration d);

std::string random_uuid();  // version 4
// The 8-4-4-4-12 hex form the Extensions API middleware accepts.
bool is_uuid(std::string_view text);
std::string random_hex(std::mt19937_64& rng, std::size_t digits);

// {"errorMessage":...,"errorType":...} with the given status.
net::Response error_response(unsigned status, std::string_view error_type,
                             std::string_view message);
net::Response json_response(unsigned status, const boost::json::value& body);

std::string header(const net::Request& request, std::string_view name);

}  // namespace ltf::emulator
