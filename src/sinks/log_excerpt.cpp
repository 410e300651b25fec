// Backend text (a response body, an error reason) made fit for a log line: bounded, one line.
#include "ltf/sinks.hpp"

namespace ltf::sinks {

namespace {

// Bytes of the line break starting `rest`: a C0 control or DEL (1), or the UTF-8 encoding of one
// of the Unicode line breaks NEL (2), LS or PS (3); 0 when it does not start with one.
std::size_t line_break_at(std::string_view rest) {
  const auto c = static_cast<unsigned char>(rest[0]);
  if (c < 0x20 || c == 0x7f) return 1;
  if (rest.starts_with("\xc2\x85")) return 2;
  if (rest.starts_with("\xe2\x80\xa8") || rest.starts_with("\xe2\x80\xa9")) return 3;
  return 0;
}

}  // namespace

std::string log_excerpt(std::string_view text, std::size_t limit) {
  constexpr std::string_view ellipsis = "...";
  const bool cut = text.size() > limit;
  std::size_t keep = cut ? (limit > ellipsis.size() ? limit - ellipsis.size() : 0) : text.size();
  // Never half of a UTF-8 character: back up over continuation bytes to the character's start.
  if (cut)
    while (keep > 0 && (static_cast<unsigned char>(text[keep]) & 0xc0) == 0x80) --keep;
  std::string out;
  out.reserve(keep + ellipsis.size());
  for (std::size_t i = 0; i < keep;) {
    const std::size_t width = line_break_at(text.substr(i, keep - i));
    if (width == 0) {
      out += text[i++];
      continue;
    }
    out += ' ';  // a space for each break: the line stays readable and stays one line
    i += width;
  }
  if (cut && limit >= ellipsis.size()) out += ellipsis;
  return out;
}

}  // namespace ltf::sinks
