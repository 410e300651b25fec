#include "ltf/pipeline.hpp"

namespace ltf::pipeline {

void FlushPolicy::invoked(Clock::time_point now) {
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

bool FlushPolicy::periodic_flush_due(Clock::time_point now, std::size_t buffered_events) {
  if (!flush_on_invoke(buffered_events)) return false;
  if (last_flush_ && now - *last_flush_ < options_.interval) return false;
  last_flush_ = now;
  return true;
}

}  // namespace ltf::pipeline
