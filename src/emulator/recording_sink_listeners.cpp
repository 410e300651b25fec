// RecordingSink's listeners, swapped as the fault changes: the HTTP server for answers (ok,
// status, hang, fail_fraction, body_limit), nothing for `refuse`, a raw socket writer for
// `garbage` (not an HTTP server: the point is that it never speaks HTTP), and for `reset` and
// `drip` a reader that records the request like the HTTP server does and then answers by hand,
// since misbehaving half-way through an answer is what an HTTP server library is built never to do.
#include "recording_sink_recorder.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <array>
#include <functional>
#include <sstream>

namespace ltf::emulator {

using recording::answer;
using recording::max_body_bytes;

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

asio::awaitable<void> spoil(tcp::socket socket) {
  std::array<char, 4096> request{};
  co_await socket.async_read_some(asio::buffer(request), asio::as_tuple(asio::use_awaitable));
  static constexpr std::string_view garbage = "\x01\x02 this is not HTTP \xff\r\n\r\n";
  co_await asio::async_write(socket, asio::buffer(garbage), asio::as_tuple(asio::use_awaitable));
  boost::system::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

asio::awaitable<void> accept_garbage(std::shared_ptr<RecordingSink::Recorder> core,
                                     std::shared_ptr<tcp::acceptor> acceptor) {
  for (;;) {
    auto [ec, socket] = co_await acceptor->async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;
    if (ec) continue;
    ++core->requests;
    core->received.push_back(ReceivedRequest{});
    core->changed->notify();
    asio::co_spawn(core->executor, spoil(std::move(socket)), asio::detached);
  }
}

// The answer's bytes exactly as an HTTP server would send them; one request per connection.
std::string wire_bytes(net::Response response) {
  response.keep_alive(false);
  response.prepare_payload();
  std::ostringstream text;
  text << response;
  return text.str();
}

// Part of the head (the status line and a little more, never the whole head), then a reset:
// SO_LINGER {on, 0} makes close() send RST instead of FIN.
asio::awaitable<void> reset_after_part(tcp::socket& socket, const std::string& bytes) {
  const auto head = bytes.find("\r\n\r\n");
  const auto part = std::max<std::size_t>(1, (head == std::string::npos ? bytes.size() : head) / 2);
  co_await asio::async_write(socket, asio::buffer(bytes.data(), part), use_tuple);
  boost::system::error_code ignored;
  socket.set_option(asio::socket_base::linger(true, 0), ignored);
  socket.close(ignored);
}

// One byte per interval, until the answer is out, the sender went away, or the sink's listener
// changed (a new fault, or stop()). True when the whole answer was written.
asio::awaitable<bool> drip(std::shared_ptr<RecordingSink::Recorder> core, tcp::socket& socket,
                           const std::string& bytes, milliseconds interval) {
  const auto mine = core->generation;
  std::function<bool()> moved_on = [core, mine] { return core->generation != mine; };
  for (const char& byte : bytes) {
    auto [ec, n] = co_await asio::async_write(socket, asio::buffer(&byte, 1), use_tuple);
    if (ec) co_return false;
    if (&byte == &bytes.back()) break;
    if (co_await core->changed->wait_until(moved_on, Clock::now() + interval)) co_return false;
  }
  co_return true;
}

// reset and drip: the request is read and recorded as the HTTP server would; only the answer
// misbehaves, as the fault is when the request has arrived.
asio::awaitable<void> serve_cutting(std::shared_ptr<RecordingSink::Recorder> core, tcp::socket socket) {
  beast::flat_buffer buffer;
  http::request_parser<http::string_body> parser;
  parser.body_limit(max_body_bytes);
  auto [ec, n] = co_await http::async_read(socket, buffer, parser, use_tuple);
  if (ec) co_return;
  net::Request request = parser.release();
  const SinkFault fault = core->fault;
  const auto index = core->record(request);
  std::size_t recorded = 0;
  const unsigned status = core->accept_body(core->received[index], recorded);
  const bool cut = fault.kind == SinkFault::Kind::reset || fault.kind == SinkFault::Kind::drip;
  core->received[index].status = status;
  core->received[index].events = recorded;
  core->received[index].cut_short = cut;
  core->changed->notify();

  const auto bytes = wire_bytes(answer(status, status / 100 == 2 ? R"({"errors":false})"
                                                                 : R"({"error":"rejected by RecordingSink"})"));
  boost::system::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  if (fault.kind == SinkFault::Kind::reset) {
    co_await reset_after_part(socket, bytes);
    co_return;
  }
  bool whole = true;
  if (fault.kind == SinkFault::Kind::drip) {
    whole = co_await drip(core, socket, bytes, fault.drip_interval);
  } else {  // the fault changed while the request was on its way: answer it plainly
    auto [wec, written] = co_await asio::async_write(socket, asio::buffer(bytes), use_tuple);
    whole = !wec;
  }
  if (whole) {
    core->received[index].cut_short = false;
    core->changed->notify();
  }
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

asio::awaitable<void> accept_cutting(std::shared_ptr<RecordingSink::Recorder> core,
                                     std::shared_ptr<tcp::acceptor> acceptor) {
  for (;;) {
    auto [ec, socket] = co_await acceptor->async_accept(use_tuple);
    if (ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;
    if (ec) continue;
    asio::co_spawn(core->executor, serve_cutting(core, std::move(socket)), asio::detached);
  }
}


}  // namespace

boost::system::error_code RecordingSink::Recorder::open(Listener wanted) {
  close();
  const tcp::endpoint endpoint{asio::ip::address_v4::loopback(), port};
  boost::system::error_code ec;
  if (wanted == Listener::http) {
    std::weak_ptr<Recorder> weak = shared_from_this();
    net::ServerLimits limits;
    limits.body_limit = max_body_bytes;
    server = std::make_unique<net::HttpServer>(
        executor,
        [weak](net::Request& request) -> asio::awaitable<net::Response> {
          auto core = weak.lock();
          if (!core) co_return answer(503, "{}");
          co_return co_await core->handle(request);
        },
        limits);
    ec = server->listen(endpoint);
    if (ec) {
      server.reset();
      return ec;
    }
    port = server->port();
    server->start();
  } else if (wanted == Listener::garbage || wanted == Listener::cutting) {
    auto acceptor = std::make_shared<tcp::acceptor>(executor);
    acceptor->open(endpoint.protocol(), ec);
    if (!ec) acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor->bind(endpoint, ec);
    if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return ec;
    port = acceptor->local_endpoint().port();
    raw_acceptor = acceptor;
    if (wanted == Listener::garbage)
      asio::co_spawn(executor, accept_garbage(shared_from_this(), acceptor), asio::detached);
    else
      asio::co_spawn(executor, accept_cutting(shared_from_this(), acceptor), asio::detached);
  }
  listener = wanted;
  return {};
}

void RecordingSink::Recorder::close() {
  if (server) {
    server->stop();
    server.reset();
  }
  if (raw_acceptor) {
    boost::system::error_code ignored;
    raw_acceptor->close(ignored);
    raw_acceptor.reset();
  }
  listener = Listener::none;
  ++generation;
  changed->notify();
}

boost::system::error_code RecordingSink::Recorder::apply_fault() {
  if (!listening) return {};
  using Kind = SinkFault::Kind;
  const auto wanted = fault.kind == Kind::refuse                              ? Listener::none
                      : fault.kind == Kind::garbage                           ? Listener::garbage
                      : fault.kind == Kind::reset || fault.kind == Kind::drip ? Listener::cutting
                                                                              : Listener::http;
  if (wanted == listener) return {};
  if (wanted == Listener::none) {
    close();
    return {};
  }
  return open(wanted);
}

}  // namespace ltf::emulator
