#pragma once
// Between the listener and the sink: the bounded buffer of undelivered events, the flush policy
// (when to send; no I/O, unit-tested alone) and the dispatcher coroutine (how to send).

#include "ltf/sinks.hpp"
#include "ltf/spill_store.hpp"
#include "ltf/telemetry.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <chrono>
#include <deque>
#include <optional>
#include <set>
#include <vector>

namespace ltf::pipeline {

using telemetry::Event;

struct BufferStats {
  // Shed to stay within the byte budget when the spill store had no room (or there is none):
  // lost, counted. Lowest priority first (telemetry::Priority); essential events are never shed.
  std::uint64_t dropped_events = 0;
  std::uint64_t dropped_bytes = 0;
  std::uint64_t dropped_platform_events = 0;  // of which platform events (not log lines)
};

// A batch on its way to the sink, and where it came from: memory, or the spill store's files.
struct Batch {
  std::vector<Event> events;
  std::optional<SpillCursor> spilled;
  std::uint64_t footprint = 0;  // of its events, counted against the budget while it is out
};

// FIFO of undelivered events whose total footprint in memory stays within `max_bytes`, the batch
// on its way to the sink included (it is still in memory until the sink has answered). When a
// push would exceed it, the oldest events go to the spill store when one is attached (they are
// older than anything in memory, so the store is read first). When there is none or it is full,
// events are shed by priority (log lines by level, lowest and oldest first; never
// platform.report, runtimeDone or logsDropped, which may hold memory past the budget) and counted.
class Buffer {
 public:
  explicit Buffer(std::uint64_t max_bytes);
  void attach_spill(SpillStore* spill) { spill_ = spill; }
  // The oldest events, from disk first: as many as fit in `max_batch_bytes` of raw JSON.
  Batch take_batch(std::uint64_t max_batch_bytes);
  // The batch was not delivered: it is the oldest again.
  void give_back(Batch&& batch);
  // The batch was delivered (or refused for good): it is gone, from disk too.
  void consumed(const Batch& batch);
  // Part of the batch was delivered: the events at the indices in `retry` (ascending) are the
  // oldest again, in memory; the rest is gone, from disk too.
  void partly_consumed(Batch&& batch, const std::vector<std::size_t>& retry);
  // Moves every event in memory to the spill store, for a later process in this sandbox to send.
  // Returns how many did not fit (they stay in memory).
  std::size_t spill_everything();
  void push(std::vector<Event>&& events);
  // Removes and returns events from the front: as many as fit in `max_batch_bytes` of raw JSON,
  // and always at least one when the buffer is not empty.
  std::vector<Event> take(std::uint64_t max_batch_bytes);
  // Puts an undelivered batch back at the front, in its original order (still within budget).
  void restore(std::vector<Event>&& batch);
  // Events waiting, in memory and on disk.
  std::size_t size() const { return events_.size() + (spill_ ? spill_->events() : 0); }
  std::uint64_t bytes() const { return bytes_; }  // in memory, waiting
  std::uint64_t bytes_out() const { return out_bytes_; }  // in memory, in a batch being sent
  bool empty() const { return events_.empty() && (!spill_ || spill_->empty()); }
  const BufferStats& stats() const { return stats_; }

 private:
  void enforce_budget();
  void evict_front(std::size_t count);
  void shed(std::uint64_t excess);
  SpillStore* spill_ = nullptr;
  std::uint64_t max_bytes_;
  std::uint64_t bytes_ = 0;
  std::uint64_t out_bytes_ = 0;
  std::deque<Event> events_;
  void returned(const Batch& batch) { out_bytes_ -= std::min(out_bytes_, batch.footprint); }
  BufferStats stats_;
};

// When to send. Plain policy object: no I/O; the caller passes the time.
//
// Two ways to flush during invocations. End of invocation: after each invocation's runtimeDone,
// so its logs are at the sink before the next one starts, at the price of the wait for that event
// (about the subscription's timeoutMs) added to every invocation's billed duration. Periodic: at
// most every `interval`, started at an INVOKE and sent while the function runs, so the extension
// never waits; the logs lag by up to an interval (or an idle period). Rarely called functions get
// the first, busy ones the second: "auto" switches on the mean time between the last `window`
// invocations (periodic below `busy_below`, back above twice that, so it does not flap).
enum class FlushStrategy { automatic, end_of_invocation, periodic };

class FlushPolicy {
 public:
  using Clock = std::chrono::steady_clock;
  struct Options {
    std::uint64_t min_batch_size = 0;  // the seeds' DISPATCH_MIN_BATCH_SIZE
    FlushStrategy strategy = FlushStrategy::automatic;
    std::chrono::milliseconds interval{1000};    // periodic: between two flushes
    std::chrono::milliseconds busy_below{2000};  // auto: mean time between invocations
    std::size_t window = 10;                     // auto: invocations the mean is taken over
  };

  explicit FlushPolicy(std::uint64_t min_batch_size) : FlushPolicy(Options{min_batch_size}) {}
  explicit FlushPolicy(Options options) : options_(options) {}

  // An INVOKE arrived at `now`: updates the observed rate, and the mode with it.
  void invoked(Clock::time_point now);
  bool periodic() const { return periodic_; }
  // Periodic mode, at an INVOKE: whether to start a flush now (and if so, the interval restarts).
  bool periodic_flush_due(Clock::time_point now, std::size_t buffered_events);
  // The seeds' DISPATCH_MIN_BATCH_SIZE: on INVOKE, send only when more events than this wait.
  bool flush_on_invoke(std::size_t buffered_events) const {
    return buffered_events > options_.min_batch_size;
  }
  // At SHUTDOWN everything goes, whatever the count.
  bool flush_on_shutdown(std::size_t buffered_events) const { return buffered_events > 0; }

