#include "ltf/telemetry.hpp"

#include <cstdio>
#include <ctime>

namespace ltf::telemetry {

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
