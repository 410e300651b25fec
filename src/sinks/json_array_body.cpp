#include "ltf/sinks.hpp"

#include <charconv>

namespace ltf::sinks {

namespace {

// Appends `raw` (one JSON object) with the event's id and sequence as its last members.
// Lambda's objects end in '}' (parse_batch keeps exactly the element's text), so the members go
// just before it; an event id is hex digits and needs no escaping.
void append_annotated(std::string& out, const telemetry::Event& event) {
  const std::string_view raw = event.raw;
  const bool annotate = !raw.empty() && raw.back() == '}' && (!event.id.empty() || event.sequence);
  if (!annotate) {
    out += raw;
    return;
  }
  out.append(raw.substr(0, raw.size() - 1));
  bool members = raw.find_first_not_of(" \t\r\n", 1) != raw.size() - 1;  // not "{}"
  if (!event.id.empty()) {
    out += members ? ",\"eventId\":\"" : "\"eventId\":\"";
    out += event.id;
    out += '"';
    members = true;
  }
  if (event.sequence) {
    out += members ? ",\"sequence\":" : "\"sequence\":";
    char digits[24];
    auto end = std::to_chars(digits, digits + sizeof digits, event.sequence).ptr;
    out.append(digits, end);
  }
  out += '}';
}

}  // namespace

std::string json_array_body(std::span<const telemetry::Event> batch) {
  // Room for the annotations: ,"eventId":"<32 hex>" and ,"sequence":<20 digits>.
  constexpr std::size_t annotation_bytes = 47 + 33;
  std::size_t size = 2 + batch.size();
  for (const auto& event : batch) size += event.raw.size() + annotation_bytes;
  std::string body;
  body.reserve(size);
  body += '[';
  for (const auto& event : batch) {
    if (body.size() > 1) body += ',';
    append_annotated(body, event);
  }
  body += ']';
  return body;
}

}  // namespace ltf::sinks
