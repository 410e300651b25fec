// libFuzzer harness: one Telemetry API POST body through telemetry::parse_batch, checked against
// Boost.JSON's DOM: parse_batch reads fields without building a tree, and must read the same ones.
#include "ltf/telemetry.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace {

namespace json = boost::json;

const json::string* string_member(const json::object& object, std::string_view key) {
  const json::value* v = object.if_contains(key);
  return v ? v->if_string() : nullptr;
}

// The events the DOM sees in an accepted body, with the fields parse_batch must have read.
void check_against_the_dom(std::string_view body, const std::vector<ltf::telemetry::Event>& events) {
  json::parse_options options;
  options.max_depth = 1024;  // parse_batch's: the batch's array and 1023 levels of an event
  boost::system::error_code ec;
  const json::value document = json::parse(body, ec, {}, options);
  if (ec) return;  // too deep as a whole: parse_batch went element by element
  std::size_t next = 0;
  for (const json::value& element : document.as_array()) {
    const json::object* object = element.if_object();
    const json::string* type = object ? string_member(*object, "type") : nullptr;
    const json::string* time = object ? string_member(*object, "time") : nullptr;
    if (!type || !time) continue;
    if (next >= events.size()) __builtin_trap();
    const auto& event = events[next++];
    if (event.type != std::string_view(*type) || event.time != std::string_view(*time))
      __builtin_trap();
    const json::value* record = object->if_contains("record");
    const json::string* id =
        record && record->is_object() ? string_member(record->get_object(), "requestId") : nullptr;
    if (event.request_id != (id ? std::string_view(*id) : std::string_view())) __builtin_trap();
  }
  if (next != events.size()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  std::vector<ltf::telemetry::Event> events;
  const auto outcome = ltf::telemetry::parse_batch(body, events);
  // What the parser promises: nothing taken from a body it refused, and every event counted.
  if (!outcome.error.empty() && !events.empty()) __builtin_trap();
  if (outcome.accepted != events.size()) __builtin_trap();
  if (outcome.error.empty()) check_against_the_dom(body, events);
  for (auto& event : events) {
    (void)event.category();
    (void)ltf::telemetry::priority(event);
  }
  return 0;
}
