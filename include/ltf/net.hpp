#pragma once
// HTTP plumbing shared by everything that speaks HTTP: a Beast server that runs one coroutine per
// connection, and a client that owns one kept-alive connection. No business logic lives here.

#include "ltf/defaults.hpp"
#include "ltf/resolver.hpp"
#include "ltf/url.hpp"

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

namespace boost::asio::ssl {
class context;
}

namespace ltf::net {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

// URLs come from ltf/url.hpp (their own module, below config).
using ltf::HttpUrl;
using ltf::parse_http_url;

// ---------------------------------------------------------------------------------------------
// Server

// The server's defences against a peer that is slow, greedy or broken. Every wait below is counted
// in time the process was running (see freeze_gap): a connection that sat still because Lambda
// froze the sandbox is not the peer's fault. Each connection's waits are counted on a tick of a
// quarter of the shortest of the three timeouts, so a timeout takes effect up to one tick late.
struct ServerLimits {
  std::uint64_t body_limit = 1024 * 1024;  // larger bodies are answered 413 by Beast's parser
  std::uint32_t header_limit = 16 * 1024;
  // Bytes of request bodies all connections together may hold while they are read and handled.
  // A request whose body would go past it is answered 503 with Retry-After and its body read and
  // dropped, never buffered. Its body's declared length is reserved when its header arrives (a
  // chunked body reserves body_limit).
  std::uint64_t bodies_budget = 8 * 1024 * 1024;
  // Connections open at once. Further ones are not accepted until one closes: they wait in the
  // kernel's listen backlog, costing us neither a descriptor nor memory.
  std::size_t max_connections = 32;
  // From a request's first byte (or a new connection's accept) to the end of its header: a peer
  // sending half a header, or dripping it, is closed after this.
  std::chrono::milliseconds header_timeout{10'000};
  // From the end of a header to the body read and the answer written.
  std::chrono::milliseconds body_timeout{30'000};
  // A kept-alive connection with no request in progress is closed after this.
  std::chrono::milliseconds idle_timeout{60'000};
  // A timer that fires this much later than it was due means the process was not running (the
  // sandbox was frozen): that stretch is not counted against the peer.
  std::chrono::milliseconds freeze_gap{1'000};
  // After an accept error (out of descriptors, ...) the accept loop waits before trying again,
  // this long first, doubling up to accept_backoff_max, so that a persistent error cannot spin the
  // thread. A successful accept starts again from the first wait.
  std::chrono::milliseconds accept_backoff_initial{10};
  std::chrono::milliseconds accept_backoff_max{500};
};

// What the server did, for tests and statistics.
struct ServerStats {
  std::uint64_t accepted = 0;        // connections accepted
  std::uint64_t accept_errors = 0;   // accepts that failed (EMFILE, ...), each followed by a wait
  std::uint64_t timed_out = 0;       // connections closed for a header, body or idle timeout
  std::uint64_t over_budget = 0;     // requests answered 503: bodies_budget was spent
  std::size_t open = 0;              // connections open now
  std::size_t peak_open = 0;         // most connections open at once
  std::uint64_t bodies_bytes = 0;    // bytes reserved for bodies now
  std::uint64_t peak_bodies_bytes = 0;
};

// Produces the response to one request. The server fills in version and keep-alive.
using RequestHandler = std::function<asio::awaitable<Response>(Request&)>;
// Told when the server itself refuses a request before any handler saw it (413, 400, 503).
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
  // Closes every open connection (a handler still running finds its answer undeliverable) and
  // goes on accepting: what a peer sees when the other side's process was restored from a
  // snapshot without them (the emulator's SnapStart restore).
  void close_connections();
  std::uint16_t port() const;
  const ServerStats& stats() const;

  struct State;  // defined in http_server.cpp

 private:
  std::shared_ptr<State> state_;
};

// ---------------------------------------------------------------------------------------------
// TLS

struct TlsOptions {
  bool verify = true;   // peer certificate and host name; off only when a user says so explicitly
  std::string ca_file;  // a PEM bundle to trust instead of the system's (LTF_CA_FILE); empty: none
};

// Where trusted CA certificates come from, first match wins:
//   1. options.ca_file                    a bundle              (LTF_CA_FILE)
//   2. SSL_CERT_FILE                      a bundle              (OpenSSL's convention)
//   3. SSL_CERT_DIR                       hashed directories    (':'-separated)
//   4. /etc/ssl/certs, /etc/pki/tls/certs when hashed (c_rehash links such as 002c0b4f.0): looked
//      up on demand, so only the certificates a handshake needs are ever parsed
//   5. /etc/pki/tls/certs/ca-bundle.crt (Amazon Linux), /etc/ssl/certs/ca-certificates.crt
//      (Debian), /etc/ssl/cert.pem: a whole bundle, parsed up front (about 4 MB of memory)
struct CaSource {
  enum class Kind { none, file, directories } kind = Kind::none;
  std::string path;    // the file, or the directories joined with ':'
  std::string origin;  // "LTF_CA_FILE", "SSL_CERT_FILE", "SSL_CERT_DIR" or "system"
};
// `getenv` is a parameter so tests can choose what the environment says.
CaSource find_ca_source(const TlsOptions& options,
                        const std::function<const char*(const char*)>& getenv);
// True when `directory` holds OpenSSL subject-hash names (8 hex digits, '.', a number).
bool is_hashed_ca_directory(const std::string& directory);

// A client TLS context: TLS 1.2 or later, peer verification per `options`, CAs per
// find_ca_source(). Make one only when an https destination exists: trusting a whole bundle costs
// megabytes of memory. Never throws for a missing or unreadable CA source: the context is still
// made (every verified handshake will then fail, with a clear error) and `problem` says why.
struct TlsSetup {
  std::shared_ptr<asio::ssl::context> context;
  CaSource source;
  std::string problem;     // empty when the CAs loaded
  long rss_growth_kb = 0;  // VmRSS after minus before making the context (Linux; else 0)
};
TlsSetup make_tls_context(const TlsOptions& options);

// Certificate verification failures as error codes: the value is OpenSSL's X509_V_ERR_* and the
// message its text ("certificate has expired", "hostname mismatch", ...). HttpClient reports a
// refused certificate with this category, other TLS failures with asio's ssl category.
const boost::system::error_category& certificate_category();

// ---------------------------------------------------------------------------------------------
// gzip (Content-Encoding: gzip)

// `data` as a gzip member (RFC 1952). `level` is zlib's 0-9; 1 is fast and already shrinks
// telemetry JSON several times. Throws std::bad_alloc when zlib cannot get memory.
std::string gzip(std::string_view data, int level = 1);

// The reverse, for servers that accept gzip request bodies: inflates one or more gzip members.
// `max_size` bounds the output, so a small body cannot expand without limit.
struct Inflated {
  enum class Status { ok, invalid, too_large } status = Status::ok;
  std::string data;  // the inflated bytes (only when ok)
  bool ok() const { return status == Status::ok; }
};
Inflated gunzip(std::string_view data, std::size_t max_size);

// ---------------------------------------------------------------------------------------------
// Client

struct ClientLimits {
  std::uint64_t response_body_limit = 1024 * 1024;  // a peer answering more is a failed exchange
  // Bounds connecting plus the TLS handshake, within the exchange's own timeout. nullopt: only
  // the exchange's timeout applies.
  std::optional<std::chrono::milliseconds> connect_timeout;
  // Bounds the TLS handshake alone (a peer that accepts connections but stalls the handshake),
  // within both limits above. nullopt: only they apply.
  std::optional<std::chrono::milliseconds> handshake_timeout;
  // Looks the host up. null: the io_context's shared resolver (shared_resolver(), configured
  // with use_resolver_options()), so every client shares one cache and one look-up per host.
  std::shared_ptr<Resolver> resolver;
};

// The outcome of one request: `error` is set when no complete response arrived (refused, reset,
// timed out, garbage); otherwise `response` holds it, whatever its status.
struct Exchange {
  boost::system::error_code error;
  Response response;
  bool ok() const { return !error; }
};

// Takes an answer's body piece by piece as it arrives (HttpClient::send with a reader), so that
// reading a body costs one piece of memory, whatever the body's size: the caller keeps only what it
// needs of it (the items of a _bulk answer, the start of an error body).
class BodyReader {
 public:
  virtual ~BodyReader() = default;
  // The final answer's status line and headers, before any of its body.
  virtual void start(const http::response_header<>& head) = 0;
  // The next piece of the body (at most body_piece_bytes). False: nothing more is wanted; the rest
  // is left unread, the connection dropped, and the exchange still succeeds.
  virtual bool take(std::string_view piece) = 0;
};
inline constexpr std::size_t body_piece_bytes = defaults::response_body_piece;

// Owns one connection to host:port, kept alive across requests. A host name is looked up through
// the resolver (ClientLimits::resolver), within the connect deadline. A connection is reused only
// when the last answer ended cleanly: a peer that sent more than its answer, or said
// `Connection: close`, gets a new connection next time. 1xx interim answers are skipped. A connection the peer closed while
// it sat idle (the sandbox was frozen, the server timed it out) is detected on the next request and
// replaced once, transparently. Single coroutine at a time: callers must not overlap send()s.
// With a `tls` context it speaks https: SNI, and the peer's certificate checked against `host`
// when the context verifies peers. Closing a TLS connection sends close_notify from a detached,
// bounded coroutine: close() never waits for the peer.
class HttpClient {
 public:
  HttpClient(asio::any_io_executor executor, std::string host, std::string port,
             ClientLimits limits = {}, std::shared_ptr<asio::ssl::context> tls = nullptr);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends `request` (Host header and payload size are filled in) and reads the response.
  // `timeout` bounds the whole exchange including connecting; nullopt waits forever (the
  // Extensions API long-poll must have no timeout at all).
  asio::awaitable<Exchange> send(Request request,
                                 std::optional<std::chrono::milliseconds> timeout);
  // The same, with the body handed to `reader` as it arrives instead of kept in the response
  // (whose body stays empty). ClientLimits::response_body_limit still bounds the bytes read, the
  // timeout the time; `reader` must outlive the call.
  asio::awaitable<Exchange> send(Request request, std::optional<std::chrono::milliseconds> timeout,
                                 BodyReader& reader);
  // Drops the connection; the next send() opens a new one.
  void close();
  // Connections opened so far (a reused connection opens none): for tests and statistics.
  std::uint64_t connections_opened() const;

  const std::string& host() const;
  const std::string& port() const;

  struct State;  // defined in http_client.cpp

 private:
  std::unique_ptr<State> state_;
};

}  // namespace ltf::net
