#pragma once
// Destinations. A sink turns a batch of events into one request to its backend and says how it
// went; it never keeps events itself (the pipeline does).

#include "ltf/aws.hpp"
#include "ltf/config.hpp"
#include "ltf/net.hpp"
#include "ltf/telemetry.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
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
           std::optional<Milliseconds> retry_after_ = {})
      : outcome(outcome_), status(status_), detail(std::move(detail_)), retry_after(retry_after_) {}

  Outcome outcome = Outcome::retry_later;
  unsigned status = 0;  // HTTP status, 0 when no response
  std::string detail;   // transport error or a bounded excerpt of the response body
  std::optional<Milliseconds> retry_after;  // the backend's Retry-After, when it sent one
  // Per-event results, for backends that answer item by item (bulk APIs) and for batches a sink
  // split (413): indices into the batch of the events still worth sending (`retry`) and of those
  // refused for good (`refused`). Both empty: `outcome` applies to every event of the batch.
  // Otherwise `outcome` describes the request and every event in neither list was delivered.
  std::vector<std::size_t> retry;
  std::vector<std::size_t> refused;

  bool per_event() const { return !retry.empty() || !refused.empty(); }
};

// Text from a backend (a response body, an error reason) as it may appear in a log line: at
// most `limit` bytes, "..." marking a cut, control characters turned into spaces (one line).
std::string log_excerpt(std::string_view text, std::size_t limit = 256);

// The longest a Retry-After may hold deliveries back, in either form: a sandbox may not live long
// enough to wait longer (LTF_RETRY_AFTER_MAX_MS when the configuration sets it).
inline constexpr Milliseconds default_retry_after_max{120'000};

// An HTTP Retry-After value: delay-seconds or an HTTP-date (relative to `now`), at most
// `max_wait`. nullopt when it is neither; a date in the past is zero.
std::optional<Milliseconds> parse_retry_after(std::string_view value,
                                              std::chrono::system_clock::time_point now,
                                              Milliseconds max_wait = default_retry_after_max);

// One request with these events, as a sink makes it.
using SendBatch =
    std::function<boost::asio::awaitable<Delivery>(std::span<const telemetry::Event>)>;

// Sends `batch` through `send`; when the backend answers 413 (too large), sends the two halves
// separately, splitting again any half still too large, down to single events (a single event
// still too large is refused for good). A half that fails otherwise ends the walk: it and the
// halves not yet sent come back in `retry`. The answer is per event once a split happened.
boost::asio::awaitable<Delivery> deliver_splitting_when_too_large(
    std::span<const telemetry::Event> batch, const SendBatch& send);

class Sink {
 public:
  virtual ~Sink() = default;
  // One batch, one request. Callers do not overlap deliver() calls on one sink (the dispatcher
  // sends one batch at a time), so a sink may own a single connection.
  virtual boost::asio::awaitable<Delivery> deliver(std::span<const telemetry::Event> batch) = 0;
  virtual std::string describe() const = 0;  // for logs: never includes credentials
};

// The HTTP destination's body: a JSON array of the events as Lambda sent them, each with members
// added at its end: "sandbox" (which sandbox numbered it), "eventId" (stable across retries, for
// dropping duplicates) and "sequence" (order of arrival in the sandbox, for seeing gaps); each is
// left out when unset.
std::string json_array_body(std::span<const telemetry::Event> batch, std::string_view sandbox = {});

// The seeds' destination: POSTs the batch (json_array_body) to DISPATCH_POST_URI over a
// kept-alive connection, each request bounded by `timeout`. A 413 splits the batch
// (deliver_splitting_when_too_large).
// For https it makes its TLS context (CA certificates per net::find_ca_source) on the first
// delivery, so a plain-http setup never pays for one. With gzip, bodies go compressed
// (Content-Encoding: gzip).
struct HttpSinkOptions {
  Milliseconds timeout{2000};                  // one whole request
  std::optional<Milliseconds> connect_timeout;  // connect + TLS handshake, within `timeout`
  std::optional<Milliseconds> handshake_timeout;  // the TLS handshake alone, within both
  Compression compression = Compression::none;
  net::TlsOptions tls;
  std::string sandbox;  // pipeline::sandbox_id, added to every event (json_array_body)
  // LTF_SIGV4_SERVICE: each request SigV4-signed once final (body gzipped), for IAM endpoints.
  std::optional<aws::RequestSigner> sigv4;
};

class HttpSink final : public Sink {
 public:
  HttpSink(boost::asio::any_io_executor executor, net::HttpUrl url, Milliseconds timeout);
  HttpSink(boost::asio::any_io_executor executor, net::HttpUrl url, HttpSinkOptions options);
  boost::asio::awaitable<Delivery> deliver(std::span<const telemetry::Event> batch) override;
  std::string describe() const override;

 private:
  net::HttpClient& client();
  boost::asio::awaitable<Delivery> post(std::span<const telemetry::Event> batch);  // one request

  boost::asio::any_io_executor executor_;
  net::HttpUrl url_;
  HttpSinkOptions options_;
  std::optional<net::HttpClient> client_;  // made on the first delivery
};

// No destination configured: accepts and forgets every batch.
class DiscardSink final : public Sink {
 public:
  boost::asio::awaitable<Delivery> deliver(std::span<const telemetry::Event> batch) override;
  std::string describe() const override {
    return "nowhere (neither DISPATCH_POST_URI nor URL is set)";
  }
};

// The sink the configuration asks for.
// `sandbox` (pipeline::sandbox_id) goes out with every event.
std::unique_ptr<Sink> make_sink(boost::asio::any_io_executor executor, const Config& config,
                                std::string sandbox = {});

}  // namespace ltf::sinks
