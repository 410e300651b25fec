// The Beast HTTP server: an accept loop and one coroutine per connection, within ServerLimits.
#include "ltf/net.hpp"
#include "read_buffer.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <array>
#include <exception>
#include <list>

namespace ltf::net {

namespace beast = boost::beast;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

struct HttpServer::State {
  State(asio::any_io_executor ex, RequestHandler h, ServerLimits l, RefusalObserver r)
      : acceptor(ex),
        backoff(ex),
        slot_freed(ex),
        handler(std::move(h)),
        limits(l),
        on_refused(std::move(r)) {}
  tcp::acceptor acceptor;
  asio::steady_timer backoff;     // the accept loop's wait after an accept error
  asio::steady_timer slot_freed;  // cancelled when a connection closes: the accept loop may go on
  RequestHandler handler;
  ServerLimits limits;
  RefusalObserver on_refused;
  std::list<tcp::socket*> open_sockets;  // so stop() can close them
  ServerStats stats;
  bool stopped = false;
};

namespace {

// One connection's socket and its watchdog. The session says which wait it is in (arm()); the
// watchdog closes the socket when the peer used up that wait's limit. The watchdog wakes on a
// steady tick (a quarter of the shortest limit) and counts the time since its last turn, unless
// that turn came more than freeze_gap late: the steady clock runs on while Lambda freezes the
// sandbox, so a timer due during a freeze fires at thaw, and without this every kept-alive
// connection (Lambda's own) would be closed the moment the sandbox thaws, just as Lambda sends on
// it. At most one tick of a limit is lost to a freeze, and a limit is enforced at most one tick
// late. arm() touches no timer: a request moves through four waits, and rescheduling the timer
// for each would wake the watchdog four times per request only to wait again.
struct Connection {
  static constexpr int ticks_per_limit = 4;
  Connection(tcp::socket s, const ServerLimits& limits)
      : socket(std::move(s)),
        timer(socket.get_executor()),
        freeze_gap(limits.freeze_gap),
        tick(std::max<Clock::duration>(
            std::min({limits.header_timeout, limits.body_timeout, limits.idle_timeout}) /
                ticks_per_limit,
            std::chrono::milliseconds(1))) {}
  tcp::socket socket;
  asio::steady_timer timer;
  Clock::duration freeze_gap;
  Clock::duration tick;
  Clock::duration limit = Clock::duration::max();  // max: no limit (the handler is running)
  Clock::duration awake{};                         // of `limit`, counted so far
  Clock::time_point armed_at;                      // when the current wait began
  bool done = false;

  // Starts a new wait, counted from now.
  void arm(Clock::duration new_limit) {
    limit = new_limit;
    awake = {};
    armed_at = Clock::now();
  }
  // A tick ended at `now`, the one before at `last`: false when the peer has now used up the
  // limit.
  bool count_tick(Clock::time_point last, Clock::time_point now) {
    if (limit == Clock::duration::max()) return true;
    if (now - last <= tick + freeze_gap) awake += now - std::max(last, armed_at);
    return awake < limit;
  }
};

asio::awaitable<void> watchdog(std::shared_ptr<HttpServer::State> state,
                               std::shared_ptr<Connection> c) {
  for (Clock::time_point last = Clock::now();;) {
    c->timer.expires_after(c->tick);
    co_await c->timer.async_wait(use_tuple);  // cancelled only when the session ends (done)
    if (c->done) co_return;
    const Clock::time_point now = Clock::now();
    if (!c->count_tick(last, now)) {
      ++state->stats.timed_out;
      boost::system::error_code ignored;
      c->socket.close(ignored);  // the session's pending read or write ends with an error
      co_return;
    }
    last = now;
  }
}

// Bytes of the shared bodies budget held by one request while it is read and handled.
class BodyReservation {
 public:
  BodyReservation(ServerStats& stats, std::uint64_t bytes) : stats_(stats), bytes_(bytes) {
    stats_.bodies_bytes += bytes_;
    stats_.peak_bodies_bytes = std::max(stats_.peak_bodies_bytes, stats_.bodies_bytes);
  }
  ~BodyReservation() { stats_.bodies_bytes -= bytes_; }
  BodyReservation(const BodyReservation&) = delete;
  BodyReservation& operator=(const BodyReservation&) = delete;

