// HttpClient: one kept-alive http(s) connection to a host, names looked up through the Resolver,
// answers framed strictly (nothing beyond an answer is ever read as the next one).
#include "ltf/net.hpp"
#include "read_buffer.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <vector>

namespace ltf::net {

namespace beast = boost::beast;
using asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
using Clock = std::chrono::steady_clock;

struct HttpClient::State {
  asio::any_io_executor executor;
  std::string host;
  std::string port;
  std::string host_header;
  ClientLimits limits;
  unsigned short port_number = 0;
  std::shared_ptr<Resolver> resolver;  // from the limits; null: the io_context's shared one
  std::shared_ptr<asio::ssl::context> tls;  // set: https
  std::optional<beast::tcp_stream> stream;  // the connection (http)
  std::optional<TlsStream> tls_stream;      // the connection (https)
  beast::flat_buffer buffer;
  std::uint64_t opened = 0;

  bool connected() const { return stream || tls_stream; }
  beast::tcp_stream& lowest() { return tls_stream ? beast::get_lowest_layer(*tls_stream) : *stream; }
};

namespace {

// Errors that mean "the peer had already closed this idle connection": the request never reached
// it, so sending it again on a new connection neither loses nor doubles it.
bool closed_while_idle(const boost::system::error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::ssl::error::stream_truncated;
}

// Whether an idle kept-alive connection is already finished: the peer closed it (FIN or RST
// waiting), or sent something unasked (a TLS close_notify; an HTTP server has nothing to say
// between requests). Checked before a request is written, so a connection that died while the
// sandbox was frozen is replaced before the request goes anywhere. One non-blocking peek.
bool peer_hung_up(tcp::socket& socket) {
  char byte = 0;
  const auto n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n < 0) return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
  return true;  // 0: orderly shutdown; > 0: unasked bytes
}

// Bounds the stream's next operations; time_point::max() means no bound at all.
void arm(beast::tcp_stream& stream, Clock::time_point deadline) {
  if (deadline == Clock::time_point::max()) stream.expires_never();
  else stream.expires_at(deadline);
}

constexpr std::chrono::milliseconds goodbye_limit{500};

// Sends close_notify and waits a bounded moment for the peer's, off the caller's path.
asio::awaitable<void> say_goodbye(TlsStream stream, std::shared_ptr<asio::ssl::context>) {
  beast::get_lowest_layer(stream).expires_after(goodbye_limit);
  co_await stream.async_shutdown(use_tuple);
  boost::system::error_code ignored;
  beast::get_lowest_layer(stream).socket().close(ignored);
}

// Drops the connection. `graceful`: it is healthy, so a TLS one is closed with close_notify
// (detached, bounded); otherwise the socket is simply closed.
void drop(HttpClient::State& s, bool graceful) {
  if (!s.connected()) return;
  boost::system::error_code ignored;
  if (s.tls_stream && graceful) {
    auto stream = std::move(*s.tls_stream);
    asio::co_spawn(s.executor, say_goodbye(std::move(stream), s.tls), asio::detached);
  } else {
    s.lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    s.lowest().socket().close(ignored);
  }
  s.stream.reset();
  s.tls_stream.reset();
  s.buffer.clear();
}

// A failed handshake as the user needs to read it: the certificate's problem when there is one.
boost::system::error_code handshake_error(TlsStream& stream, boost::system::error_code ec) {
  const long verdict = SSL_get_verify_result(stream.native_handle());
  if (verdict != X509_V_OK) return {static_cast<int>(verdict), certificate_category()};
  return ec;
}

// asio's host name check, telling OpenSSL why it failed so the error can say so.
struct VerifyHost {
  std::string host;
  bool operator()(bool preverified, asio::ssl::verify_context& context) const {
    if (asio::ssl::host_name_verification(host)(preverified, context)) return true;
    X509_STORE_CTX* native = context.native_handle();
    if (preverified && X509_STORE_CTX_get_error_depth(native) == 0) {
      boost::system::error_code not_ip;
      asio::ip::make_address(host, not_ip);
      X509_STORE_CTX_set_error(native, not_ip ? X509_V_ERR_HOSTNAME_MISMATCH
                                              : X509_V_ERR_IP_ADDRESS_MISMATCH);
    }
    return false;
  }
};

// The endpoints to try, through the shared resolver (numeric hosts need no look-up), before
// `deadline`. The resolver caches answers for their TTL, so this costs a query only now and then.
asio::awaitable<boost::system::error_code> resolve(HttpClient::State& s,
                                                   Clock::time_point deadline,
                                                   std::vector<tcp::endpoint>& out) {
  if (s.port_number == 0) co_return boost::system::error_code(asio::error::invalid_argument);
  boost::system::error_code not_numeric;
  const auto literal = asio::ip::make_address(s.host, not_numeric);
  if (!not_numeric) {  // no resolver needed at all (nor made: c-ares reads files to start)
    out.emplace_back(literal, s.port_number);
    co_return boost::system::error_code{};
  }
  // Asked each time (a cheap look-up), so use_resolver_options() applies to existing clients too.
  // Held while awaiting, whatever happens to the client meanwhile.
  const auto resolver = s.resolver ? s.resolver : shared_resolver(s.executor);
  auto found = co_await resolver->resolve(s.host, deadline);
  if (found.error) co_return found.error;
  for (const auto& address : found.addresses) out.emplace_back(address, s.port_number);
  co_return boost::system::error_code{};
}

// Opens the connection: resolve, connect, and for https the TLS handshake (SNI, certificate and
// host name checked when the context verifies peers), all before `deadline`.
asio::awaitable<boost::system::error_code> open(HttpClient::State& s, Clock::time_point deadline) {
  std::vector<tcp::endpoint> endpoints;
  if (auto ec = co_await resolve(s, deadline, endpoints)) co_return ec;
  if (s.tls) s.tls_stream.emplace(s.executor, *s.tls);
  else s.stream.emplace(s.executor);
  arm(s.lowest(), deadline);
  auto [ec, endpoint] = co_await s.lowest().async_connect(endpoints, use_tuple);
  if (ec) {
    drop(s, false);
    co_return ec;
  }
  ++s.opened;
  s.lowest().socket().set_option(tcp::no_delay(true));
  if (!s.tls) co_return boost::system::error_code{};

  auto& tls = *s.tls_stream;
  boost::system::error_code literal;
  asio::ip::make_address(s.host, literal);
  // SNI carries names only (RFC 6066), never address literals.
  if (literal && !SSL_set_tlsext_host_name(tls.native_handle(), s.host.c_str())) {
    drop(s, false);
    co_return boost::system::error_code(asio::error::invalid_argument);
  }
  if (SSL_CTX_get_verify_mode(s.tls->native_handle()) & SSL_VERIFY_PEER) {
    const VerifyHost verify_host{s.host};
    tls.set_verify_callback(verify_host);
  }
  if (s.limits.handshake_timeout)
    arm(s.lowest(), std::min(deadline, Clock::now() + *s.limits.handshake_timeout));
  auto [hec] = co_await tls.async_handshake(asio::ssl::stream_base::client, use_tuple);
  if (hec) {
    const auto why = handshake_error(tls, hec);
    drop(s, false);
    co_return why;
  }
  co_return boost::system::error_code{};
}

// One request and its response on the open connection.
struct Trip {
  boost::system::error_code error;
  bool may_resend = false;  // the error says the peer had closed the connection unread
  bool left_unread = false;  // the reader wanted no more: the rest of the body is still coming
  Response response;         // its head; the body went to the reader
};

// Interim (1xx) answers read before giving up on a final one: a peer may send a few (100
// Continue, 103 Early Hints), not an endless stream of them.
constexpr int max_interim_answers = 8;

// Keeps the body in the answer, as send() without a reader returns it; the parser's body limit
// bounds it.
class KeepBody final : public BodyReader {
 public:
  std::string body;
  void start(const http::response_header<>&) override { body.clear(); }
  bool take(std::string_view piece) override {
    body.append(piece);
    return true;
  }
};

// Writes `request` and reads its final answer, skipping 1xx interim answers (RFC 9110 §15.2).
// 101 Switching Protocols is final but never asked for, so it fails the exchange. The body goes to
// `reader` a piece at a time (Beast's buffer_body): never more than one piece is held here.
template <typename Stream>
asio::awaitable<Trip> round_trip(Stream& stream, HttpClient::State& s, const Request& request,
                                 BodyReader& reader, Clock::time_point deadline) {
  auto [wec, written] = co_await http::async_write(stream, request, use_tuple);
  if (wec) co_return Trip{wec, closed_while_idle(wec), false, {}};
  for (int interim = 0;; ++interim) {
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(s.limits.response_body_limit);
    auto [rec, read] = co_await http::async_read_header(stream, s.buffer, parser, use_tuple);
    if (rec) {
      const bool unread = interim == 0 && !parser.got_some();
      co_return Trip{rec, unread && closed_while_idle(rec), false, {}};
    }
    const auto status = parser.get().result_int();
    if (status == 101 || (status < 200 && interim + 1 >= max_interim_answers))
      co_return Trip{http::error::bad_status, false, false, {}};
    if (status < 200) continue;  // a 1xx has no body: the next answer follows it

    reader.start(parser.get().base());
    make_room_for_body(s.buffer, parser.content_length());
    std::array<char, body_piece_bytes> piece;
    while (!parser.is_done()) {
      parser.get().body().data = piece.data();
      parser.get().body().size = piece.size();
      auto [bec, n] = co_await http::async_read(stream, s.buffer, parser, use_tuple);
      if (bec && bec != http::error::need_buffer) co_return Trip{bec, false, false, {}};
      const std::size_t got = piece.size() - parser.get().body().size;
      if (got > 0 && !reader.take({piece.data(), got})) {
        Response head(std::move(parser.get().base()));
        co_return Trip{{}, false, true, std::move(head)};
      }
      // The stream's own timeout fires only while a read waits: a body that never stops
      // arriving, faster than it is read, would never meet it.
      if (Clock::now() >= deadline) co_return Trip{beast::error::timeout, false, false, {}};
    }
    Response head(std::move(parser.get().base()));
    co_return Trip{{}, false, false, std::move(head)};
  }
}
}  // namespace

