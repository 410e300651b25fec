// The telemetry listener: answers the Telemetry API's POSTs and hands their events on.
#include "ltf/log.hpp"
#include "ltf/listener.hpp"

#include <boost/asio/ip/address_v4.hpp>

#include <utility>

namespace ltf::telemetry {

namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

net::ServerLimits server_limits(const ListenerOptions& options) {
  net::ServerLimits limits = options.server;
  limits.body_limit = options.max_body_bytes;
  return limits;
}

net::Response reply(http::status status, std::string body = {}) {
  net::Response response{status, 11};
  if (!body.empty()) {
    response.set(http::field::content_type, "application/json");
    response.body() = std::move(body);
  }
  return response;
}

}  // namespace

Listener::Listener(asio::any_io_executor executor, ListenerOptions options, EventsHandler handler)
    : options_(options),
      handler_(std::move(handler)),
      server_(
          std::move(executor), [this](net::Request& request) { return handle(request); },
          server_limits(options),
          // The server refuses these before any handler runs: an oversized body (Beast's parser
          // enforces the limit) or a request that is not HTTP at all. Either way Lambda's POST
          // was lost to us, so it is counted.
          [this](http::status status, std::string_view why) {
            if (status == http::status::payload_too_large) {
              ++stats_.oversized_posts;
              if (!std::exchange(warned_oversized_, true))
                LTF_LOG(warning) << "refused a telemetry POST larger than "
                                 << options_.max_body_bytes
                                 << " bytes (413); further ones are only counted";
            } else if (status == http::status::service_unavailable) {
              // Not lost: Lambda sends it again. Many at once mean the budget is too small.
              ++stats_.busy_posts;
              if (!std::exchange(warned_busy_, true))
                LTF_LOG(warning) << "answered a telemetry POST 503: request bodies being read "
                                    "already hold "
                                 << options_.server.bodies_budget
                                 << " bytes; Lambda retries it; further ones are only counted";
            } else {
              refused_malformed(why);
            }
          }) {}

void Listener::refused_malformed(std::string_view why) {
  ++stats_.malformed_posts;
  if (!std::exchange(warned_malformed_, true))
    LTF_LOG(warning) << "refused a telemetry POST that is not a JSON array of events (" << why
                     << "), answered 400; further ones are only counted";
}

boost::system::error_code Listener::start() {
  // 0.0.0.0 rather than loopback: Lambda reaches the listener as sandbox.localdomain.
  const auto ec = server_.listen({asio::ip::address_v4::any(), options_.port});
  if (!ec) server_.start();
  return ec;
}

void Listener::stop() { server_.stop(); }

std::uint16_t Listener::port() const { return server_.port(); }

// Runs to completion without suspending: the POST is answered as soon as its events are handed
// on, and nothing here ever waits on the pipeline or a sink.
asio::awaitable<net::Response> Listener::handle(net::Request& request) {
  if (request.method() != http::verb::post) {
    auto response = reply(http::status::method_not_allowed,
                          R"({"error":"the telemetry listener accepts POST only"})");
    response.set(http::field::allow, "POST");
    co_return response;
  }

  std::vector<Event> events;
  const ParseOutcome outcome = parse_batch(request.body(), events);
  if (!outcome.error.empty()) {
    refused_malformed(outcome.error);
    co_return reply(http::status::bad_request,
                    R"({"error":"the body must be a JSON array of telemetry events"})");
  }

  ++stats_.posts;
  stats_.events += outcome.accepted;
  stats_.rejected_events += outcome.rejected;
  if (!events.empty()) handler_(std::move(events));
  co_return reply(http::status::ok);
}

}  // namespace ltf::telemetry
