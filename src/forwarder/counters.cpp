#include "counters.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <cstdio>
#include <ctime>

namespace ltf {

namespace {

// Lambda's own format for event times: RFC 3339, UTC, milliseconds.
std::string rfc3339(std::chrono::system_clock::time_point when) {
  using namespace std::chrono;
  const auto ms = duration_cast<milliseconds>(when.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[48];
  const std::size_t length = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  const auto millis = static_cast<unsigned>(ms % 1000);
  std::snprintf(text + length, sizeof text - length, ".%03uZ", millis);
  return text;
}

}  // namespace

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
  event.time = rfc3339(now);
  boost::json::object envelope;
  envelope["time"] = event.time;
  envelope["type"] = event.type;
  envelope["record"] = std::move(record);
  event.raw = boost::json::serialize(envelope);
  event.rank = telemetry::Priority::essential;  // the account of what was lost is never shed
  return event;
}

}  // namespace ltf
