#include "ltf/pipeline.hpp"

#include <iterator>

namespace ltf::pipeline {

Buffer::Buffer(std::uint64_t max_bytes) : max_bytes_(max_bytes) {}

void Buffer::push(std::vector<Event>&& events) {
  for (Event& event : events) {
    bytes_ += event.footprint();
    events_.push_back(std::move(event));
  }
  events.clear();
  enforce_budget();
}

std::vector<Event> Buffer::take(std::uint64_t max_batch_bytes) {
  // Counted as the sink will send them: '[' then each event followed by ',' or ']'.
  std::vector<Event> batch;
  std::uint64_t batch_bytes = 1;
  while (!events_.empty()) {
    Event& next = events_.front();
    const std::uint64_t grown = batch_bytes + next.raw.size() + 1;
    if (!batch.empty() && grown > max_batch_bytes) break;
    batch_bytes = grown;
    bytes_ -= next.footprint();
    batch.push_back(std::move(next));
    events_.pop_front();
  }
  return batch;
}

void Buffer::restore(std::vector<Event>&& batch) {
  for (const Event& event : batch) bytes_ += event.footprint();
  events_.insert(events_.begin(), std::make_move_iterator(batch.begin()),
                 std::make_move_iterator(batch.end()));
  batch.clear();
  // While the batch was out, newer events may have used its share of the budget. The restored
  // events are the oldest, so they are the first to go: the same rule as for any push.
  enforce_budget();
}

void Buffer::enforce_budget() {
  while (bytes_ > max_bytes_ && !events_.empty()) {
    const std::uint64_t footprint = events_.front().footprint();
    bytes_ -= footprint;
    ++stats_.dropped_events;
    stats_.dropped_bytes += footprint;
    events_.pop_front();
  }
}

}  // namespace ltf::pipeline
