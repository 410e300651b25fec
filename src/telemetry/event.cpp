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
  // A string past libstdc++'s 15-character inline buffer lives in a heap block that costs its
  // text plus malloc's header and rounding, about 32 bytes: counted, so that the budget stays
  // close to what the process really holds.
  auto heap = [](const std::string& text) -> std::size_t {
    return text.size() > 15 ? text.size() + 32 : 0;
  };
  return sizeof(Event) + heap(raw) + heap(type) + heap(time) + heap(request_id) + heap(id);
}

}  // namespace ltf::telemetry
