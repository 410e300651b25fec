#include "ltf/sinks.hpp"

#include <charconv>

namespace ltf::sinks {

namespace {

// Appends `raw` (one JSON object) with the sandbox, the event's id and its sequence as its last
// members. Lambda's objects end in '}' (parse_batch keeps exactly the element's text), so the
// members go just before it; the sandbox and the id are hex digits and need no escaping.
void append_annotated(std::string& out, const telemetry::Event& event, std::string_view sandbox) {
  const std::string_view raw = event.raw;
  const bool annotate = !raw.empty() && raw.back() == '}' &&
                        (!sandbox.empty() || !event.id.empty() || event.sequence);
  if (!annotate) {
    out += raw;
    return;
  }
  out.append(raw.substr(0, raw.size() - 1));
  bool members = raw.find_first_not_of(" \t\r\n", 1) != raw.size() - 1;  // not "{}"
  auto member = [&](std::string_view name) {
    out += members ? ",\"" : "\"";
    out += name;
    out += "\":";
    members = true;
  };
  if (!sandbox.empty()) {
    member("sandbox");
    out += '"';
    out += sandbox;
    out += '"';
  }
  if (!event.id.empty()) {
    member("eventId");
    out += '"';
    out += event.id;
    out += '"';
  }
  if (event.sequence) {
    member("sequence");
    char digits[24];
    auto end = std::to_chars(digits, digits + sizeof digits, event.sequence).ptr;
    out.append(digits, end);
  }
  out += '}';
}

}  // namespace

std::string json_array_body(std::span<const telemetry::Event> batch, std::string_view sandbox) {
  // Room for the annotations: ,"eventId":"<32 hex>" and ,"sequence":<20 digits>.
  const std::size_t annotation_bytes = 47 + 33 + (sandbox.empty() ? 0 : 13 + sandbox.size());
  std::size_t size = 2 + batch.size();
  for (const auto& event : batch) size += event.raw.size() + annotation_bytes;
  std::string body;
  body.reserve(size);
  body += '[';
  for (const auto& event : batch) {
    if (body.size() > 1) body += ',';
    append_annotated(body, event, sandbox);
  }
  body += ']';
  return body;
}

}  // namespace ltf::sinks
