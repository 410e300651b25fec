// HostileDestination: reads requests on raw sockets and answers them in the way it was told to
// misbehave (see the header); every connection is one coroutine.
#include "support/hostile_destination.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>

#include <algorithm>
#include <cstdio>
#include <list>

namespace ltf::test {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

namespace {

constexpr std::uint64_t max_request_bytes = 64 * 1024 * 1024;
constexpr std::uint64_t advertised_huge_body = 300'000'000;
constexpr std::size_t padding_piece = 64 * 1024;
constexpr std::string_view stray_answer = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstray";
constexpr std::string_view interim_answers =
    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x.css>; rel=preload\r\n\r\n";

std::string head(const UpstreamAnswer& answer, std::string_view framing) {
  return "HTTP/1.1 " + std::to_string(answer.status) + " Whatever\r\nContent-Type: " +
         answer.content_type + "\r\n" + std::string(framing) + "\r\n";
}

std::string whole(const UpstreamAnswer& answer) {
  return head(answer, "Content-Length: " + std::to_string(answer.body.size()) + "\r\n") +
         answer.body;
}

std::string chunk(std::string_view data) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return size + std::string(data) + "\r\n";
}

}  // namespace

const char* name(Misbehaviour way) {
  switch (way) {
    case Misbehaviour::none: return "none";
    case Misbehaviour::stray_bytes: return "stray_bytes";
    case Misbehaviour::interim_answers: return "interim_answers";
    case Misbehaviour::endless_chunks: return "endless_chunks";
    case Misbehaviour::huge_body: return "huge_body";
    case Misbehaviour::drip: return "drip";
    case Misbehaviour::never_read: return "never_read";
    case Misbehaviour::never_answer: return "never_answer";
    case Misbehaviour::close_mid_answer: return "close_mid_answer";
  }
  return "?";
}

std::vector<Misbehaviour> every_misbehaviour() {
  return {Misbehaviour::stray_bytes,  Misbehaviour::interim_answers, Misbehaviour::endless_chunks,
          Misbehaviour::huge_body,    Misbehaviour::drip,            Misbehaviour::never_read,
          Misbehaviour::never_answer, Misbehaviour::close_mid_answer};
}

struct HostileDestination::State : std::enable_shared_from_this<State> {
  State(asio::any_io_executor ex, Upstream up)
      : executor(ex), upstream(std::move(up)), acceptor(ex, {asio::ip::make_address("127.0.0.1"), 0}),
        port(acceptor.local_endpoint().port()) {}

  asio::any_io_executor executor;
  Upstream upstream;
  tcp::acceptor acceptor;
  std::uint16_t port;
  Misbehaviour way = Misbehaviour::none;
  std::chrono::milliseconds drip_interval{50};
  // never_read and never_answer connections: closed when the way changes, or at stop().
  std::list<std::weak_ptr<tcp::socket>> held;
  // Connections waiting for their next request: closed when the way becomes never_read, which
  // only a new connection can meet (a kept-alive one would read its next request).
  std::list<std::weak_ptr<tcp::socket>> idle;
  std::uint64_t misbehaved = 0;
  std::chrono::milliseconds longest_stay{0};
  std::uint64_t padding = 0;

