#pragma once
// Which invocations' platform.runtimeDone and platform.report have arrived, so the lifecycle can
// wait for them (bounded) instead of guessing. Fed by the listener, awaited by the lifecycle.

#include "ltf/telemetry.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <deque>
#include <string>

namespace ltf {

class InvocationTracker {
 public:
  using Clock = std::chrono::steady_clock;

  explicit InvocationTracker(boost::asio::any_io_executor executor) : wakeup_(executor) {}

  // An INVOKE arrived: its platform.report is now pending.
  void invoked(const std::string& request_id);
  // Notes the runtimeDone and report events among a batch the listener accepted.
  void observe(const std::vector<telemetry::Event>& events);

  // True once `request_id`'s runtimeDone has arrived; false if `deadline` came first.
  boost::asio::awaitable<bool> wait_runtime_done(const std::string& request_id,
                                                 Clock::time_point deadline);
  // True once every invoked request's platform.report has arrived; false at `deadline`.
  boost::asio::awaitable<bool> wait_reports(Clock::time_point deadline);

  std::size_t pending_reports() const { return pending_reports_.size(); }

 private:
  template <typename Ready>
  boost::asio::awaitable<bool> wait_until(Ready ready, Clock::time_point deadline);
  static void remember(std::deque<std::string>& ids, const std::string& id);

  // Bounded: only recent invocations matter, and a report that never comes must not leak.
  static constexpr std::size_t kRemembered = 64;
  std::deque<std::string> runtime_done_;
  std::deque<std::string> pending_reports_;
  boost::asio::steady_timer wakeup_;  // its cancellation wakes the one waiter: the lifecycle
};

}  // namespace ltf
