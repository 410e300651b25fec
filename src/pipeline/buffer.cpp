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

Batch Buffer::take_batch(std::uint64_t max_batch_bytes) {
  Batch batch;
  if (spill_ && !spill_->empty()) {
    SpillCursor cursor;
    batch.events = spill_->take(max_batch_bytes, cursor);
    if (!batch.events.empty()) batch.spilled = cursor;
  }
  if (batch.events.empty()) batch.events = take(max_batch_bytes);
  for (const Event& event : batch.events) batch.footprint += event.footprint();
  // Counted from now on, so that what arrives while it is out makes room for it. Reading it back
  // from disk makes no room by itself: shedding newer events to read older ones gains nothing.
  out_bytes_ += batch.footprint;
  return batch;
}

void Buffer::give_back(Batch&& batch) {
  returned(batch);
  if (batch.spilled) spill_->restore(*batch.spilled);
  else restore(std::move(batch.events));
}

void Buffer::consumed(const Batch& batch) {
  returned(batch);
  if (batch.spilled) spill_->acknowledge(*batch.spilled);
}

void Buffer::partly_consumed(Batch&& batch, const std::vector<std::size_t>& retry) {
  std::vector<Event> again;
  again.reserve(retry.size());
  for (std::size_t index : retry)
    if (index < batch.events.size()) again.push_back(std::move(batch.events[index]));
  consumed(batch);
  // Spilled or not, what is still owed goes back to the front of memory: it is older than
  // anything there, and the budget rule sends it to disk again when memory is short.
  restore(std::move(again));
}

std::size_t Buffer::spill_everything() {
  if (!spill_) return events_.size();
  evict_front(events_.size());
  return events_.size();
}

void Buffer::enforce_budget() {
  const auto held = [this] { return bytes_ + out_bytes_; };
  if (held() <= max_bytes_) return;
  if (spill_) {
    std::size_t over = 0;
    std::uint64_t excess = held() - max_bytes_;
    for (auto it = events_.begin(); excess > 0 && it != events_.end(); ++it, ++over)
      excess -= std::min(excess, static_cast<std::uint64_t>(it->footprint()));
    evict_front(over);
  }
  if (held() > max_bytes_) shed(held() - max_bytes_);
}

void Buffer::shed(std::uint64_t excess) {
  // Victims: every sheddable event, lowest priority first and, within one, oldest first.
  std::vector<std::pair<telemetry::Priority, std::size_t>> candidates;
  candidates.reserve(events_.size());
  for (std::size_t i = 0; i < events_.size(); ++i) {
    const telemetry::Priority rank = telemetry::priority(events_[i]);
    if (rank != telemetry::Priority::essential) candidates.emplace_back(rank, i);
  }
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<bool> victim(events_.size(), false);
  for (const auto& [rank, index] : candidates) {
    if (excess == 0) break;
    const std::uint64_t footprint = events_[index].footprint();
    excess -= std::min(excess, footprint);
    victim[index] = true;
    bytes_ -= footprint;
    ++stats_.dropped_events;
    stats_.dropped_bytes += footprint;
    if (rank == telemetry::Priority::platform) ++stats_.dropped_platform_events;
  }
  std::size_t index = 0;
  std::erase_if(events_, [&](const Event&) { return victim[index++]; });
}

void Buffer::evict_front(std::size_t count) {
  std::vector<Event> oldest(std::make_move_iterator(events_.begin()),
                            std::make_move_iterator(events_.begin() + static_cast<std::ptrdiff_t>(count)));
  const std::size_t written = spill_->append(oldest);
  // What the store took leaves memory; what it refused goes back to the front, in order.
  for (std::size_t i = 0; i < written; ++i) bytes_ -= oldest[i].footprint();
  events_.erase(events_.begin(), events_.begin() + static_cast<std::ptrdiff_t>(count));
  events_.insert(events_.begin(), std::make_move_iterator(oldest.begin() + static_cast<std::ptrdiff_t>(written)),
                 std::make_move_iterator(oldest.end()));
}

}  // namespace ltf::pipeline
