#pragma once
// The destinations behind the Sink interface (ltf/sink.hpp): the seeds' HTTP endpoint, a discard
// sink, and the helpers they share (413 splitting, Retry-After, log excerpts); make_sink picks one
// from the configuration. OpenSearch is in ltf/opensearch.hpp.

#include "ltf/aws.hpp"
#include "ltf/config.hpp"
#include "ltf/header_source.hpp"
#include "ltf/http_status.hpp"
#include "ltf/net.hpp"
#include "ltf/sink.hpp"
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
  Milliseconds timeout = defaults::sink_timeout.fallback;  // one whole request
  std::optional<Milliseconds> connect_timeout;  // connect + TLS handshake, within `timeout`
  std::optional<Milliseconds> handshake_timeout;  // the TLS handshake alone, within both
  Compression compression = Compression::none;
  net::TlsOptions tls;
  std::string sandbox;  // pipeline::sandbox_id, added to every event (json_array_body)
  // LTF_SIGV4_SERVICE: each request SigV4-signed once final (body gzipped), for IAM endpoints.
  std::optional<aws::RequestSigner> sigv4;
  // What a request carries: json_array_body unless another format (OTLP) gives its encoder. An
  // empty body means this batch has nothing for this endpoint: delivered without a request.
  std::function<std::string(std::span<const telemetry::Event>)> encode;
  std::string content_type = "application/json";
  net::StatusRules status_rules = net::StatusRules::general;
  // Each 2xx answer's body, for formats whose success can be partial (OTLP's partial_success).
  std::function<void(std::string_view body)> on_success;
  // LTF_HEADERS, LTF_HEADERS_SECRET, AUTH_SECRET: added to every request (before signing). A
  // 401/403 is retried with backoff, the secrets fetched again as the source's policy says.
  std::shared_ptr<HeaderSource> headers;
};

class HttpSink final : public Sink {
 public:
  HttpSink(boost::asio::any_io_executor executor, net::HttpUrl url, Milliseconds timeout);
  HttpSink(boost::asio::any_io_executor executor, net::HttpUrl url, HttpSinkOptions options);
  boost::asio::awaitable<Delivery> deliver(std::span<const telemetry::Event> batch) override;
  std::string describe() const override;
  void restored(const telemetry::FunctionIdentity& function) override;

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
  void restored(const telemetry::FunctionIdentity&) override {}
};

// The sink the configuration asks for, for the function that produces the events (from the
// registration answer; its sandbox id goes out with every event).
std::unique_ptr<Sink> make_sink(boost::asio::any_io_executor executor, const Config& config,
                                telemetry::FunctionIdentity function = {});

}  // namespace ltf::sinks
