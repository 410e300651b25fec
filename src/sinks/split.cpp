#include "ltf/sinks.hpp"

namespace ltf::sinks {

namespace asio = boost::asio;

namespace {

constexpr unsigned payload_too_large = 413;

// Adds what happened to the events [offset, offset + count) of the whole batch to `into`.
// Returns false when that part failed as a whole and the walk should stop.
bool merge(const Delivery& part, std::size_t offset, std::size_t count, Delivery& into) {
  into.status = part.status;
  if (part.per_event()) {
    for (std::size_t i : part.retry) into.retry.push_back(offset + i);
    for (std::size_t i : part.refused) into.refused.push_back(offset + i);
    if (!part.retry.empty() && part.retry_after) into.retry_after = part.retry_after;
    return part.retry.empty();  // events held back: the backend wants a pause, give it one
  }
  switch (part.outcome) {
    case Outcome::delivered:
      return true;
    case Outcome::rejected:
      for (std::size_t i = 0; i < count; ++i) into.refused.push_back(offset + i);
      into.detail = part.detail;
      return true;
    case Outcome::retry_later:
      for (std::size_t i = 0; i < count; ++i) into.retry.push_back(offset + i);
      into.detail = part.detail;
      into.retry_after = part.retry_after;
      return false;
  }
  return false;
}

}  // namespace

asio::awaitable<Delivery> deliver_splitting_when_too_large(
    std::span<const telemetry::Event> batch, const SendBatch& send) {
  Delivery whole = co_await send(batch);
  if (whole.status != payload_too_large) co_return whole;
  if (batch.size() <= 1) {
    // Nothing smaller to try: this event will never fit this backend.
    whole.outcome = Outcome::rejected;
    co_return whole;
  }
  Delivery merged{Outcome::delivered, payload_too_large, {}, {}};
  const std::size_t half = batch.size() / 2;
  const std::size_t starts[] = {0, half};
  const std::size_t sizes[] = {half, batch.size() - half};
  bool going = true;
  for (int part = 0; part < 2; ++part) {
    if (!going) {
      for (std::size_t i = 0; i < sizes[part]; ++i) merged.retry.push_back(starts[part] + i);
      continue;
    }
    const auto events = batch.subspan(starts[part], sizes[part]);
    const Delivery answer = co_await deliver_splitting_when_too_large(events, send);
    going = merge(answer, starts[part], sizes[part], merged);
  }
  if (!merged.retry.empty()) merged.outcome = Outcome::retry_later;
  else if (merged.refused.size() == batch.size()) merged.outcome = Outcome::rejected;
  co_return merged;
}

}  // namespace ltf::sinks
