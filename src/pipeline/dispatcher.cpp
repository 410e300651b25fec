// The dispatcher: one pass at a time over the buffer, one batch at a time to the sink.
#include "ltf/pipeline.hpp"

#include "ltf/log.hpp"

#include <algorithm>
#include <exception>

namespace ltf::pipeline {

namespace asio = boost::asio;
using sinks::Outcome;

namespace {

// Pass results kept for waiters not yet resumed; they resume right after their pass.
constexpr std::size_t kResultsKept = 16;

std::string reason(const sinks::Delivery& delivery) {
  if (delivery.status == 0) return delivery.detail;
  std::string text = "HTTP " + std::to_string(delivery.status);
  if (!delivery.detail.empty()) text += ": " + delivery.detail;
  return text;
}

}  // namespace

Dispatcher::Dispatcher(asio::any_io_executor executor, Buffer& buffer, sinks::Sink& sink,
                       std::uint64_t max_batch_bytes, RetryPolicy::Options retry)
    : buffer_(buffer),
      sink_(sink),
      max_batch_bytes_(max_batch_bytes),
      retry_(retry),
      changed_(std::make_shared<async::Notifier>(std::move(executor))) {}

asio::awaitable<void> Dispatcher::run() {
  while (!stopped_) {
    if (completed_ == requested_) {
      co_await changed_->wait_until([this] { return stopped_ || completed_ < requested_; });
      continue;
    }
    // One pass serves every flush requested before it began. Flushes requested while it runs
    // wait for the next pass, which finds everything they expect in the buffer (including any
    // batch this pass puts back), so "drained" always covers what was buffered at flush().
    const std::uint64_t serving = requested_;
    const FlushResult result = co_await drain();
    results_.emplace_back(serving, result);
    if (results_.size() > kResultsKept) results_.pop_front();
    completed_ = serving;
    changed_->notify();
  }
  changed_->notify();  // waiters left behind by stop() learn it now
}

// A waiter whose pass result was dropped gets the next pass's, which covered its ticket too.
FlushResult Dispatcher::result_for(std::uint64_t ticket) const {
  for (const auto& [served, result] : results_)
    if (served >= ticket) return result;
  return FlushResult::failed;
}

asio::awaitable<FlushResult> Dispatcher::drain() {
  // What is buffered now is what this pass owes its waiters. Events arriving while it sends are
  // left for the next flush, so a steady stream cannot keep one flush going forever.
  std::size_t owed = buffer_.size();
  while (owed > 0 && !buffer_.empty()) {
    if (stopped_) co_return FlushResult::failed;
    // A sink that just failed, or whose circuit is open, is not asked again yet: the function
    // must not pay for a dead destination on every invocation.
    if (!ignore_backoff_ && !retry_.may_send(Clock::now())) {
      ++stats_.deferred_flushes;
      co_return FlushResult::failed;
    }
    // Not bound to any waiter: nobody giving up on a flush can cancel this request.
    in_flight_ = buffer_.take_batch(max_batch_bytes_);
    owed -= std::min(owed, in_flight_->events.size());
    ++stats_.requests;
    sinks::Delivery delivery;
    const auto sent = Clock::now();
    try {
      delivery = co_await sink_.deliver(in_flight_->events);
    } catch (const std::exception& e) {  // a sink bug must not end the dispatcher
      delivery = {Outcome::retry_later, 0, e.what(), {}};
    }
    const auto took = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - sent);
    stats_.sink_time_total += took;
    stats_.sink_time_max = std::max(stats_.sink_time_max, took);
    Batch batch = std::move(*in_flight_);
    in_flight_.reset();
    note(delivery, batch.events.size());

    if (delivery.per_event()) {
      if (settle_per_event(std::move(batch), delivery)) continue;
      co_return FlushResult::failed;
    }
    switch (delivery.outcome) {
      case Outcome::delivered:
        retry_.succeeded();
        stats_.delivered_events += batch.events.size();
        buffer_.consumed(batch);
        break;
      case Outcome::rejected:  // the sink is up; it just refuses this batch
        retry_.succeeded();
        ++stats_.failed_requests;
        stats_.rejected_events += batch.events.size();
        buffer_.consumed(batch);
        break;
      case Outcome::retry_later:
        retry_.failed(Clock::now(), delivery.retry_after);
        ++stats_.failed_requests;
        stats_.retried_events += batch.events.size();
        buffer_.give_back(std::move(batch));
        co_return FlushResult::failed;
    }
  }
  co_return FlushResult::drained;
}

