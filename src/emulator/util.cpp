// Small helpers shared by the emulator's files: Lambda's time formats, identifiers, JSON errors.
#include "util.hpp"

#include <boost/json/serialize.hpp>
#include <boost/uuid/random_generator.hpp>
#include <boost/uuid/uuid_io.hpp>

#include <cctype>
#include <cstdio>

namespace ltf::emulator {

std::int64_t epoch_ms(WallClock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::string iso_time(WallClock::time_point t) {
  // Written here rather than taken from the extension: the emulator plays Lambda, and an
  // extension that misreads Lambda's times must not be excused by sharing the same formatter.
  using namespace std::chrono;
  const auto ms = floor<milliseconds>(t);
  const auto day = floor<days>(ms);
  const year_month_day date{day};
  const hh_mm_ss clock{ms - day};
  char text[40];
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", int(date.year()),
                unsigned(date.month()), unsigned(date.day()), int(clock.hours().count()),
                int(clock.minutes().count()), int(clock.seconds().count()),
                int(clock.subseconds().count()));
  return text;
}

double to_ms(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

std::string random_uuid() {
  // The generator seeds itself from the OS once; identifiers need not be reproducible.
  static boost::uuids::random_generator generate;
  return boost::uuids::to_string(generate());
}

bool is_uuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_position ? text[i] != '-' : !std::isxdigit(static_cast<unsigned char>(text[i])))
      return false;
  }
  return true;
}

std::string random_hex(std::mt19937_64& rng, std::size_t digits) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(digits);
  for (std::size_t i = 0; i < digits; ++i) out.push_back(hex[rng() & 0xf]);
  return out;
}

net::Response json_response(unsigned status, const boost::json::value& body) {
  net::Response response{static_cast<net::http::status>(status), 11};
  response.set(net::http::field::content_type, "application/json");
  response.body() = boost::json::serialize(body);
  return response;
}

net::Response error_response(unsigned status, std::string_view error_type,
                             std::string_view message) {
  return json_response(status, boost::json::object{{"errorMessage", message},
                                                   {"errorType", error_type}});
}

std::string header(const net::Request& request, std::string_view name) {
  auto it = request.find(name);
  return it == request.end() ? std::string() : std::string(it->value());
}

}  // namespace ltf::emulator
