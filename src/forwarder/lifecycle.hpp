#pragma once
// Pieces the lifecycle and the SHUTDOWN drain share: Lambda's deadlines on the monotonic clock, a
// flush bounded by a time, the counters event and when it is due.

#include "ltf/config.hpp"
#include "ltf/lambda.hpp"
#include "ltf/pipeline.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <string_view>

namespace ltf::forwarder {

struct Stages;
using Clock = std::chrono::steady_clock;

// Lambda's deadlines are epoch milliseconds; timers run on the monotonic clock.
Clock::time_point monotonic_deadline(std::int64_t deadline_ms, Milliseconds margin);
boost::asio::awaitable<void> sleep_until(Clock::time_point when);
// Asks the dispatcher for a flush and waits for it until `limit`; the send goes on past it.
boost::asio::awaitable<pipeline::FlushResult> flush_until(Stages& stages, Clock::time_point limit);
// The counters join the stream like any event: numbered, given an id, buffered, spilled.
void add_counters(Stages& stages, std::string_view reason);

// When the periodic counters event is due: every `interval` (checked at INVOKEs); 0: never.
class CountersSchedule {
 public:
  CountersSchedule(Milliseconds interval, Clock::time_point start) : interval_(interval), last_(start) {}
  bool due(Clock::time_point now);

 private:
  Milliseconds interval_;
  Clock::time_point last_;
};

// SHUTDOWN: waits briefly for the last platform.report, adds the counters, sends everything it
// can before the deadline, keeps the rest on disk for a successor, logs one summary line.
boost::asio::awaitable<void> drain_at_shutdown(Stages& stages, const lambda::ShutdownEvent& shutdown);

}  // namespace ltf::forwarder
