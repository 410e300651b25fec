#pragma once
// What Lambda's Telemetry API pushes to us: the event model, batch parsing, and the listener that
// accepts the POSTs. The listener parses each body once, hands the events on and answers at once;
// it never waits on a sink.

#include "ltf/net.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
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

struct ListenerOptions {
  std::uint16_t port = 0;                  // 0: any free port (tests)
  std::uint64_t max_body_bytes = 4 << 20;  // larger POSTs get 413 from the HTTP parser
  // Connections, timeouts and the budget of all bodies being read (its body_limit is ignored:
  // max_body_bytes above applies).
  net::ServerLimits server{};
};

struct ListenerStats {
  std::uint64_t posts = 0;             // POSTs accepted (2xx)
  std::uint64_t events = 0;            // events handed on
  std::uint64_t malformed_posts = 0;   // bodies that were not a JSON array, or not HTTP (400)
  std::uint64_t oversized_posts = 0;   // bodies over max_body_bytes (413)
  std::uint64_t busy_posts = 0;        // refused while the bodies budget was spent (503, retried)
  std::uint64_t rejected_events = 0;   // array elements that were not events
};

// Receives the events of one accepted POST, in order (sequence numbers are the receiver's).
using EventsHandler = std::function<void(std::vector<Event>&&)>;

// Who produced the events: part of every event id, so ids differ across functions and regions.
struct FunctionIdentity {
  std::string region;            // AWS_REGION
  std::string function_name;     // from the register response
  std::string function_version;
  // This sandbox (pipeline::sandbox_id): sent with each event so that a backend can tell apart the
  // sequence numbers of concurrent sandboxes. Not part of event ids.
  std::string sandbox{};
};

// The deterministic event id: the first 32 hex digits of SHA-256 over region, function name and
// version, type, time, the raw JSON and `ordinal`, newline-separated. A Telemetry API redelivery
// repeats the same bytes, so it gets the same id and a backend can drop it.
std::string event_id(const FunctionIdentity& function, const Event& event, std::size_t ordinal);
// Sets `id` on the events of one POST; `ordinal` counts byte-identical events within it, so two
// identical log lines in one millisecond stay distinct.
void assign_event_ids(const FunctionIdentity& function, std::vector<Event>& events);

class Listener {
 public:
  Listener(boost::asio::any_io_executor executor, ListenerOptions options, EventsHandler handler);
  // Binds 0.0.0.0:port (Lambda reaches it as sandbox.localdomain) and starts accepting.
  boost::system::error_code start();
  void stop();
  std::uint16_t port() const;
  const ListenerStats& stats() const { return stats_; }
  const net::ServerStats& server_stats() const { return server_.stats(); }

 private:
  boost::asio::awaitable<net::Response> handle(net::Request& request);
  void refused_malformed(std::string_view why);
  ListenerOptions options_;
  EventsHandler handler_;
  ListenerStats stats_;
  bool warned_malformed_ = false;  // each kind of refused POST is logged once, then only counted
  bool warned_oversized_ = false;
  bool warned_busy_ = false;
  net::HttpServer server_;
};

}  // namespace ltf::telemetry