 private:
  Options options_;
  std::deque<Clock::time_point> starts_;  // the last `window` INVOKEs
  bool periodic_ = false;
  std::optional<Clock::time_point> last_flush_;
};

// When to try the sink again after a failure: exponential backoff with jitter, never sooner than
// the sink asked (Retry-After), and a circuit that opens after `open_after` failures in a row so a
// dead sink costs the function nothing until `cooldown` has passed; then one request probes it.
// A plain policy object: no I/O, and the caller passes the time.
class RetryPolicy {
 public:
  using Clock = std::chrono::steady_clock;
  struct Options {
    std::chrono::milliseconds initial{100};
    std::chrono::milliseconds max{10'000};
    unsigned open_after = 5;
    std::chrono::milliseconds cooldown{30'000};
    // No waiting and no circuit: every flush tries the sink.
    static Options immediate() { return {std::chrono::milliseconds(0), std::chrono::milliseconds(0), ~0u, std::chrono::milliseconds(0)}; }
  };

  explicit RetryPolicy(Options options, std::uint64_t seed = 0x5eed);
  bool may_send(Clock::time_point now) const { return now >= next_attempt_; }
  void succeeded();
  void failed(Clock::time_point now, std::optional<std::chrono::milliseconds> retry_after);
  bool circuit_open() const { return failures_ >= options_.open_after; }
  unsigned consecutive_failures() const { return failures_; }
  Clock::time_point next_attempt() const { return next_attempt_; }

 private:
  Options options_;
  std::uint64_t random_state_;
  unsigned failures_ = 0;
  Clock::time_point next_attempt_{};
};

struct DispatchStats {
  std::uint64_t requests = 0;          // requests sent to the sink
  std::uint64_t failed_requests = 0;   // of which not delivered
  std::uint64_t delivered_events = 0;
  std::uint64_t rejected_events = 0;   // refused by the sink for good (4xx): lost, counted
  std::uint64_t retried_events = 0;    // events put back after a failed attempt (each time)
  std::uint64_t deferred_flushes = 0;  // flushes that did not try: backing off, circuit open
  std::chrono::microseconds sink_time_total{0};  // waiting for the sink's answers, all requests
  std::chrono::microseconds sink_time_max{0};    // the longest single request
};

enum class FlushResult {
  drained,  // everything that was buffered when flush() was called has been delivered (or
            // rejected by the sink for good, and counted in rejected_events)
  failed,   // a request failed; the undelivered events are back in the buffer
};

// The dispatcher coroutine: sends buffered events to the sink when asked. A flush request is
// served in batches of at most max_batch_bytes; a failed batch goes back to the buffer and ends
// that flush. A request to the sink is never cancelled by a waiter giving up: whoever waits for a
// flush may stop waiting (its own timeout) while the send goes on, bounded by the sink's timeout.
class Dispatcher {
 public:
  Dispatcher(boost::asio::any_io_executor executor, Buffer& buffer, sinks::Sink& sink,
             std::uint64_t max_batch_bytes,
             RetryPolicy::Options retry = RetryPolicy::Options::immediate());
  // The long-lived coroutine; returns after stop(): at once when idle, otherwise as soon as the
  // request in flight has its answer (it is not cancelled; the sink's timeout bounds it).
  boost::asio::awaitable<void> run();
  // Asks for a flush and waits for its result. Safe to abandon (e.g. `flush() || timer`): the
  // flush goes on without the waiter. Several waiters may wait at once. Returns `failed` at once
  // after stop(). Rejected batches are dropped and counted; they do not make a flush fail.
  boost::asio::awaitable<FlushResult> flush();
  void stop();
  // At SHUTDOWN there is no later: try the sink on every flush, whatever the backoff says.
  void ignore_backoff() { ignore_backoff_ = true; }
  bool busy() const { return sending_; }
  // The batch whose request is waiting for its answer, if any (for SHUTDOWN to keep a copy).
  const Batch* in_flight() const { return in_flight_; }
  const RetryPolicy& retry_policy() const { return retry_; }
  const DispatchStats& stats() const { return stats_; }

 private:
  Buffer& buffer_;
  sinks::Sink& sink_;
  std::uint64_t max_batch_bytes_;
  DispatchStats stats_;
  RetryPolicy retry_;
  bool ignore_backoff_ = false;
  bool sending_ = false;
  const Batch* in_flight_ = nullptr;
  bool stopped_ = false;
  std::uint64_t requested_ = 0;   // flush requests issued
  std::uint64_t completed_ = 0;   // flush requests served
  FlushResult last_result_ = FlushResult::drained;
  boost::asio::steady_timer wake_;  // cancelled to wake run()
  boost::asio::steady_timer done_;  // cancelled to wake flush() waiters
  // Logging, kept to state changes: one warning when the sink starts failing, one info when it
  // recovers, one warning per distinct rejection status.
  bool failing_ = false;
  std::set<unsigned> reported_rejections_;

  boost::asio::awaitable<FlushResult> drain();
  // Applies a per-event answer; true when every event of the batch is settled.
  bool settle_per_event(Batch&& batch, const sinks::Delivery& delivery);
  void note(const sinks::Delivery& delivery, std::size_t events);
};

}  // namespace ltf::pipeline
