#include "ltf/sinks.hpp"

namespace ltf::sinks {

std::string log_excerpt(std::string_view text, std::size_t limit) {
  constexpr std::string_view ellipsis = "...";
  if (limit <= ellipsis.size()) return std::string(text.substr(0, limit));
  const bool cut = text.size() > limit;
  std::string out(text.substr(0, cut ? limit - ellipsis.size() : text.size()));
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  if (cut) out += ellipsis;
  return out;
}

}  // namespace ltf::sinks
