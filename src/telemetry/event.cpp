#include "ltf/telemetry.hpp"

namespace ltf::telemetry {

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
  return sizeof(Event) + raw.size() + type.size() + time.size() + request_id.size() + id.size();
}

}  // namespace ltf::telemetry
