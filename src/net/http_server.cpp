#include "ltf/net.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <array>
#include <exception>
#include <list>

namespace ltf::net {

namespace beast = boost::beast;
using asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

struct HttpServer::State {
  State(asio::any_io_executor ex, RequestHandler h, ServerLimits l, RefusalObserver r)
      : acceptor(ex), handler(std::move(h)), limits(l), on_refused(std::move(r)) {}
  tcp::acceptor acceptor;
  RequestHandler handler;
  ServerLimits limits;
  RefusalObserver on_refused;
  std::list<beast::tcp_stream*> open_streams;  // so stop() can close them
  bool stopped = false;
};

namespace {

// Answers a request the parser refused, then lets the peer finish sending so that it reads our
// status instead of a connection reset.
asio::awaitable<void> refuse(beast::tcp_stream& stream, http::status status, std::string_view why) {
  Response res{status, 11};
  res.set(http::field::content_type, "application/json");
  res.set(http::field::connection, "close");
  res.body() = std::string(R"({"error":")") + std::string(why) + "\"}";
  res.prepare_payload();
  stream.expires_after(std::chrono::seconds(2));
  auto [ec, n] = co_await http::async_write(stream, res, use_tuple);
  if (ec) co_return;
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  std::array<char, 16 * 1024> sink{};
  for (;;) {
    auto [rec, got] = co_await stream.async_read_some(asio::buffer(sink), use_tuple);
    if (rec) break;
  }
}

asio::awaitable<void> session(std::shared_ptr<HttpServer::State> state, tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  auto registration = state->open_streams.insert(state->open_streams.end(), &stream);
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(state->limits.body_limit);
    parser.header_limit(state->limits.header_limit);
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, use_tuple);
    if (ec) {
      if (state->stopped || ec == http::error::end_of_stream || ec == asio::error::eof ||
          ec == asio::error::connection_reset || ec == asio::error::operation_aborted)
        break;
      const bool too_large = ec == http::error::body_limit || ec == http::error::header_limit;
      const auto status = too_large ? http::status::payload_too_large : http::status::bad_request;
      if (state->on_refused) state->on_refused(status, ec.message());
      co_await refuse(stream, status, too_large ? "request too large" : "malformed HTTP request");
      break;
    }
    Request request = parser.release();
    const bool keep_alive = request.keep_alive();
    Response response;
    try {
      response = co_await state->handler(request);
    } catch (const std::exception& e) {
      response = Response{http::status::internal_server_error, 11};
      response.body() = e.what();
    }
    if (state->stopped) break;
    response.version(request.version());
    response.keep_alive(keep_alive);
    response.prepare_payload();
    auto [wec, wn] = co_await http::async_write(stream, response, use_tuple);
    if (wec || !keep_alive) break;
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  state->open_streams.erase(registration);
}

asio::awaitable<void> accept_loop(std::shared_ptr<HttpServer::State> state) {
  while (!state->stopped) {
    auto [ec, socket] = co_await state->acceptor.async_accept(use_tuple);
    if (state->stopped || ec == asio::error::operation_aborted || !state->acceptor.is_open())
      co_return;
    if (ec) continue;  // a connection that failed before we got it (reset in the backlog)
    asio::co_spawn(state->acceptor.get_executor(), session(state, std::move(socket)),
                   asio::detached);
  }
}

}  // namespace

HttpServer::HttpServer(asio::any_io_executor executor, RequestHandler handler,
                       ServerLimits limits, RefusalObserver on_refused)
    : state_(std::make_shared<State>(std::move(executor), std::move(handler), limits,
                                     std::move(on_refused))) {}

HttpServer::~HttpServer() { stop(); }

boost::system::error_code HttpServer::listen(const asio::ip::tcp::endpoint& endpoint) {
  boost::system::error_code ec;
  auto& acceptor = state_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    boost::system::error_code ignored;
    acceptor.close(ignored);
  }
  return ec;
}

void HttpServer::start() {
  asio::co_spawn(state_->acceptor.get_executor(), accept_loop(state_), asio::detached);
}

void HttpServer::stop() {
  if (!state_ || state_->stopped) return;
  state_->stopped = true;
  boost::system::error_code ignored;
  state_->acceptor.close(ignored);
  for (auto* stream : state_->open_streams) stream->socket().close(ignored);
}

std::uint16_t HttpServer::port() const {
  boost::system::error_code ec;
  auto endpoint = state_->acceptor.local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

}  // namespace ltf::net