bool Dispatcher::settle_per_event(Batch&& batch, const sinks::Delivery& delivery) {
  std::vector<std::size_t> retry = delivery.retry;
  std::sort(retry.begin(), retry.end());
  retry.erase(std::unique(retry.begin(), retry.end()), retry.end());
  std::erase_if(retry, [&](std::size_t i) { return i >= batch.events.size(); });
  std::size_t refused = 0;
  for (std::size_t i : delivery.refused)
    if (i < batch.events.size() && !std::binary_search(retry.begin(), retry.end(), i)) ++refused;
  const std::size_t settled = batch.events.size() - retry.size();
  stats_.delivered_events += settled - std::min(settled, refused);
  stats_.rejected_events += refused;
  stats_.retried_events += retry.size();
  if (retry.empty()) {
    retry_.succeeded();
    buffer_.consumed(batch);
    return true;
  }
  // The backend asked for some of it later (throttled items, a half that failed). If it took
  // the rest, it is up: that is no failure for the circuit, which would otherwise open on a
  // backend that throttles a few items of every request. If it took nothing, back off.
  ++stats_.failed_requests;
  if (retry.size() < batch.events.size()) retry_.succeeded();
  else retry_.failed(Clock::now(), delivery.retry_after);
  buffer_.partly_consumed(std::move(batch), retry);
  return false;
}

void Dispatcher::request_flush() {
  if (stopped_) return;
  ++requested_;
  changed_->notify();
}

asio::awaitable<FlushResult> Dispatcher::flush() {
  if (stopped_) co_return FlushResult::failed;
  if (buffer_.empty() && !busy() && completed_ == requested_) co_return FlushResult::drained;
  const std::uint64_t ticket = ++requested_;
  changed_->notify();
  // Ends early when this waiter is cancelled (its own timeout won an `||`): only the wait ends,
  // the flush goes on.
  if (!co_await changed_->wait_until([&] { return stopped_ || completed_ >= ticket; }))
    co_return FlushResult::failed;
  if (completed_ < ticket) co_return FlushResult::failed;  // stopped
  const FlushResult result = result_for(ticket);
  // Results older than every ticket still waiting are no longer needed.
  while (results_.size() > 1 && results_.front().first < ticket) results_.pop_front();
  co_return result;
}

void Dispatcher::stop() {
  stopped_ = true;
  changed_->notify();
}

void Dispatcher::note(const sinks::Delivery& delivery, std::size_t events) {
  if (delivery.per_event()) {
    if (!delivery.refused.empty() && reported_rejections_.insert(delivery.status).second)
      LTF_LOG(warning) << "sink " << sink_.describe() << " refused " << delivery.refused.size()
                       << " of a batch of " << events << " events (" << reason(delivery)
                       << "); events it refuses are dropped and counted";
    sinks::Delivery state{delivery.retry.empty() ? Outcome::delivered : Outcome::retry_later,
                          delivery.status, delivery.detail, {}};
    note(state, events);
    return;
  }
  switch (delivery.outcome) {
    case Outcome::delivered:
      if (failing_) {
        failing_ = false;
        LTF_LOG(info) << "sink " << sink_.describe() << " is accepting events again";
      }
      break;
    case Outcome::retry_later:
      if (!failing_) {
        failing_ = true;
        LTF_LOG(warning) << "sink " << sink_.describe() << " is failing (" << reason(delivery)
                         << "); undelivered events stay buffered and are sent again later";
      }
      break;
    case Outcome::rejected:
      if (reported_rejections_.insert(delivery.status).second) {
        LTF_LOG(warning) << "sink " << sink_.describe() << " rejected a batch of " << events
                         << " events (" << reason(delivery)
                         << "); batches it rejects are dropped and counted";
      }
      break;
  }
}

}  // namespace ltf::pipeline
