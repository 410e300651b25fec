#include "ltf/telemetry.hpp"

#include <cstdio>
#include <ctime>

namespace ltf::telemetry {

namespace {

// Reads `count` decimal digits at `at`; nullopt when any is not a digit.
std::optional<int> digits(std::string_view text, std::size_t at, std::size_t count) {
  if (at + count > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

}  // namespace

// The Telemetry API sends UTC with 'Z'; offsets are converted all the same.
std::optional<std::chrono::sys_time<std::chrono::nanoseconds>> parse_event_time(std::string_view text) {
  using namespace std::chrono;
  const auto y = digits(text, 0, 4), mo = digits(text, 5, 2), d = digits(text, 8, 2);
  const auto h = digits(text, 11, 2), mi = digits(text, 14, 2), s = digits(text, 17, 2);
  if (!y || !mo || !d || !h || !mi || !s) return std::nullopt;
  if (text[4] != '-' || text[7] != '-' || (text[10] != 'T' && text[10] != 't' && text[10] != ' ') ||
      text[13] != ':' || text[16] != ':')
    return std::nullopt;
  const year_month_day date{year(*y), month(static_cast<unsigned>(*mo)),
                            day(static_cast<unsigned>(*d))};
  if (!date.ok() || *h > 23 || *mi > 59 || *s > 60) return std::nullopt;

  std::size_t at = 19;
  nanoseconds fraction{0};
  if (at < text.size() && text[at] == '.') {
    ++at;
    const std::size_t first = at;
    std::int64_t scale = 100'000'000;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
      fraction += nanoseconds((text[at] - '0') * scale);
      scale /= 10;
      ++at;
    }
    if (at == first) return std::nullopt;
  }
  if (at >= text.size()) return std::nullopt;  // RFC 3339 requires the offset
  seconds offset{0};
  if (text[at] == 'Z' || text[at] == 'z') {
    ++at;
  } else if (text[at] == '+' || text[at] == '-') {
    const auto oh = digits(text, at + 1, 2), om = digits(text, at + 4, 2);
    if (!oh || !om || at + 3 >= text.size() || text[at + 3] != ':' || *oh > 23 || *om > 59)
      return std::nullopt;
    offset = hours(*oh) + minutes(*om);
    if (text[at] == '-') offset = -offset;
    at += 6;
  } else {
    return std::nullopt;
  }
  if (at != text.size()) return std::nullopt;
  // A leap second (:60) lands on the next second: deterministic all the same.
  return sys_days(date) + hours(*h) + minutes(*mi) + seconds(*s) - offset + fraction;
}

std::string format_event_time(std::chrono::system_clock::time_point when) {
  using namespace std::chrono;
  const auto ms = duration_cast<milliseconds>(when.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[48];
  const std::size_t length = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  const auto millis = static_cast<unsigned>(ms % 1000);
  std::snprintf(text + length, sizeof text - length, ".%03uZ", millis);
  return text;
}

Category Event::category() const {
  // The envelope types of section 4: "platform.*", "function", "extension". Anything else (a type
  // a newer schema adds) is still forwarded, just not classified.
  if (type.starts_with("platform.")) return Category::platform;
  if (type == "function") return Category::function;
  if (type == "extension") return Category::extension;
  return Category::unknown;
}

std::size_t Event::footprint() const {
  // The object itself plus the text it holds. Sizes rather than capacities, so that the buffer's
  // accounting is the same for an event wherever it was copied or moved to.
  // A string past libstdc++'s 15-character inline buffer lives in a heap block that costs its
  // text plus malloc's header and rounding, about 32 bytes: counted, so that the budget stays
  // close to what the process really holds.
  auto heap = [](const std::string& text) -> std::size_t {
    return text.size() > 15 ? text.size() + 32 : 0;
  };
  return sizeof(Event) + heap(raw) + heap(type) + heap(time) + heap(request_id) + heap(id);
}

}  // namespace ltf::telemetry