  void note_stay(Clock::time_point since) {
    const auto stay = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since);
    longest_stay = std::max(longest_stay, stay);
  }

  static void close_all(const std::list<std::weak_ptr<tcp::socket>>& sockets) {
    for (const auto& weak : sockets)
      if (auto socket = weak.lock()) {
        boost::system::error_code ignored;
        socket->close(ignored);
      }
  }
  void release_held() {
    close_all(held);
    held.clear();
  }

  asio::awaitable<void> accept() {
    auto self = shared_from_this();
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
      if (!acceptor.is_open()) co_return;
      if (ec) continue;
      asio::co_spawn(executor, serve(std::make_shared<tcp::socket>(std::move(socket))),
                     asio::detached);
    }
  }

  // Resumes when the sender goes away (or the socket is closed under us).
  static asio::awaitable<void> until_gone(tcp::socket& socket) {
    char sink[4096];
    for (;;) {
      auto [ec, n] = co_await socket.async_read_some(asio::buffer(sink), use_tuple);
      if (ec) co_return;
    }
  }

  asio::awaitable<void> serve(std::shared_ptr<tcp::socket> socket) {
    auto self = shared_from_this();
    boost::system::error_code ignored;
    if (way == Misbehaviour::never_read) {
      ++misbehaved;
      held.push_back(socket);
      // Holds the connection without reading: closed by misbehave() or stop(). Nothing to await
      // but that, which completes the pending wait below with an error.
      co_await socket->async_wait(tcp::socket::wait_error, use_tuple);
      co_return;
    }
    boost::beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(max_request_bytes);
      const auto waiting = idle.insert(idle.end(), socket);
      auto [ec, n] = co_await http::async_read(*socket, buffer, parser, use_tuple);
      idle.erase(waiting);
      if (ec) co_return;
      const auto since = Clock::now();
      const Misbehaviour now = way;
      auto request = parser.release();
      const UpstreamAnswer answer = co_await upstream(request);
      if (now != Misbehaviour::none) ++misbehaved;
      if (now == Misbehaviour::never_answer) held.push_back(socket);
      const bool keep_on = co_await answer_badly(*socket, now, answer);
      if (now != Misbehaviour::none) note_stay(since);
      if (!keep_on) break;
    }
    socket->shutdown(tcp::socket::shutdown_both, ignored);
    socket->close(ignored);
  }

  // Writes `bytes`; false when the sender has gone.
  static asio::awaitable<bool> put(tcp::socket& socket, std::string_view bytes) {
    auto [ec, n] = co_await asio::async_write(socket, asio::buffer(bytes), use_tuple);
    co_return !ec;
  }

  // Sends `answer` as `now` says. True when the connection may serve another request.
  asio::awaitable<bool> answer_badly(tcp::socket& socket, Misbehaviour now, const UpstreamAnswer& answer) {
    const std::string padding_chunk(padding_piece, ' ');
    switch (now) {
      case Misbehaviour::none:
        co_return co_await put(socket, whole(answer));
      case Misbehaviour::stray_bytes:
        co_return co_await put(socket, whole(answer) + std::string(stray_answer));
      case Misbehaviour::interim_answers:
        co_return co_await put(socket, std::string(interim_answers) + whole(answer));
      case Misbehaviour::endless_chunks: {
        if (!co_await put(socket, head(answer, "Transfer-Encoding: chunked\r\n") + chunk(answer.body)))
          co_return false;
        const std::string endless = chunk(padding_chunk);
        while (co_await put(socket, endless)) padding += padding_piece;
        co_return false;
      }
      case Misbehaviour::huge_body: {
        const std::string length = "Content-Length: " + std::to_string(advertised_huge_body) + "\r\n";
        if (!co_await put(socket, head(answer, length) + answer.body)) co_return false;
        for (std::uint64_t sent = answer.body.size(); sent < advertised_huge_body; sent += padding_piece) {
          const auto piece = std::min<std::uint64_t>(padding_piece, advertised_huge_body - sent);
          if (!co_await put(socket, std::string_view(padding_chunk).substr(0, piece))) co_return false;
          padding += piece;
        }
        co_return false;
      }
      case Misbehaviour::drip: {
        const std::string bytes = whole(answer);
        asio::steady_timer pause(socket.get_executor());
        for (const char& byte : bytes) {
          if (!co_await put(socket, std::string_view(&byte, 1))) co_return false;
          pause.expires_after(drip_interval);
          co_await pause.async_wait(use_tuple);
        }
        co_return true;
      }
      case Misbehaviour::never_answer:
        co_await until_gone(socket);
        co_return false;
      case Misbehaviour::close_mid_answer: {
        const std::string bytes = whole(answer);
        const std::size_t cut = bytes.size() - std::max<std::size_t>(1, answer.body.size() / 2);
        co_await put(socket, std::string_view(bytes).substr(0, cut));
        co_return false;
      }
      case Misbehaviour::never_read:  // the way changed while the request was read
        co_return co_await put(socket, whole(answer));
    }
    co_return false;
  }
};

HostileDestination::HostileDestination(asio::any_io_executor executor, Upstream upstream)
    : state_(std::make_shared<State>(executor, std::move(upstream))) {
  asio::co_spawn(executor, state_->accept(), asio::detached);
}

HostileDestination::~HostileDestination() { stop(); }

std::uint16_t HostileDestination::port() const { return state_->port; }
std::string HostileDestination::url() const { return "http://127.0.0.1:" + std::to_string(port()); }

void HostileDestination::misbehave(Misbehaviour way) {
  state_->way = way;
  state_->release_held();
  if (way == Misbehaviour::never_read) State::close_all(state_->idle);
}

Misbehaviour HostileDestination::way() const { return state_->way; }
void HostileDestination::set_drip_interval(std::chrono::milliseconds interval) {
  state_->drip_interval = interval;
}

void HostileDestination::stop() {
  boost::system::error_code ignored;
  state_->acceptor.close(ignored);
  state_->release_held();
  State::close_all(state_->idle);
}

std::uint64_t HostileDestination::misbehaved() const { return state_->misbehaved; }
std::chrono::milliseconds HostileDestination::longest_stay() const { return state_->longest_stay; }
std::uint64_t HostileDestination::padding_bytes() const { return state_->padding; }

}  // namespace ltf::test
