#pragma once
// What Lambda's Telemetry API pushes to us: the event model, batch parsing and event ids. No HTTP
// here (the listener that accepts the POSTs is ltf/listener.hpp), so whatever needs only the
// event model compiles no Beast.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ltf::telemetry {

enum class Category { platform, function, extension, unknown };

// The one event type this extension adds to the stream: its own counters (never shed).
inline constexpr std::string_view counters_event_type = "telemetry-forwarder.counters";

// Which events go first when neither memory nor disk has room left (lowest first): log lines by
// their level (a JSON record's "level"; a text line counts as info), then other platform events.
// `essential` ones are never shed: platform.report, platform.runtimeDone, platform.logsDropped
// and our counters carry what a backend needs to account for every invocation and every loss.
enum class Priority : std::uint8_t {
  unranked,  // not looked at yet (see priority())
  trace, debug, info, warn, error, fatal,
  platform,
  essential,
};

struct Event {
  std::string raw;         // the event's JSON text exactly as Lambda sent it
  std::string type;        // envelope "type": "platform.start", "function", ...
  std::string time;        // envelope "time"
  std::string request_id;  // record.requestId, for platform events that carry one
  std::string id;          // stable event id (see event_id()), set when the event is accepted
  std::uint64_t sequence = 0;  // order of arrival in this sandbox (pipeline::SandboxSequence)
  Priority rank = Priority::unranked;  // set by parse_batch; priority() fills it in otherwise

  Category category() const;
  // What this event costs in memory, for the buffer's byte budget.
  std::size_t footprint() const;
};

// Lambda's format for event times: RFC 3339, UTC, milliseconds ("2022-10-12T00:03:50.000Z").
std::string format_event_time(std::chrono::system_clock::time_point when);
// An RFC 3339 time ("2022-10-12T00:03:50.000Z", "2022-10-12T02:03:50.5+02:00") as UTC, to the
// nanosecond (digits past the ninth are ignored); nullopt when it is not one.
std::optional<std::chrono::sys_time<std::chrono::nanoseconds>> parse_event_time(std::string_view text);

// The event's shedding priority; ranks it first (from `raw`) when it came from elsewhere than
// parse_batch, e.g. back from the spill files.
Priority priority(Event& event);
// A log record's level word ("WARN", "warning", "Error", ...) as a priority; info when unknown.
Priority priority_of_level(std::string_view level);

struct ParseOutcome {
  std::string error;           // non-empty: the body as a whole is not a JSON array; nothing taken
  std::size_t accepted = 0;    // events appended to `out`
  std::size_t rejected = 0;    // elements that were not objects with string "type" and "time"
};

// Parses one POST body (a JSON array of event objects) in a single pass and appends each
// well-formed event to `out` (sequence left 0). Elements that are not event objects are counted
// in `rejected` and skipped; the others are kept.
ParseOutcome parse_batch(std::string_view body, std::vector<Event>& out);

// Who produced the events: part of every event id, so ids differ across functions and regions.
struct FunctionIdentity {
  std::string region;            // AWS_REGION
  std::string function_name;     // from the register response
  std::string function_version;
  // This sandbox (pipeline::sandbox_id): sent with each event so that a backend can tell apart the
  // sequence numbers of concurrent sandboxes. Not part of event ids.
  std::string sandbox{};
  // After a SnapStart restore: every environment restored from one snapshot starts with the same
  // memory, so the sandbox id chosen afresh then joins the event id, and clones never share one.
  bool restored = false;
  // The AWS account (from the registration answer, when Lambda gives it). Not part of event ids.
  std::string account_id{};
};

// The deterministic event id: the first 32 hex digits of SHA-256 over region, function name and
// version, type, time, the raw JSON and `ordinal`, newline-separated. A Telemetry API redelivery
// repeats the same bytes, so it gets the same id and a backend can drop it.
std::string event_id(const FunctionIdentity& function, const Event& event, std::size_t ordinal);
// Sets `id` on the events of one POST; `ordinal` counts byte-identical events within it, so two
// identical log lines in one millisecond stay distinct.
void assign_event_ids(const FunctionIdentity& function, std::vector<Event>& events);

}  // namespace ltf::telemetry
