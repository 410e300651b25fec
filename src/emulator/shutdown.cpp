// Shutdown (spec 2.4): what is buffered is delivered first, then SHUTDOWN goes to the extensions
// that asked for it, the others are killed, and whoever is left at deadlineMs is killed too.
#include "sandbox.hpp"

#include <algorithm>

namespace ltf::emulator {

asio::awaitable<bool> FakeLambda::Sandbox::flush_telemetry(Clock::time_point deadline) {
  auto drained = [&] {
    for (const auto& e : extensions) {
      if (!e->alive() || !e->subscriber) continue;
      const auto& s = *e->subscriber;
      if (!s.queue.empty() || s.sending || s.pending_dropped_records > 0) return false;
    }
    return true;
  };
  flushing = true;
  notify();
  const bool done = co_await changed->wait_until([&] { return stopping || drained(); }, deadline);
  flushing = false;
  co_return done && !stopping;
}

asio::awaitable<void> FakeLambda::Sandbox::shutdown_phase(const std::string& reason) {
  thaw();
  phase = Phase::shutdown;
  report.shutdown_reason = reason;
  const auto started = Clock::now();
  // The runtime is stopped first (at once, in the fake); the rest of the budget is the
  // extensions'.
  const auto share = std::min(scenario.runtime_shutdown_share, scenario.shutdown_budget);
  const auto extensions_budget = scenario.shutdown_budget - share;
  shutdown_deadline = started + extensions_budget;
  const auto deadline_ms = epoch_ms(WallClock::now()) + extensions_budget.count();
  // Lambda delivers what it buffered (the last invocation's lines, its platform.report) before
  // SHUTDOWN: an extension that exits at once must not lose them. Bounded, so that a listener
  // that stopped answering cannot eat the extensions' whole budget.
  const auto flush_limit = std::chrono::duration_cast<Clock::duration>(
      extensions_budget * std::clamp(scenario.shutdown_flush_share, 0.0, 1.0));
  if (!co_await flush_telemetry(started + flush_limit) && !stopping)
    report.problems.push_back("telemetry still buffered at SHUTDOWN: a listener did not take it "
                              "within " +
                              std::to_string(std::chrono::duration_cast<milliseconds>(flush_limit).count()) +
                              " ms");
  if (stopping) co_return;
  call(owner ? owner->on_shutdown : std::function<void()>{});
  const auto shutdown_json = shutdown_event(reason, deadline_ms);
  for (auto& e : extensions) {
    if (!e->alive()) continue;
    if (e->external && e->registered && e->wants_shutdown && !e->failed) {
      e->pending_event = shutdown_json;
      e->shutdown_sent = true;
    } else if (!e->failed) {
      kill(*e);  // not listening for SHUTDOWN: killed at once
    }  // a failed extension was told to exit; it gets until the deadline
  }
  notify();
  auto none_alive = [&] {
    for (const auto& e : extensions)
      if (e->alive()) return false;
    return true;
  };
  const bool all_exited =
      co_await changed->wait_until([&] { return stopping || none_alive(); }, *shutdown_deadline);
  if (!all_exited && !stopping) {
    call(owner ? owner->on_shutdown_deadline : std::function<void()>{});
    for (auto& e : extensions)
      if (e->alive()) kill(*e);
  }
  report.shutdown_duration = std::chrono::duration_cast<Micros>(Clock::now() - started);
}

}  // namespace ltf::emulator
