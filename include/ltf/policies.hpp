#pragma once
// The decisions of the pipeline, as plain objects without I/O: each is given the time and the
// state it needs and answers with one decision, which a coroutine carries out. Each is tested
// alone with a fake clock (test/unit/pipeline/*policy_test.cpp).
//
//   FlushPolicy   at an INVOKE, and once its runtimeDone arrived: what to send, and whether to wait
//   IntakePolicy  when the listener hands events over: keep them, put them on disk, or start a flush
//   RetryPolicy   after a failure: when to try the destination again (backoff, circuit, probe)
//   DrainPolicy   at SHUTDOWN: flush again, pause, or stop
//   RestoreWatch  whether this environment was just restored from a SnapStart snapshot

#include "ltf/config.hpp"
#include "ltf/defaults.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string_view>

namespace ltf::pipeline {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// ---------------------------------------------------------------------------------------------
// FlushPolicy
//
// Two ways to flush during invocations. End of invocation: after each invocation's runtimeDone,
// so its logs are at the sink before the next one starts, at the price of the wait for that event
// (about the subscription's timeoutMs) added to every invocation's billed duration. Periodic: at
// most every `interval`, started at an INVOKE and sent while the function runs, so the extension
// never waits; the logs lag by up to an interval (or an idle period). Rarely called functions get
// the first, busy ones the second: "auto" switches on the mean time between the last `window`
// invocations (periodic below `busy_below`, back above twice that, so it does not flap).

enum class InvokeAction {
  next_at_once,           // nothing to send now: ask Lambda for the next event
  flush_in_background,    // start a flush and ask for the next event at once (periodic)
  wait_for_runtime_done,  // wait (bounded by the invocation's deadline) for this request's
                          // runtimeDone, then ask after_runtime_done()
  flush_then_next,        // flush, waiting at most the flush budget, then ask for the next event
  catch_up,               // periodic, but the telemetry lags invocations behind, and Lambda
                          // holds many of their events (`lagging_events`): freezes at this pace
                          // would let its backlog grow until it drops lines. Wait (bounded by
                          // the flush budget) for the lagging runtimeDone, then ask
                          // after_catching_up()
};

class FlushPolicy {
 public:
  struct Options {
    std::uint64_t min_batch_size = defaults::dispatch_min_batch_size.fallback;  // the seeds'
    FlushStrategy strategy = FlushStrategy::automatic;
    milliseconds interval = defaults::flush_interval.fallback;      // periodic: between two flushes
    milliseconds busy_below = defaults::busy_below.fallback;        // auto: mean between invocations
    std::size_t window = defaults::busy_window;                     // auto: invocations averaged
    // Whether this invocation's runtimeDone will come (subscribed to platform events, and Lambda
    // delivers telemetry): without it there is nothing to wait for.
    bool runtime_done_expected = true;
    // Periodic: catch up once Lambda is estimated to hold this many events for us.
    std::uint64_t catch_up_events =
        defaults::catch_up_batches * std::uint64_t{defaults::telemetry_max_items.fallback};
  };

  explicit FlushPolicy(Options options) : options_(options) {}

  // An INVOKE arrived at `now` with `buffered` events waiting: what to do before the next /next.
  // `lagging_events`: how many events Lambda is estimated to still hold for us, once the
  // runtimeDone of the invocation defaults::catch_up_lag INVOKEs back is late (0: it is not).
  InvokeAction on_invoke(Clock::time_point now, std::size_t buffered,
                         std::uint64_t lagging_events = 0);
  // The wait of catch_up ended: flush_in_background or next_at_once.
  InvokeAction after_catching_up(Clock::time_point now, std::size_t buffered);
  // The invocation's runtimeDone arrived (or its wait ended): flush_then_next or next_at_once.
  InvokeAction after_runtime_done(std::size_t buffered) const;
  // Managed Instances have no INVOKE to flush at: a timer asks every interval instead, and gets
  // flush_in_background or next_at_once (nothing to do).
  InvokeAction on_tick(Clock::time_point now, std::size_t buffered);

  bool periodic() const { return periodic_; }

 private:
  void observe_rate(Clock::time_point now);
  InvokeAction periodic_flush(Clock::time_point now, std::size_t buffered);
  // The seeds' DISPATCH_MIN_BATCH_SIZE: send only when more events than this wait.
  bool enough(std::size_t buffered) const { return buffered > options_.min_batch_size; }

