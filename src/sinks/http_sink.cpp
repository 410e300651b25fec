#include "ltf/sinks.hpp"

#include "ltf/http_status.hpp"
#include "ltf/log.hpp"
#include "ltf/version.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>

namespace ltf::sinks {

namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

Outcome classify(unsigned status, net::StatusRules rules) {
  switch (net::meaning_of_status(status, rules)) {
    case net::StatusMeaning::success: return Outcome::delivered;
    // Refused credentials are kept and retried with backoff: a rotated token or a policy being
    // fixed must not cost the events sent meanwhile.
    case net::StatusMeaning::retry:
    case net::StatusMeaning::reauthenticate: return Outcome::retry_later;
    case net::StatusMeaning::too_large:  // deliver_splitting_when_too_large splits on the status
    case net::StatusMeaning::refused: return Outcome::rejected;
  }
  return Outcome::retry_later;
}

HttpSinkOptions options_with(Milliseconds timeout) {
  HttpSinkOptions options;
  options.timeout = timeout;
  return options;
}

}  // namespace

HttpSink::HttpSink(asio::any_io_executor executor, net::HttpUrl url, Milliseconds timeout)
    : HttpSink(std::move(executor), std::move(url), options_with(timeout)) {}

HttpSink::HttpSink(asio::any_io_executor executor, net::HttpUrl url, HttpSinkOptions options)
    : executor_(std::move(executor)), url_(std::move(url)), options_(std::move(options)) {
  if (url_.scheme == "https" && !options_.tls.verify)
    LTF_LOG(warning) << "TLS certificate verification is OFF (LTF_TLS_VERIFY=false): " << describe()
                     << " is not checked to be who it claims, anyone on the way can read and "
                        "change what is sent";
  if (url_.scheme == "http" && options_.headers && options_.headers->uses_secrets())
    LTF_LOG(warning) << describe() << " is plain http: the credentials from "
                     << options_.headers->describe() << " cross the network unencrypted";
}

void HttpSink::restored(const telemetry::FunctionIdentity& function) {
  client_.reset();  // its connection died with the snapshot; the next delivery opens a new one
  options_.sandbox = function.sandbox;
  if (options_.headers) options_.headers->restored();
}

net::HttpClient& HttpSink::client() {
  if (client_) return *client_;
  std::shared_ptr<asio::ssl::context> tls;
  if (url_.scheme == "https") {
    auto setup = net::make_tls_context(options_.tls);
    tls = std::move(setup.context);
    if (!setup.problem.empty())
      LTF_LOG(error) << "TLS: " << setup.problem << "; every https delivery will fail";
    else if (options_.tls.verify)
      LTF_LOG(debug) << "TLS: trusting CA certificates from " << setup.source.path << " ("
                     << setup.source.origin << "), resident memory +" << setup.rss_growth_kb
                     << " kB";
  }
  net::ClientLimits limits;
  limits.connect_timeout = options_.connect_timeout;
  limits.handshake_timeout = options_.handshake_timeout;
  client_.emplace(executor_, url_.host, url_.port, limits, std::move(tls));
  return *client_;
}

asio::awaitable<Delivery> HttpSink::deliver(std::span<const telemetry::Event> batch) {
  if (batch.empty()) co_return Delivery{Outcome::delivered, 0, {}, {}};
  const SendBatch send = [this](std::span<const telemetry::Event> part) { return post(part); };
  co_return co_await deliver_splitting_when_too_large(batch, send);
}

asio::awaitable<Delivery> HttpSink::post(std::span<const telemetry::Event> batch) {
  HeaderFetch added;
  if (options_.headers) {
    added = co_await options_.headers->get();
    // Nothing is sent without them: the events wait, as for any destination that fails.
    if (!added.ok()) co_return Delivery{Outcome::retry_later, 0, "no headers: " + added.problem, {}};
  }
  std::string body =
      options_.encode ? options_.encode(batch) : json_array_body(batch, options_.sandbox);
  if (body.empty()) co_return Delivery{Outcome::delivered, 0, {}, {}};
  net::Request request{http::verb::post, url_.target, 11};
  request.set(http::field::content_type, options_.content_type);
  request.set(http::field::user_agent, ltf::user_agent());
  HeaderSource::apply(request, added.headers);  // may replace User-Agent, never the framing
  if (options_.compression == Compression::gzip) {
    request.set(http::field::content_encoding, "gzip");
    request.body() = net::gzip(body);
  } else {
    request.body() = std::move(body);
  }

  // Signed last, so the signature covers the exact bytes sent (after gzip) and every header.
  if (options_.sigv4)
    if (auto why = options_.sigv4->sign(request, aws::host_header(url_)))
      co_return Delivery{Outcome::retry_later, 0, "cannot sign the request (SigV4): " + *why, {}};
  const net::Exchange exchange = co_await client().send(std::move(request), options_.timeout);
  if (!exchange.ok()) co_return Delivery{Outcome::retry_later, 0, exchange.error.message(), {}};
  const unsigned status = exchange.response.result_int();
  const Outcome outcome = classify(status, options_.status_rules);
  if (options_.headers) {
    if (net::meaning_of_status(status, options_.status_rules) == net::StatusMeaning::reauthenticate)
      options_.headers->refused();
    else if (outcome == Outcome::delivered)
      options_.headers->accepted();
  }
  if (outcome == Outcome::delivered) {
    if (options_.on_success) options_.on_success(exchange.response.body());
    co_return Delivery{outcome, status, {}, {}};
  }
  std::string excerpt = log_excerpt(exchange.response.body());
  // A destination may echo a token it refuses: the excerpt is logged.
  if (options_.headers) excerpt = options_.headers->redact(std::move(excerpt));
  Delivery delivery{outcome, status, std::move(excerpt), {}};
  if (auto header = exchange.response.find(http::field::retry_after);
      header != exchange.response.end())
    delivery.retry_after = parse_retry_after(header->value(), std::chrono::system_clock::now());
  co_return delivery;
}

std::string HttpSink::describe() const {
  // The query string is left out: endpoints often take API keys there. (Userinfo never gets this
  // far: net::parse_http_url refuses URLs that carry credentials.)
  const std::string_view target = url_.target;
  const std::string_view path = target.substr(0, target.find('?'));
  const bool ipv6 = url_.host.find(':') != std::string::npos;
  const std::string host = ipv6 ? "[" + url_.host + "]" : url_.host;
  return url_.scheme + "://" + host + ":" + url_.port + std::string(path);
}

}  // namespace ltf::sinks
