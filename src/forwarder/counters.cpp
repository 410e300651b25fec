#include "counters.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace ltf {

telemetry::Event counters_event(const Counters& c, std::string_view reason,
                                std::chrono::system_clock::time_point now) {
  boost::json::object record;
  record["reason"] = reason;
  record["received"] = c.received;
  record["delivered"] = c.delivered;
  record["retried"] = c.retried;
  record["spilled"] = c.spilled;
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

}  // namespace ltf
