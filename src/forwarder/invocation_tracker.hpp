#pragma once
// Which invocations' platform.runtimeDone and platform.report have arrived, so the lifecycle can
// wait for them (bounded) instead of guessing. Fed by the intake, awaited by the lifecycle; any
// number of waiters (one async::Notifier).

#include "ltf/notifier.hpp"
#include "ltf/telemetry.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ltf::forwarder {

class InvocationTracker {
 public:
  using Clock = std::chrono::steady_clock;

  explicit InvocationTracker(boost::asio::any_io_executor executor)
      : changed_(std::make_shared<async::Notifier>(std::move(executor))) {}

  // An INVOKE arrived: its platform.report is now pending.
  void invoked(const std::string& request_id);
  // Notes the runtimeDone and report events among a batch the listener accepted.
  void observe(const std::vector<telemetry::Event>& events);

  // The invocation `defaults::catch_up_lag` INVOKEs back, when its runtimeDone has not arrived.
  std::optional<std::string> behind() const;
  // How many events Lambda still holds for us, estimated: the INVOKEs whose runtimeDone has not
  // arrived, times the events of a recent invocation (those accepted per runtimeDone).
  std::uint64_t lagging_events() const;
  // True once `request_id`'s runtimeDone has arrived; false if `deadline` came first.
  boost::asio::awaitable<bool> wait_runtime_done(const std::string& request_id,
                                                 Clock::time_point deadline);
  // True once every invoked request's platform.report has arrived; false at `deadline`.
  boost::asio::awaitable<bool> wait_reports(Clock::time_point deadline);

 private:
  static void remember(std::deque<std::string>& ids, const std::string& id);

  // Bounded: only recent invocations matter, and a report that never comes must not leak.
  std::deque<std::string> runtime_done_;
  std::deque<std::string> pending_reports_;
  std::deque<std::string> recent_invokes_;  // the last catch_up_lag + 1 INVOKEs' request ids
  std::uint64_t invokes_ = 0;               // INVOKEs so far
  std::uint64_t runtime_dones_ = 0;         // runtimeDones accepted so far
  // For the events-per-invocation estimate; both halve once the runtimeDones reach twice
  // defaults::lag_estimate_invocations, so that the estimate follows the recent invocations.
  std::uint64_t recent_events_ = 0;
  std::uint64_t recent_runtime_dones_ = 0;
  std::shared_ptr<async::Notifier> changed_;
};

}  // namespace ltf::forwarder
