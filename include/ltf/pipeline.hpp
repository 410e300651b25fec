#pragma once
// Between the listener and the sink: the bounded buffer of undelivered events and the dispatcher
// coroutine that sends them. When to send is decided by the policies (ltf/policies.hpp); the sink
// is seen only through its interface (ltf/sink.hpp).

#include "ltf/notifier.hpp"
#include "ltf/policies.hpp"
#include "ltf/sink.hpp"
#include "ltf/spill_store.hpp"
#include "ltf/telemetry.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <chrono>
#include <deque>
#include <memory>
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
  // Events waiting, in memory and on disk.
  std::size_t size() const { return events_.size() + (spill_ ? spill_->events() : 0); }
  std::uint64_t bytes() const { return bytes_; }  // in memory, waiting
  std::uint64_t bytes_out() const { return out_bytes_; }  // in memory, in a batch being sent
  bool empty() const { return events_.empty() && (!spill_ || spill_->empty()); }
  const BufferStats& stats() const { return stats_; }

 private:
  // Removes and returns events from the front: as many as fit in `max_batch_bytes` of raw JSON,
  // and always at least one when the buffer is not empty.
  std::vector<Event> take(std::uint64_t max_batch_bytes);
  // Puts undelivered events back at the front, in their original order (still within budget).
  void restore(std::vector<Event>&& batch);
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
// Requests and results go through one async::Notifier: each flush() holds a ticket and gets the
// result of the pass that served it.
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
  // Asks for a flush without waiting for it (a background flush).
  void request_flush();
  void stop();
  // At SHUTDOWN there is no later: try the sink on every flush, whatever the backoff says.
  void ignore_backoff() { ignore_backoff_ = true; }
  bool busy() const { return in_flight_.has_value(); }
  // The batch whose request is waiting for its answer, if any (SHUTDOWN keeps a copy on disk).
  const Batch* in_flight() const { return in_flight_ ? &*in_flight_ : nullptr; }
  const RetryPolicy& retry_policy() const { return retry_; }
  const DispatchStats& stats() const { return stats_; }

 private:
  Buffer& buffer_;
  sinks::Sink& sink_;
  std::uint64_t max_batch_bytes_;
  DispatchStats stats_;
  RetryPolicy retry_;
  bool ignore_backoff_ = false;
  std::optional<Batch> in_flight_;  // owned here while its request waits for the answer
  bool stopped_ = false;
  std::uint64_t requested_ = 0;  // tickets issued
  std::uint64_t completed_ = 0;  // tickets served
  // Results of recent passes, by the last ticket each served: a waiter reads the result of the
  // first pass that covered its ticket. Bounded: only passes with waiters still asleep matter.
  std::deque<std::pair<std::uint64_t, FlushResult>> results_;
  std::shared_ptr<async::Notifier> changed_;
  // Logging, kept to state changes: one warning when the sink starts failing, one info when it
  // recovers, one warning per distinct rejection status.
  bool failing_ = false;
  std::set<unsigned> reported_rejections_;

  boost::asio::awaitable<FlushResult> drain();
  FlushResult result_for(std::uint64_t ticket) const;
  // Applies a per-event answer; true when every event of the batch is settled.
  bool settle_per_event(Batch&& batch, const sinks::Delivery& delivery);
  void note(const sinks::Delivery& delivery, std::size_t events);
};

}  // namespace ltf::pipeline
