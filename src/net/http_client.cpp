#include "ltf/net.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <vector>

namespace ltf::net {

namespace beast = boost::beast;
using asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

struct HttpClient::State {
  asio::any_io_executor executor;
  std::string host;
  std::string port;
  std::string host_header;
  ClientLimits limits;
  std::vector<tcp::endpoint> endpoints;  // resolved once, again after a failed connect
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
};

namespace {

// Errors that mean "the peer had already closed this idle connection": the request never reached
// it, so sending it again on a new connection neither loses nor doubles it.
bool closed_while_idle(const boost::system::error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe;
}

// Resolves without asio's async resolver, which would run getaddrinfo on a hidden thread: numeric
// hosts need no lookup, and names are looked up synchronously once and cached.
boost::system::error_code resolve(HttpClient::State& s) {
  if (!s.endpoints.empty()) return {};
  boost::system::error_code ec;
  const auto port = static_cast<unsigned short>(std::stoul(s.port));
  auto address = asio::ip::make_address(s.host, ec);
  if (!ec) {
    s.endpoints.emplace_back(address, port);
    return {};
  }
  tcp::resolver resolver(s.executor);
  auto results = resolver.resolve(s.host, s.port, ec);
  if (ec) return ec;
  for (const auto& entry : results) s.endpoints.push_back(entry.endpoint());
  return {};
}

}  // namespace

HttpClient::HttpClient(asio::any_io_executor executor, std::string host, std::string port,
                       ClientLimits limits)
    : state_(std::make_unique<State>()) {
  state_->executor = std::move(executor);
  state_->host = std::move(host);
  state_->port = std::move(port);
  const bool ipv6 = state_->host.find(':') != std::string::npos;
  state_->host_header = ipv6 ? "[" + state_->host + "]" : state_->host;
  if (state_->port != "80" && state_->port != "443") state_->host_header += ":" + state_->port;
  state_->limits = limits;
}

HttpClient::~HttpClient() = default;

void HttpClient::close() {
  if (!state_->stream) return;
  boost::system::error_code ignored;
  state_->stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
  state_->stream->socket().close(ignored);
  state_->stream.reset();
  state_->buffer.clear();
}

const std::string& HttpClient::host() const { return state_->host; }
const std::string& HttpClient::port() const { return state_->port; }

asio::awaitable<Exchange> HttpClient::send(Request request,
                                           std::optional<std::chrono::milliseconds> timeout) {
  auto& s = *state_;
  request.set(http::field::host, s.host_header);
  request.prepare_payload();
  const auto deadline = timeout ? std::chrono::steady_clock::now() + *timeout
                                : std::chrono::steady_clock::time_point::max();
  auto arm = [&] {
    if (timeout) s.stream->expires_at(deadline);
    else s.stream->expires_never();
  };

  for (int attempt = 0;; ++attempt) {
    const bool reused = s.stream.has_value();
    if (!s.stream) {
      if (auto ec = resolve(s)) co_return Exchange{ec, {}};
      s.stream.emplace(s.executor);
      arm();
      auto [ec, endpoint] = co_await s.stream->async_connect(s.endpoints, use_tuple);
      if (ec) {
        close();
        s.endpoints.clear();
        co_return Exchange{ec, {}};
      }
      s.stream->socket().set_option(tcp::no_delay(true));
    }
    arm();
    auto [wec, written] = co_await http::async_write(*s.stream, request, use_tuple);
    if (wec) {
      close();
      if (reused && attempt == 0 && closed_while_idle(wec)) continue;
      co_return Exchange{wec, {}};
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(s.limits.response_body_limit);
    auto [rec, read] = co_await http::async_read(*s.stream, s.buffer, parser, use_tuple);
    if (rec) {
      const bool nothing_came = !parser.got_some();
      close();
      if (reused && attempt == 0 && nothing_came && closed_while_idle(rec)) continue;
      co_return Exchange{rec, {}};
    }
    Exchange out{{}, parser.release()};
    if (!out.response.keep_alive()) close();
    co_return out;
  }
}

}  // namespace ltf::net
