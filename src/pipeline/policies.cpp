// The pipeline's policies: FlushPolicy (the rate watch of the auto strategy, one decision per
// INVOKE or tick), IntakePolicy, DrainPolicy and RestoreWatch.
#include "ltf/policies.hpp"

namespace ltf::pipeline {

void FlushPolicy::observe_rate(Clock::time_point now) {
  switch (options_.strategy) {
    case FlushStrategy::end_of_invocation: periodic_ = false; return;
    case FlushStrategy::periodic: periodic_ = true; return;
    case FlushStrategy::automatic: break;
  }
  starts_.push_back(now);
  if (starts_.size() > options_.window) starts_.pop_front();
  if (starts_.size() < options_.window || starts_.size() < 2) return;  // too few to judge
  const auto mean = (starts_.back() - starts_.front()) / static_cast<long>(starts_.size() - 1);
  if (!periodic_ && mean < options_.busy_below) periodic_ = true;
  else if (periodic_ && mean > 2 * options_.busy_below) periodic_ = false;
}

InvokeAction FlushPolicy::on_invoke(Clock::time_point now, std::size_t buffered,
                                    std::uint64_t lagging_events) {
  observe_rate(now);
  if (periodic_) {
    // Busy function: no waiting. What is due goes out while the function runs, and /next is
    // called at once, so this invocation's duration owes the extension nothing. Unless the
    // telemetry lags invocations behind: short invocations with many lines, each followed by a
    // freeze, leave Lambda's backlog growing until it drops lines (platform.logsDropped).
    // Waiting for the lagging runtimeDone while this invocation runs costs the function nothing
    // unless it ends first, and bounds the backlog to a few invocations' logs. A lag of few
    // events is no threat, and waiting for it would cost the function what periodic flushing
    // saves it.
    if (options_.runtime_done_expected && lagging_events > 0 &&
        lagging_events >= options_.catch_up_events)
      return InvokeAction::catch_up;
    return periodic_flush(now, buffered);
  }
  // The invocation's logs are all in once its runtimeDone is: waiting for it ships them now
  // instead of one invocation (or one idle hour) late.
  if (options_.runtime_done_expected) return InvokeAction::wait_for_runtime_done;
  return after_runtime_done(buffered);
}

InvokeAction FlushPolicy::after_catching_up(Clock::time_point now, std::size_t buffered) {
  return periodic_flush(now, buffered);
}

InvokeAction FlushPolicy::on_tick(Clock::time_point now, std::size_t buffered) {
  return periodic_flush(now, buffered);
}

InvokeAction FlushPolicy::periodic_flush(Clock::time_point now, std::size_t buffered) {
  if (!enough(buffered)) return InvokeAction::next_at_once;
  if (last_flush_ && now - *last_flush_ < options_.interval) return InvokeAction::next_at_once;
  last_flush_ = now;
  return InvokeAction::flush_in_background;
}

InvokeAction FlushPolicy::after_runtime_done(std::size_t buffered) const {
  return enough(buffered) ? InvokeAction::flush_then_next : InvokeAction::next_at_once;
}

IntakePolicy::IntakePolicy(std::uint64_t max_batch_bytes, std::uint64_t buffer_max_bytes)
    : enough_(std::min(max_batch_bytes, buffer_max_bytes / 2)) {}

IntakeAction IntakePolicy::on_events(const State& state) const {
  if (state.destination_failing && state.can_spill) return IntakeAction::spill_now;
  if (state.buffered_bytes >= enough_ && !state.flush_running)
    return IntakeAction::flush_in_background;
  return IntakeAction::keep;
}

DrainStep DrainPolicy::next(Clock::time_point now, std::size_t buffered, bool in_flight) const {
  // A batch in flight is not in the buffer: keep going until it has been answered too, since a
  // failed send puts it back.
  if ((buffered == 0 && !in_flight) || now >= limit_) return {DrainStep::Kind::stop};
  if (pause_due_) return {DrainStep::Kind::pause, std::min(limit_, now + pause_)};
  return {DrainStep::Kind::flush};
}

void DrainPolicy::flushed(bool drained) {
  pause_due_ = !drained;
  if (drained) pause_ = defaults::drain_retry_first;
}

void DrainPolicy::paused() {
  pause_due_ = false;
  pause_ = std::min(pause_ * 2, defaults::drain_retry_last);
}

bool RestoreWatch::on_event(std::string_view type) {
  if (fired_ || !type.starts_with("platform.restore")) return false;
  return fired_ = true;
}

bool RestoreWatch::on_clocks(WallClock::time_point wall, Clock::time_point monotonic) {
  if (fired_) return false;
  const auto offset = wall.time_since_epoch() -
                      std::chrono::duration_cast<WallClock::duration>(monotonic.time_since_epoch());
  const auto jump = offset > offset_ ? offset - offset_ : offset_ - offset;
  if (jump <= defaults::restore_clock_jump) return false;
  return fired_ = true;
}

}  // namespace ltf::pipeline