 private:
  ServerStats& stats_;
  std::uint64_t bytes_;
};

// Answers a request the server refuses, then reads and drops what the peer still sends until it
// closes, so that it reads our status instead of a connection reset. Bounded by the body timeout.
asio::awaitable<void> refuse(Connection& c, const ServerLimits& limits, http::status status,
                             std::string_view why) {
  Response res{status, 11};
  res.set(http::field::content_type, "application/json");
  res.set(http::field::connection, "close");
  // Lambda retries a delivery that failed; a second later the budget has room again.
  if (status == http::status::service_unavailable) res.set(http::field::retry_after, "1");
  res.body() = std::string(R"({"error":")") + std::string(why) + "\"}";
  res.prepare_payload();
  c.arm(limits.body_timeout);
  auto [ec, n] = co_await http::async_write(c.socket, res, use_tuple);
  if (ec) co_return;
  boost::system::error_code ignored;
  c.socket.shutdown(tcp::socket::shutdown_send, ignored);
  std::array<char, 16 * 1024> sink{};
  for (;;) {
    auto [rec, got] = co_await c.socket.async_read_some(asio::buffer(sink), use_tuple);
    if (rec) break;
  }
}

// Errors a peer cannot cause by itself: the process or the system is out of something. The accept
// loop waits after the first of them; after other errors only when they repeat.
bool out_of_resources(const boost::system::error_code& ec) {
  return ec == asio::error::no_descriptors || ec == boost::system::errc::too_many_files_open ||
         ec == boost::system::errc::too_many_files_open_in_system ||
         ec == asio::error::no_buffer_space || ec == asio::error::no_memory;
}

// The peer closed or reset the connection (mid-request too: partial_message): no answer can
// reach it.
bool peer_gone(const boost::system::error_code& ec) {
  return ec == http::error::end_of_stream || ec == http::error::partial_message || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
         ec == asio::error::bad_descriptor;
}

asio::awaitable<void> session(std::shared_ptr<HttpServer::State> state, tcp::socket socket) {
  const ServerLimits& limits = state->limits;
  auto c = std::make_shared<Connection>(std::move(socket), limits);
  auto registration = state->open_sockets.insert(state->open_sockets.end(), &c->socket);
  asio::co_spawn(c->socket.get_executor(), watchdog(state, c), asio::detached);
  beast::flat_buffer buffer;
  for (bool first = true;; first = false) {
    if (!first && buffer.size() == 0) {
      // Between requests nothing is owed yet, so the idle limit applies. A new connection goes
      // straight to its header's limit: a peer that connects has a request to send.
      c->arm(limits.idle_timeout);
      auto [wec] = co_await c->socket.async_wait(tcp::socket::wait_read, use_tuple);
      if (wec || state->stopped) break;
    }
    c->arm(limits.header_timeout);
    http::request_parser<http::string_body> parser;
    parser.body_limit(limits.body_limit);
    parser.header_limit(limits.header_limit);
    auto [hec, hn] = co_await http::async_read_header(c->socket, buffer, parser, use_tuple);
    std::uint64_t reserved = 0;
    if (!hec) {
      // The body's bytes are reserved before any is read. One request is always let in when no
      // other holds any, so a body larger than the whole budget (but within body_limit) still
      // gets through, alone.
      reserved = parser.content_length().value_or(limits.body_limit);
      if (state->stats.bodies_bytes > 0 &&
          state->stats.bodies_bytes + reserved > limits.bodies_budget) {
        ++state->stats.over_budget;
        if (state->on_refused)
          state->on_refused(http::status::service_unavailable, "request bodies budget spent");
        co_await refuse(*c, limits, http::status::service_unavailable, "busy, retry later");
        break;
      }
    }
    BodyReservation reservation(state->stats, reserved);
    c->arm(limits.body_timeout);
    auto ec = hec;
    if (!ec) make_room_for_body(buffer, parser.content_length());
    if (!ec) std::tie(ec, std::ignore) = co_await http::async_read(c->socket, buffer, parser,
                                                                   use_tuple);
    if (ec) {
      if (state->stopped || peer_gone(ec)) break;
      const bool too_large = ec == http::error::body_limit || ec == http::error::header_limit;
      const auto status = too_large ? http::status::payload_too_large : http::status::bad_request;
      if (state->on_refused) state->on_refused(status, ec.message());
      co_await refuse(*c, limits, status, too_large ? "request too large" : "malformed HTTP request");
      break;
    }
    c->arm(Clock::duration::max());
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
    c->arm(limits.body_timeout);
    auto [wec, wn] = co_await http::async_write(c->socket, response, use_tuple);
    if (wec || !keep_alive) break;
  }
  c->done = true;
  c->timer.cancel();  // the watchdog sees `done` and ends
  boost::system::error_code ignored;
  c->socket.shutdown(tcp::socket::shutdown_send, ignored);
  c->socket.close(ignored);
  state->open_sockets.erase(registration);
  --state->stats.open;
  state->slot_freed.cancel();
}

asio::awaitable<void> accept_loop(std::shared_ptr<HttpServer::State> state) {
  const ServerLimits& limits = state->limits;
  auto backoff = limits.accept_backoff_initial;
  bool failed_before = false;
  while (!state->stopped) {
    if (state->stats.open >= limits.max_connections) {
      state->slot_freed.expires_at(Clock::time_point::max());
      co_await state->slot_freed.async_wait(use_tuple);
      continue;
    }
    auto [ec, socket] = co_await state->acceptor.async_accept(use_tuple);
    if (state->stopped || ec == asio::error::operation_aborted || !state->acceptor.is_open())
      co_return;
    if (ec) {
      // Without a wait, a persistent error (out of descriptors: the pending connection stays in
      // the backlog, so the acceptor is at once ready again) spins the one thread, and the
      // connections already open, Lambda's among them, starve.
      ++state->stats.accept_errors;
      if (out_of_resources(ec) || failed_before) {
        state->backoff.expires_after(backoff);
        co_await state->backoff.async_wait(use_tuple);
        backoff = std::min(backoff * 2, limits.accept_backoff_max);
      }
      failed_before = true;
      continue;
    }
    failed_before = false;
    backoff = limits.accept_backoff_initial;
    ++state->stats.accepted;
    state->stats.peak_open = std::max(state->stats.peak_open, ++state->stats.open);
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
  state_->backoff.cancel();
  state_->slot_freed.cancel();
  for (auto* socket : state_->open_sockets) socket->close(ignored);
}

void HttpServer::close_connections() {
  if (!state_) return;
  boost::system::error_code ignored;
  for (auto* socket : state_->open_sockets) socket->close(ignored);
}

std::uint16_t HttpServer::port() const {
  boost::system::error_code ec;
  auto endpoint = state_->acceptor.local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

const ServerStats& HttpServer::stats() const { return state_->stats; }

}  // namespace ltf::net
