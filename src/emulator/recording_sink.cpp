// RecordingSink: a destination on loopback that records what arrives and fails on demand. Its
// listener is swapped as the fault changes: the HTTP server for answers (ok, status, hang,
// fail_fraction, body_limit), nothing for `refuse`, a raw socket writer for `garbage` (not an
// HTTP server: the point is that it never speaks HTTP), and for `reset` and `drip` a reader that
// records the request like the HTTP server does and then answers by hand, since misbehaving
// half-way through an answer is what an HTTP server library is built never to do.
#include "ltf/emulator.hpp"
#include "ltf/net.hpp"
#include "ltf/notifier.hpp"
#include "util.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <array>
#include <functional>
#include <random>
#include <sstream>

namespace ltf::emulator {

namespace asio = boost::asio;
namespace json = boost::json;
using asio::ip::tcp;

struct RecordingSink::Core : std::enable_shared_from_this<RecordingSink::Core> {
  Core(asio::any_io_executor ex, std::uint64_t seed)
      : executor(ex), rng(seed), changed(std::make_shared<async::Notifier>(ex)) {}

  enum class Listener { none, http, garbage, cutting };

  asio::any_io_executor executor;
  std::mt19937_64 rng;
  std::shared_ptr<async::Notifier> changed;
  SinkFault fault;
  std::uint16_t port = 0;
  bool listening = false;  // listen() succeeded and stop() not called
  Listener listener = Listener::none;
  std::unique_ptr<net::HttpServer> server;
  std::shared_ptr<tcp::acceptor> raw_acceptor;  // garbage and cutting
  std::uint64_t generation = 0;  // bumped whenever a listener closes: releases hung requests

  std::uint64_t requests = 0, accepted = 0, bytes = 0, invalid = 0, events = 0, lines = 0;
  std::map<std::string, std::uint64_t> by_type;
  std::map<std::string, std::uint64_t> line_counts;
  // A hash of each line's first arriving event, to tell a resent event from a re-made one.
  std::map<std::string, std::size_t> first_event_of_line;
  std::uint64_t altered_duplicates = 0;
  std::vector<ReceivedRequest> received;