  Options options_;
  std::deque<Clock::time_point> starts_;  // the last `window` INVOKEs
  bool periodic_ = false;
  std::optional<Clock::time_point> last_flush_;
};

// ---------------------------------------------------------------------------------------------
// IntakePolicy: what happens to events as they arrive.

enum class IntakeAction {
  keep,                 // in memory, sent at the next flush
  spill_now,            // the destination is failing: put everything on disk now, so that a kill
                        // of this process loses none of what may wait a long time
  flush_in_background,  // a batch is full before the invocation ended: send it now
};

class IntakePolicy {
 public:
  struct State {
    bool destination_failing = false;  // the last attempt failed and none succeeded since
    bool can_spill = false;            // a spill store is open
    std::uint64_t buffered_bytes = 0;  // in memory, waiting
    bool flush_running = false;        // a request is on its way already
  };
  // A full batch is `max_batch_bytes`, but at most half the memory budget, or a large batch
  // (OpenSearch's 5 MiB) would only ever overflow to disk.
  IntakePolicy(std::uint64_t max_batch_bytes, std::uint64_t buffer_max_bytes);

  IntakeAction on_events(const State& state) const;

 private:
  std::uint64_t enough_;
};

// ---------------------------------------------------------------------------------------------
// RetryPolicy
//
// When to try the sink again after a failure: exponential backoff with equal jitter, never sooner
// than the sink asked (Retry-After, capped by `retry_after_max`), and a circuit that opens after
// `open_after` failures in a row so a dead sink costs the function nothing until `cooldown` has
// passed; then one request probes it. The clock is monotonic: time spent frozen counts.

class RetryPolicy {
 public:
  struct Options {
    milliseconds initial = defaults::retry_initial.fallback;
    milliseconds max = defaults::retry_max.fallback;
    unsigned open_after = defaults::circuit_failures.fallback;
    milliseconds cooldown = defaults::circuit_cooldown.fallback;
    milliseconds retry_after_max = defaults::retry_after_max.fallback;
    // No waiting and no circuit: every flush tries the sink.
    static Options immediate() { return {milliseconds(0), milliseconds(0), ~0u, milliseconds(0), milliseconds(0)}; }
  };

  explicit RetryPolicy(Options options, std::uint64_t seed = 0x5eed);
  // Whether a request may go now; once the wait is over, the next request is the probe.
  bool may_send(Clock::time_point now) const { return now >= next_attempt_; }
  void succeeded();
  void failed(Clock::time_point now, std::optional<milliseconds> retry_after);
  bool circuit_open() const { return failures_ >= options_.open_after; }
  bool failing() const { return failures_ > 0; }
  unsigned consecutive_failures() const { return failures_; }
  Clock::time_point next_attempt() const { return next_attempt_; }

 private:
  Options options_;
  std::uint64_t random_state_;
  unsigned failures_ = 0;
  Clock::time_point next_attempt_{};
};

// ---------------------------------------------------------------------------------------------
// DrainPolicy: the SHUTDOWN drain, until everything is sent or the deadline is near.

struct DrainStep {
  enum class Kind { flush, pause, stop } kind;
  Clock::time_point until{};  // pause: until then
};

class DrainPolicy {
 public:
  explicit DrainPolicy(Clock::time_point limit) : limit_(limit) {}

  // With `buffered` events waiting and a request `in_flight` or not.
  DrainStep next(Clock::time_point now, std::size_t buffered, bool in_flight) const;
  // A flush ended: drained, or not (a pause comes next).
  void flushed(bool drained);
  // A pause ended: the next one, if any, is twice as long (within its bound).
  void paused();
  Clock::time_point limit() const { return limit_; }

 private:
  Clock::time_point limit_;
  milliseconds pause_ = defaults::drain_retry_first;
  bool pause_due_ = false;
};

// ---------------------------------------------------------------------------------------------
// RestoreWatch: SnapStart restores one snapshot into many environments. A restore shows as its
// events (platform.restoreStart, restoreRuntimeDone, restoreReport) or as the wall clock jumping
// against the monotonic one (the snapshot's clocks resume where they were), whichever is seen
// first. An environment is restored once: the watch fires once.

class RestoreWatch {
 public:
  using WallClock = std::chrono::system_clock;
  RestoreWatch(WallClock::time_point wall, Clock::time_point monotonic)
      : offset_(wall.time_since_epoch() - std::chrono::duration_cast<WallClock::duration>(
                                               monotonic.time_since_epoch())) {}

  // An event of this type arrived: true when it shows the restore, the first time.
  bool on_event(std::string_view type);
  // The clocks now: true when the wall clock has jumped by more than the bound, the first time.
  bool on_clocks(WallClock::time_point wall, Clock::time_point monotonic);
  bool restored() const { return fired_; }

 private:
  WallClock::duration offset_;  // wall minus monotonic, as first seen
  bool fired_ = false;
};

}  // namespace ltf::pipeline
