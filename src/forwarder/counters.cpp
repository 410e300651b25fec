// The counters event: collected from every stage, written as one JSON event.
#include "counters.hpp"

#include "stages.hpp"

#include "ltf/version.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace ltf::forwarder {

Counters collect_counters(const Stages& stages) {
  const auto& d = stages.dispatcher.stats();
  const auto& l = stages.listener.stats();
  Counters c;
  c.received = stages.intake.received();
  c.delivered = d.delivered_events;
  c.retried = d.retried_events;
  if (stages.spill) {
    const auto& s = stages.spill->stats();
    c.spilled = s.spilled_events;
    c.spill_corrupt_records = s.corrupt_records;
    c.spill_unreadable_segments = s.unreadable_segments;
    c.spill_write_failures = s.write_failures;
  }
  c.shed = stages.buffer.stats().dropped_events;
  c.rejected = d.rejected_events;
  c.buffered = stages.buffer.size();
  c.requests = d.requests;
  c.failed_requests = d.failed_requests;
  c.malformed_posts = l.malformed_posts + l.oversized_posts;
  c.schema = stages.schema;
  if (d.requests > 0)
    c.sink_latency_mean_ms = static_cast<double>(d.sink_time_total.count()) / 1000.0 /
                             static_cast<double>(d.requests);
  c.sink_latency_max_ms = static_cast<double>(d.sink_time_max.count()) / 1000.0;
  return c;
}


telemetry::Event counters_event(const Counters& c, std::string_view reason,
                                std::chrono::system_clock::time_point now) {
  boost::json::object record;
  record["reason"] = reason;
  record["version"] = ltf::version();
  record["schema"] = c.schema;
  record["received"] = c.received;
  record["delivered"] = c.delivered;
  record["retried"] = c.retried;
  record["spilled"] = c.spilled;
  record["spillCorruptRecords"] = c.spill_corrupt_records;
  record["spillUnreadableSegments"] = c.spill_unreadable_segments;
  record["spillWriteFailures"] = c.spill_write_failures;
  record["shed"] = c.shed;
  record["rejected"] = c.rejected;
  record["lost"] = c.shed + c.rejected;
  record["buffered"] = c.buffered;
  record["requests"] = c.requests;
  record["failedRequests"] = c.failed_requests;
  record["malformedPosts"] = c.malformed_posts;
  record["sinkLatencyMeanMs"] = c.sink_latency_mean_ms;
  record["sinkLatencyMaxMs"] = c.sink_latency_max_ms;

  telemetry::Event event;
  event.type = telemetry::counters_event_type;
  event.time = telemetry::format_event_time(now);
  boost::json::object envelope;
  envelope["time"] = event.time;
  envelope["type"] = event.type;
  envelope["record"] = std::move(record);
  event.raw = boost::json::serialize(envelope);
  event.rank = telemetry::Priority::essential;  // the account of what was lost is never shed
  return event;
}

}  // namespace ltf::forwarder
