// InvocationTracker: recent runtimeDone and pending report ids, bounded; waits on the Notifier.
#include "invocation_tracker.hpp"

#include "ltf/defaults.hpp"

#include <algorithm>

namespace ltf::forwarder {

void InvocationTracker::remember(std::deque<std::string>& ids, const std::string& id) {
  ids.push_back(id);
  if (ids.size() > defaults::remembered_invocations) ids.pop_front();
}

void InvocationTracker::invoked(const std::string& request_id) {
  remember(pending_reports_, request_id);
  ++invokes_;
  recent_invokes_.push_back(request_id);
  if (recent_invokes_.size() > defaults::catch_up_lag + 1) recent_invokes_.pop_front();
}

std::optional<std::string> InvocationTracker::behind() const {
  if (recent_invokes_.size() <= defaults::catch_up_lag) return std::nullopt;
  const std::string& lagging = recent_invokes_.front();
  if (std::find(runtime_done_.begin(), runtime_done_.end(), lagging) != runtime_done_.end())
    return std::nullopt;
  return lagging;
}

std::uint64_t InvocationTracker::lagging_events() const {
  const std::uint64_t behind = invokes_ > runtime_dones_ ? invokes_ - runtime_dones_ : 0;
  if (recent_runtime_dones_ == 0) return 0;
  return behind * recent_events_ / recent_runtime_dones_;
}

void InvocationTracker::observe(const std::vector<telemetry::Event>& events) {
  bool changed = false;
  recent_events_ += events.size();
  for (const auto& event : events) {
    if (event.request_id.empty()) continue;
    if (event.type == "platform.runtimeDone") {
      remember(runtime_done_, event.request_id);
      ++runtime_dones_;
      if (++recent_runtime_dones_ >= 2 * defaults::lag_estimate_invocations) {
        recent_runtime_dones_ /= 2;
        recent_events_ /= 2;
      }
      changed = true;
    } else if (event.type == "platform.report") {
      auto it = std::find(pending_reports_.begin(), pending_reports_.end(), event.request_id);
      if (it != pending_reports_.end()) pending_reports_.erase(it);
      changed = true;
    }
  }
  if (changed) changed_->notify();
}

boost::asio::awaitable<bool> InvocationTracker::wait_runtime_done(const std::string& request_id,
                                                                  Clock::time_point deadline) {
  return changed_->wait_until(
      [this, request_id] {
        return std::find(runtime_done_.begin(), runtime_done_.end(), request_id) !=
               runtime_done_.end();
      },
      deadline);
}

boost::asio::awaitable<bool> InvocationTracker::wait_reports(Clock::time_point deadline) {
  return changed_->wait_until([this] { return pending_reports_.empty(); }, deadline);
}

}  // namespace ltf::forwarder
