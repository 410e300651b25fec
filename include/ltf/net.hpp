#pragma once
// HTTP plumbing shared by everything that speaks HTTP: a Beast server that runs one coroutine per
// connection, and a client that owns one kept-alive connection. No business logic lives here.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace ltf::net {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

// ---------------------------------------------------------------------------------------------
// URLs

struct HttpUrl {
  std::string scheme;  // "http" or "https"
  std::string host;
  std::string port;    // always set: the scheme's default when the URL has none
  std::string target;  // path and query, at least "/"
};

// Parses an absolute http(s) URL with Boost.URL. Returns nullopt and sets `why` when it is not one.
std::optional<HttpUrl> parse_http_url(std::string_view text, std::string* why = nullptr);

// ---------------------------------------------------------------------------------------------
// Server

struct ServerLimits {
  std::uint64_t body_limit = 1024 * 1024;  // larger bodies are answered 413 by Beast's parser
  std::uint32_t header_limit = 16 * 1024;
};

// Produces the response to one request. The server fills in version and keep-alive.
using RequestHandler = std::function<asio::awaitable<Response>(Request&)>;
// Told when the server itself refuses a request before any handler saw it (413, 400).
using RefusalObserver = std::function<void(http::status, std::string_view why)>;

class HttpServer {
 public:
  HttpServer(asio::any_io_executor executor, RequestHandler handler, ServerLimits limits = {},
             RefusalObserver on_refused = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Opens, binds and listens. Reports the failure (address in use, ...) instead of throwing.
  boost::system::error_code listen(const asio::ip::tcp::endpoint& endpoint);
  // Starts the accept loop on the executor; each connection gets its own coroutine.
  void start();
  // Closes the acceptor and every open connection. Objects the handler refers to must outlive
  // this call; after it, the io_context runs out of server work.
  void stop();
  std::uint16_t port() const;

  struct State;  // defined in http_server.cpp

 private:
  std::shared_ptr<State> state_;
};

// ---------------------------------------------------------------------------------------------
// Client

struct ClientLimits {
  std::uint64_t response_body_limit = 1024 * 1024;  // a peer answering more is a failed exchange
};

// The outcome of one request: `error` is set when no complete response arrived (refused, reset,
// timed out, garbage); otherwise `response` holds it, whatever its status.
struct Exchange {
  boost::system::error_code error;
  Response response;
  bool ok() const { return !error; }
};

// Owns one connection to host:port, kept alive across requests. A connection the peer closed while
// it sat idle (the sandbox was frozen, the server timed it out) is detected on the next request and
// replaced once, transparently. Single coroutine at a time: callers must not overlap send()s.
class HttpClient {
 public:
  HttpClient(asio::any_io_executor executor, std::string host, std::string port,
             ClientLimits limits = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends `request` (Host header and payload size are filled in) and reads the response.
  // `timeout` bounds the whole exchange including connecting; nullopt waits forever (the
  // Extensions API long-poll must have no timeout at all).
  asio::awaitable<Exchange> send(Request request,
                                 std::optional<std::chrono::milliseconds> timeout);
  // Drops the connection; the next send() opens a new one.
  void close();

  const std::string& host() const;
  const std::string& port() const;

  struct State;  // defined in http_client.cpp

 private:
  std::unique_ptr<State> state_;
};

}  // namespace ltf::net