HttpClient::HttpClient(asio::any_io_executor executor, std::string host, std::string port,
                       ClientLimits limits, std::shared_ptr<asio::ssl::context> tls)
    : state_(std::make_unique<State>()) {
  state_->executor = std::move(executor);
  state_->host = std::move(host);
  state_->port = std::move(port);
  const bool ipv6 = state_->host.find(':') != std::string::npos;
  state_->host_header = ipv6 ? "[" + state_->host + "]" : state_->host;
  if (state_->port != "80" && state_->port != "443") state_->host_header += ":" + state_->port;
  const auto& digits = state_->port;  // not a number in 1-65535: every send() says so
  const auto [end, err] = std::from_chars(digits.data(), digits.data() + digits.size(), state_->port_number);
  if (err != std::errc{} || end != digits.data() + digits.size()) state_->port_number = 0;
  state_->limits = limits;
  state_->resolver = std::move(state_->limits.resolver);
  state_->tls = std::move(tls);
}

// No close_notify from here: the io_context may already be going away.
HttpClient::~HttpClient() { drop(*state_, false); }

void HttpClient::close() { drop(*state_, true); }

std::uint64_t HttpClient::connections_opened() const { return state_->opened; }

const std::string& HttpClient::host() const { return state_->host; }
const std::string& HttpClient::port() const { return state_->port; }

