// The HTTP Retry-After header as a bounded wait: delay-seconds or an HTTP-date, capped by one limit.
#include "ltf/sinks.hpp"

#include <charconv>
#include <ctime>

namespace ltf::sinks {

namespace {

// The three HTTP-date forms recipients must accept (RFC 9110 §5.6.7): IMF-fixdate, the one senders
// must use, then the obsolete RFC 850 and asctime forms.
constexpr const char* date_formats[] = {
    "%a, %d %b %Y %H:%M:%S GMT",
    "%A, %d-%b-%y %H:%M:%S GMT",
    "%a %b %e %H:%M:%S %Y",
};

// Seconds since the epoch of a broken-down UTC time, in 64-bit seconds throughout: neither
// timegm's time_t nor system_clock's nanoseconds (which end in 2262) may be trusted with a year a
// peer chose. nullopt when the date does not exist.
std::optional<std::chrono::seconds> epoch_seconds(const std::tm& tm) {
  using namespace std::chrono;
  const long long y = static_cast<long long>(tm.tm_year) + 1900;
  if (y < static_cast<int>(year::min()) || y > static_cast<int>(year::max())) return std::nullopt;
  const year_month_day date{year{static_cast<int>(y)}, month{static_cast<unsigned>(tm.tm_mon + 1)},
                            day{static_cast<unsigned>(tm.tm_mday)}};
  if (!date.ok()) return std::nullopt;
  return duration_cast<seconds>(sys_days{date}.time_since_epoch()) + hours{tm.tm_hour} +
         minutes{tm.tm_min} + seconds{tm.tm_sec};
}

}  // namespace

std::optional<Milliseconds> parse_retry_after(std::string_view value,
                                              std::chrono::system_clock::time_point now,
                                              Milliseconds max_wait) {
  using std::chrono::seconds;
  max_wait = std::max(max_wait, Milliseconds(0));
  const auto capped = [max_wait](seconds wait) -> Milliseconds {
    // Compared in seconds, so that no conversion of a huge wait to milliseconds can overflow.
    if (wait <= seconds(0)) return Milliseconds(0);
    if (wait >= std::chrono::ceil<seconds>(max_wait)) return max_wait;
    return std::min<Milliseconds>(wait, max_wait);
  };
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;

  std::uint64_t count = 0;
  const char* const last = value.data() + value.size();
  const auto [end, ec] = std::from_chars(value.data(), last, count);
  if (end == last && ec == std::errc::result_out_of_range) return max_wait;  // digits past 2^64
  if (end == last && ec == std::errc{})
    return capped(seconds(static_cast<seconds::rep>(std::min<std::uint64_t>(count, INT64_MAX))));

  // strptime reads up to a NUL: a value holding one is no date (the bytes after it would go
  // unread), and the whole text must be consumed.
  if (value.find('\0') != std::string_view::npos) return std::nullopt;
  const std::string text(value);
  for (const char* format : date_formats) {
    std::tm tm{};
    const char* parsed = strptime(text.c_str(), format, &tm);
    if (!parsed || parsed != text.c_str() + text.size()) continue;
    const auto when = epoch_seconds(tm);
    if (!when) return std::nullopt;
    return capped(*when - std::chrono::floor<seconds>(now.time_since_epoch()));
  }
  return std::nullopt;
}

}  // namespace ltf::sinks
