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
};

// FIFO of undelivered events whose total footprint in memory stays within `max_bytes`. When a
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
  std::uint64_t bytes() const { return bytes_; }  // in memory
  bool empty() const { return events_.empty() && (!spill_ || spill_->empty()); }
  const BufferStats& stats() const { return stats_; }

 private:
  void enforce_budget();
  void evict_front(std::size_t count);
  void shed(std::uint64_t excess);
  SpillStore* spill_ = nullptr;
  std::uint64_t max_bytes_;
  std::uint64_t bytes_ = 0;
  std::deque<Event> events_;
  BufferStats stats_;
};

// When to send. Plain policy object: no I/O, no clock.
class FlushPolicy {
 public:
  explicit FlushPolicy(std::uint64_t min_batch_size) : min_batch_size_(min_batch_size) {}
  // The seeds' DISPATCH_MIN_BATCH_SIZE: on INVOKE, send only when more events than this wait.
  bool flush_on_invoke(std::size_t buffered_events) const {
    return buffered_events > min_batch_size_;
  }
  // At SHUTDOWN everything goes, whatever the count.
  bool flush_on_shutdown(std::size_t buffered_events) const { return buffered_events > 0; }

 private:
  std::uint64_t min_batch_size_;
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
