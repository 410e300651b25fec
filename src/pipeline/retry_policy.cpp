// RetryPolicy: exponential backoff with equal jitter, Retry-After (capped), the circuit.
#include "ltf/policies.hpp"

#include <algorithm>

namespace ltf::pipeline {

RetryPolicy::RetryPolicy(Options options, std::uint64_t seed)
    : options_(options), random_state_(seed | 1) {}

void RetryPolicy::succeeded() {
  failures_ = 0;
  next_attempt_ = {};
}

void RetryPolicy::failed(Clock::time_point now,
                         std::optional<std::chrono::milliseconds> retry_after) {
  ++failures_;
  using std::chrono::milliseconds;
  milliseconds wait;
  if (circuit_open()) {
    wait = options_.cooldown;
  } else {
    // initial * 2^(failures-1), capped; "equal jitter": half fixed, half random, so that many
    // sandboxes failing together do not retry together, and the wait still grows.
    const unsigned doublings = std::min(failures_ - 1, 20u);
    const auto ceiling =
        std::min<std::int64_t>(options_.max.count(), options_.initial.count() << doublings);
    // xorshift64: plenty for spreading retries, and deterministic under a seed for tests.
    random_state_ ^= random_state_ << 13;
    random_state_ ^= random_state_ >> 7;
    random_state_ ^= random_state_ << 17;
    const auto half = ceiling / 2;
    const auto spread = static_cast<std::int64_t>(random_state_ % static_cast<std::uint64_t>(half + 1));
    wait = milliseconds(ceiling - half + spread);
  }
  // A destination may ask for more (Retry-After), but no more than the cap: a sandbox may not
  // live long enough to wait longer, and SHUTDOWN ignores the wait anyway.
  if (retry_after) wait = std::max(wait, std::min(*retry_after, options_.retry_after_max));
  next_attempt_ = now + wait;
}

}  // namespace ltf::pipeline
