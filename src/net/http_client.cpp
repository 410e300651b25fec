#include "ltf/net.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <ares.h>
#include <netinet/in.h>
#include <poll.h>

#include <cerrno>
#include <cstring>
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

// Looks a host name up with c-ares, synchronously on this thread: /etc/hosts, then DNS per
// /etc/resolv.conf (timeouts and attempts from its options). Not glibc's getaddrinfo: in the static
// release binary that would dlopen NSS modules (libnss_*.so) of the glibc we linked against from
// whatever image we run in, which an Amazon Linux image or an empty root does not have.
boost::system::error_code lookup(const std::string& host, unsigned short port,
                                 std::vector<tcp::endpoint>& out) {
  static const int library = ares_library_init(ARES_LIB_INIT_ALL);
  if (library != ARES_SUCCESS) return asio::error::no_memory;
  ares_channel channel = nullptr;
  if (ares_init(&channel) != ARES_SUCCESS) return asio::error::no_memory;
  struct Result {
    int status;
    bool done;
    std::vector<tcp::endpoint>* out;
    unsigned short port;
  } result{ARES_ETIMEOUT, false, &out, port};
  ares_addrinfo_hints hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  auto done = [](void* arg, int status, int, ares_addrinfo* info) {
    auto& r = *static_cast<Result*>(arg);
    r.status = status;
    r.done = true;
    if (!info) return;
    for (auto* node = info->nodes; node; node = node->ai_next) {
      if (node->ai_family == AF_INET) {
        const auto* in = reinterpret_cast<const sockaddr_in*>(node->ai_addr);
        asio::ip::address_v4::bytes_type bytes;
        std::memcpy(bytes.data(), &in->sin_addr, bytes.size());
        r.out->emplace_back(asio::ip::address_v4(bytes), r.port);
      } else if (node->ai_family == AF_INET6) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(node->ai_addr);
        asio::ip::address_v6::bytes_type bytes;
        std::memcpy(bytes.data(), &in6->sin6_addr, bytes.size());
        r.out->emplace_back(asio::ip::address_v6(bytes, in6->sin6_scope_id), r.port);
      }
    }
    ares_freeaddrinfo(info);
  };
  ares_getaddrinfo(channel, host.c_str(), nullptr, &hints, done, &result);
  while (!result.done) {  // c-ares ends every query (answer, error or its own timeout)
    ares_socket_t socks[ARES_GETSOCK_MAXNUM];
    const int mask = ares_getsock(channel, socks, ARES_GETSOCK_MAXNUM);
    std::vector<pollfd> fds;
    for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
      const int events = (ARES_GETSOCK_READABLE(mask, i) ? POLLIN : 0) |
                         (ARES_GETSOCK_WRITABLE(mask, i) ? POLLOUT : 0);
      if (events) fds.push_back(pollfd{socks[i], static_cast<short>(events), 0});
    }
    timeval tv{};
    const timeval* wait = ares_timeout(channel, nullptr, &tv);
    const int ms = wait ? static_cast<int>(wait->tv_sec * 1000 + wait->tv_usec / 1000) : 1000;
    const int ready = ::poll(fds.data(), fds.size(), ms);
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) {  // a timeout: c-ares retries or gives up
      ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
      continue;
    }
    for (const auto& p : fds) {
      if (!p.revents) continue;
      const bool readable = p.revents & (POLLIN | POLLERR | POLLHUP);
      ares_process_fd(channel, readable ? p.fd : ARES_SOCKET_BAD,
                      p.revents & POLLOUT ? p.fd : ARES_SOCKET_BAD);
    }
  }
  ares_destroy(channel);  // ends a query still running (poll failed) through the callback
  if (result.status == ARES_SUCCESS && !out.empty()) return {};
  out.clear();
  switch (result.status) {
    case ARES_SUCCESS:
    case ARES_ENOTFOUND:
    case ARES_ENODATA:
    case ARES_ENONAME: return asio::error::host_not_found;
    case ARES_ENOMEM: return asio::error::no_memory;
    default: return asio::error::host_not_found_try_again;  // timeout, refused, SERVFAIL, ...
  }
}

// Resolves without asio's resolver, which would use getaddrinfo (async: on a hidden thread):
// numeric hosts need no lookup, and names are looked up synchronously once and cached.
boost::system::error_code resolve(HttpClient::State& s) {
  if (!s.endpoints.empty()) return {};
  boost::system::error_code ec;
  const auto port = static_cast<unsigned short>(std::stoul(s.port));
  auto address = asio::ip::make_address(s.host, ec);
  if (!ec) {
    s.endpoints.emplace_back(address, port);
    return {};
  }
  return lookup(s.host, port, s.endpoints);
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