  boost::system::error_code open(Listener wanted);
  void close();
  boost::system::error_code apply_fault();
  std::size_t record(net::Request& request);  // returns its index in `received`
  asio::awaitable<net::Response> handle(net::Request& request);
  unsigned accept_body(const ReceivedRequest& request, std::size_t& events_recorded);
};

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::uint64_t max_body_bytes = 64 * 1024 * 1024;  // senders may batch generously

net::Response answer(unsigned status, std::string body) {
  net::Response response{static_cast<net::http::status>(status), 11};
  response.set(net::http::field::content_type, "application/json");
  response.body() = std::move(body);
  return response;
}

std::optional<std::string> message_of(const json::value& record) {
  if (!record.is_object()) return std::nullopt;
  const auto* message = record.get_object().if_contains("message");
  if (message && message->is_string()) return std::string(message->get_string());
  return std::nullopt;
}

// The line a function event carries: a string record, or the message of an object record. A
// string that is itself a JSON log object (JSON log format under schema 2022-07-01) counts by
// its message too.
std::optional<std::string> line_of(const json::object& event) {
  const auto* record = event.if_contains("record");
  if (!record) return std::nullopt;
  if (record->is_string()) {
    const auto& text = record->get_string();
    if (!text.empty() && text.front() == '{') {
      boost::system::error_code ec;
      if (auto message = message_of(json::parse(text, ec)); message && !ec) return message;
    }
    return std::string(text);
  }
  return message_of(*record);
}

asio::awaitable<void> spoil(tcp::socket socket) {
  std::array<char, 4096> request{};
  co_await socket.async_read_some(asio::buffer(request), asio::as_tuple(asio::use_awaitable));
  static constexpr std::string_view garbage = "\x01\x02 this is not HTTP \xff\r\n\r\n";
  co_await asio::async_write(socket, asio::buffer(garbage), asio::as_tuple(asio::use_awaitable));
  boost::system::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

asio::awaitable<void> accept_garbage(std::shared_ptr<RecordingSink::Core> core,
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
asio::awaitable<bool> drip(std::shared_ptr<RecordingSink::Core> core, tcp::socket& socket,
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
asio::awaitable<void> serve_cutting(std::shared_ptr<RecordingSink::Core> core, tcp::socket socket) {
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

asio::awaitable<void> accept_cutting(std::shared_ptr<RecordingSink::Core> core,
                                     std::shared_ptr<tcp::acceptor> acceptor) {
  for (;;) {
    auto [ec, socket] = co_await acceptor->async_accept(use_tuple);
    if (ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;
    if (ec) continue;
    asio::co_spawn(core->executor, serve_cutting(core, std::move(socket)), asio::detached);
  }
}

}  // namespace

boost::system::error_code RecordingSink::Core::open(Listener wanted) {
  close();
  const tcp::endpoint endpoint{asio::ip::address_v4::loopback(), port};
  boost::system::error_code ec;
  if (wanted == Listener::http) {
    std::weak_ptr<Core> weak = shared_from_this();
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

void RecordingSink::Core::close() {
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

boost::system::error_code RecordingSink::Core::apply_fault() {
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

unsigned RecordingSink::Core::accept_body(const ReceivedRequest& request,
                                          std::size_t& events_recorded) {
  std::optional<net::Inflated> inflated;
  if (request.content_encoding.find("gzip") != std::string::npos) {
    inflated = net::gunzip(request.body, max_body_bytes);
    if (!inflated->ok()) {
      ++invalid;
      return 400;
    }
  }
  boost::system::error_code ec;
  auto body = json::parse(inflated ? inflated->data : request.body, ec);
  bool valid = !ec && body.is_array();
  if (valid)
    for (const auto& event : body.get_array())
      if (!event.is_object() || !event.get_object().contains("type") ||
          !event.get_object().at("type").is_string())
        valid = false;
  if (!valid) {
    ++invalid;
    return 400;
  }
  for (const auto& value : body.get_array()) {
    const auto& event = value.get_object();
    const std::string type(event.at("type").get_string());
    ++by_type[type];
    ++events;
    if (type == "function") {
      if (auto line = line_of(event)) {
        // A resent event is the same JSON; a re-made one (new time, new text) is not, and its
        // event id would differ too.
        const auto hash = std::hash<std::string>{}(json::serialize(event));
        if (++line_counts[*line] == 1) first_event_of_line[*line] = hash;
        else if (first_event_of_line[*line] != hash) ++altered_duplicates;
        ++lines;
      }
    }
  }
  events_recorded = body.get_array().size();
  ++accepted;
  bytes += request.body.size();
  return 200;
}

std::size_t RecordingSink::Core::record(net::Request& request) {
  ++requests;
  ReceivedRequest entry;
  entry.method = std::string(request.method_string());
  entry.target = std::string(request.target());
  entry.content_type = header(request, "Content-Type");
  entry.content_encoding = header(request, "Content-Encoding");
  entry.body = std::move(request.body());
  entry.at = Clock::now();
  received.push_back(std::move(entry));
  changed->notify();
  return received.size() - 1;
}

asio::awaitable<net::Response> RecordingSink::Core::handle(net::Request& request) {
  auto self = shared_from_this();
  const auto index = record(request);

  unsigned status = 200;
  switch (fault.kind) {
    case SinkFault::Kind::hang: {
      const auto mine = generation;
      co_await changed->wait_until([&] { return generation != mine; });
      co_return answer(503, "{}");  // never written: the listener is gone
    }
    case SinkFault::Kind::status:
      status = fault.status;
      break;
    case SinkFault::Kind::fail_fraction: {
      const double draw = static_cast<double>(rng() >> 11) * 0x1.0p-53;
      if (draw < fault.fraction) status = 503;
      break;
    }
    case SinkFault::Kind::body_limit:
      if (received[index].body.size() > fault.max_body_bytes) status = 413;
      break;
    default:
      break;
  }
  std::size_t recorded = 0;
  if (status / 100 == 2) status = accept_body(received[index], recorded);
  received[index].status = status;
  received[index].events = recorded;
  changed->notify();
  auto response = answer(status, status / 100 == 2 ? R"({"errors":false})"
                                                   : R"({"error":"rejected by RecordingSink"})");
  if (fault.kind == SinkFault::Kind::status && fault.retry_after)
    response.set(net::http::field::retry_after, std::to_string(fault.retry_after->count()));
  co_return response;
}

// ---------------------------------------------------------------------------------------------

RecordingSink::RecordingSink(asio::any_io_executor executor, std::uint64_t seed)
    : core_(std::make_shared<Core>(std::move(executor), seed)) {}

RecordingSink::~RecordingSink() { stop(); }

boost::system::error_code RecordingSink::listen(std::uint16_t port) {
  core_->port = port;
  // Bound as an HTTP server first so that port 0 becomes a real port the faults keep.
  if (auto ec = core_->open(Core::Listener::http)) return ec;
  core_->listening = true;
  return core_->apply_fault();
}

std::uint16_t RecordingSink::port() const { return core_->port; }
std::string RecordingSink::url() const {
  return "http://127.0.0.1:" + std::to_string(core_->port) + "/";
}

void RecordingSink::stop() {
  core_->listening = false;
  core_->close();
}

void RecordingSink::set_fault(SinkFault fault) {
  core_->fault = fault;
  if (auto ec = core_->apply_fault())
    throw boost::system::system_error(ec, "RecordingSink: cannot reopen port " +
                                              std::to_string(core_->port));
}

SinkFault RecordingSink::fault() const { return core_->fault; }
std::uint64_t RecordingSink::requests() const { return core_->requests; }
std::uint64_t RecordingSink::accepted_requests() const { return core_->accepted; }
std::uint64_t RecordingSink::bytes() const { return core_->bytes; }
std::uint64_t RecordingSink::invalid_bodies() const { return core_->invalid; }
std::uint64_t RecordingSink::events() const { return core_->events; }
std::uint64_t RecordingSink::events_of_type(const std::string& type) const {
  auto it = core_->by_type.find(type);
  return it == core_->by_type.end() ? 0 : it->second;
}
const std::map<std::string, std::uint64_t>& RecordingSink::events_by_type() const {
  return core_->by_type;
}
std::uint64_t RecordingSink::lines() const { return core_->lines; }
const std::map<std::string, std::uint64_t>& RecordingSink::line_counts() const {
  return core_->line_counts;
}
const std::vector<ReceivedRequest>& RecordingSink::received() const { return core_->received; }
LineAccounting RecordingSink::account(const std::vector<std::string>& produced) const {
  auto lines = account_lines(produced, core_->line_counts);
  lines.altered_duplicates = core_->altered_duplicates;
  return lines;
}

asio::awaitable<bool> RecordingSink::wait_until(std::function<bool()> condition,
                                                milliseconds limit) {
  auto changed = core_->changed;
  co_return co_await changed->wait_until(std::move(condition), Clock::now() + limit);
}

// The conditions are named before the co_await: GCC 12 destroys a closure temporary inside a
// co_await expression twice, which is fatal for one that owns a shared_ptr.
asio::awaitable<bool> RecordingSink::wait_for_lines(std::uint64_t n, milliseconds limit) {
  auto core = core_;
  std::function<bool()> enough = [core, n] { return core->lines >= n; };
  co_return co_await core->changed->wait_until(std::move(enough), Clock::now() + limit);
}

asio::awaitable<bool> RecordingSink::wait_for_requests(std::uint64_t n, milliseconds limit) {
  auto core = core_;
  std::function<bool()> enough = [core, n] { return core->requests >= n; };
  co_return co_await core->changed->wait_until(std::move(enough), Clock::now() + limit);
}

}  // namespace ltf::emulator