asio::awaitable<Exchange> HttpClient::send(Request request,
                                           std::optional<std::chrono::milliseconds> timeout) {
  KeepBody keep;
  Exchange exchange = co_await send(std::move(request), timeout, keep);
  if (exchange.ok()) exchange.response.body() = std::move(keep.body);
  co_return exchange;
}

asio::awaitable<Exchange> HttpClient::send(Request request,
                                           std::optional<std::chrono::milliseconds> timeout,
                                           BodyReader& reader) {
  auto& s = *state_;
  request.set(http::field::host, s.host_header);
  request.prepare_payload();
  const auto now = Clock::now();
  const auto deadline = timeout ? now + *timeout : Clock::time_point::max();
  const auto connect_deadline =
      s.limits.connect_timeout ? std::min(deadline, now + *s.limits.connect_timeout) : deadline;

  if (s.connected() && peer_hung_up(s.lowest().socket())) drop(s, false);
  for (int attempt = 0;; ++attempt) {
    const bool reused = s.connected();
    if (!reused) {
      if (auto ec = co_await open(s, connect_deadline)) co_return Exchange{ec, {}};
    }
    arm(s.lowest(), deadline);
    Trip trip;
    if (s.tls_stream) trip = co_await round_trip(*s.tls_stream, s, request, reader, deadline);
    else trip = co_await round_trip(*s.stream, s, request, reader, deadline);
    if (trip.error) {
      drop(s, false);
      if (reused && attempt == 0 && trip.may_resend) continue;
      co_return Exchange{trip.error, {}};
    }
    // Bytes beyond the answer are no answer to anything we asked: never read them as the next
    // request's. Such a peer, or one closing, gets a new connection next time; so does one whose
    // body was left unread.
    if (trip.left_unread || s.buffer.size() > 0) drop(s, false);
    else if (!trip.response.keep_alive()) drop(s, true);
    else s.lowest().expires_never();
    co_return Exchange{{}, std::move(trip.response)};
  }
}

}  // namespace ltf::net
