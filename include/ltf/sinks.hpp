#pragma once
// Destinations. A sink turns a batch of events into one request to its backend and says how it
// went; it never keeps events itself (the pipeline does).

#include "ltf/config.hpp"
#include "ltf/net.hpp"
#include "ltf/telemetry.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string_view>
#include <span>
#include <string>

namespace ltf::sinks {

enum class Outcome {
  delivered,    // the backend has the batch
  retry_later,  // not delivered, worth sending again (refused, reset, timeout, 408, 429, 5xx)
  rejected,     // the backend refuses this batch for good (other 4xx): sending again won't help
};

struct Delivery {
  Outcome outcome = Outcome::retry_later;
  unsigned status = 0;  // HTTP status, 0 when no response
  std::string detail;   // transport error or a bounded excerpt of the response body
  std::optional<Milliseconds> retry_after;  // the backend's Retry-After, when it sent one
};

// An HTTP Retry-After value: delay-seconds or an HTTP-date (relative to `now`). nullopt when it is
// neither; a date in the past is zero.
std::optional<Milliseconds> parse_retry_after(std::string_view value,
                                              std::chrono::system_clock::time_point now);

class Sink {
 public:
  virtual ~Sink() = default;
  // One batch, one request. Callers do not overlap deliver() calls on one sink (the dispatcher
  // sends one batch at a time), so a sink may own a single connection.
  virtual boost::asio::awaitable<Delivery> deliver(std::span<const telemetry::Event> batch) = 0;
  virtual std::string describe() const = 0;  // for logs: never includes credentials
};

// The seeds' destination: POSTs `[event,event,...]` (each event's raw JSON, as Lambda sent it)
// to DISPATCH_POST_URI over a kept-alive connection, each request bounded by `timeout`.
// For https it makes its TLS context (CA certificates per net::find_ca_source) on the first
// delivery, so a plain-http setup never pays for one. With gzip, bodies go compressed
// (Content-Encoding: gzip).
struct HttpSinkOptions {
  Milliseconds timeout{2000};                  // one whole request
  std::optional<Milliseconds> connect_timeout;  // connect + TLS handshake, within `timeout`
  Compression compression = Compression::none;
  net::TlsOptions tls;
};

class HttpSink final : public Sink {
 public:
  HttpSink(boost::asio::any_io_executor executor, net::HttpUrl url, Milliseconds timeout);
  HttpSink(boost::asio::any_io_executor executor, net::HttpUrl url, HttpSinkOptions options);
  boost::asio::awaitable<Delivery> deliver(std::span<const telemetry::Event> batch) override;
  std::string describe() const override;

 private:
  net::HttpClient& client();

  boost::asio::any_io_executor executor_;
  net::HttpUrl url_;
  HttpSinkOptions options_;
  std::optional<net::HttpClient> client_;  // made on the first delivery
};

// No destination configured: accepts and forgets every batch.
class DiscardSink final : public Sink {
 public:
  boost::asio::awaitable<Delivery> deliver(std::span<const telemetry::Event> batch) override;
  std::string describe() const override { return "nowhere (DISPATCH_POST_URI is not set)"; }
};

// The sink the configuration asks for.
std::unique_ptr<Sink> make_sink(boost::asio::any_io_executor executor, const Config& config);

}  // namespace ltf::sinks
