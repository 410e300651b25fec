#pragma once
// What the pipeline sees of a destination: a Sink turns a batch of events into one request to its
// backend and says how it went (Delivery); it never keeps events itself (the pipeline does). Kept
// apart from the sinks themselves so the pipeline compiles no HTTP, TLS or AWS code.

#include "ltf/telemetry.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace ltf::sinks {

enum class Outcome {
  delivered,    // the backend has the batch
  retry_later,  // not delivered, worth sending again (refused, reset, timeout, 408, 429, 5xx)
  rejected,     // the backend refuses this batch for good (other 4xx): sending again won't help
};

struct Delivery {
  Delivery() = default;
  Delivery(Outcome outcome_, unsigned status_ = 0, std::string detail_ = {},
           std::optional<std::chrono::milliseconds> retry_after_ = {})
      : outcome(outcome_), status(status_), detail(std::move(detail_)), retry_after(retry_after_) {}

  Outcome outcome = Outcome::retry_later;
  unsigned status = 0;  // HTTP status, 0 when no response
  std::string detail;   // transport error or a bounded excerpt of the response body
  std::optional<std::chrono::milliseconds> retry_after;  // the backend's Retry-After, when it sent one
  // Per-event results, for backends that answer item by item (bulk APIs) and for batches a sink
  // split (413): indices into the batch of the events still worth sending (`retry`) and of those
  // refused for good (`refused`). Both empty: `outcome` applies to every event of the batch.
  // Otherwise `outcome` describes the request and every event in neither list was delivered.
  std::vector<std::size_t> retry;
  std::vector<std::size_t> refused;

  bool per_event() const { return !retry.empty() || !refused.empty(); }
};

class Sink {
 public:
  virtual ~Sink() = default;
  // One batch, one request. Callers do not overlap deliver() calls on one sink (the dispatcher
  // sends one batch at a time), so a sink may own a single connection.
  virtual boost::asio::awaitable<Delivery> deliver(std::span<const telemetry::Event> batch) = 0;
  virtual std::string describe() const = 0;  // for logs: never includes credentials
  // A SnapStart restore: connections made before the snapshot are gone, credentials fetched
  // then may be stale, and events now carry `function`'s new sandbox id.
  virtual void restored(const telemetry::FunctionIdentity& function) = 0;
};

}  // namespace ltf::sinks
