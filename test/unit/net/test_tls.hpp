#pragma once
// TLS test fixtures, shared by the net, sinks and integration tests: a throw-away PKI made with the
// `openssl` command at test time (no private key is ever committed), a small https server on the
// test's io_context, and gunzip to check gzip bodies.

#include "ltf/net.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace ltf::test {

// A CA, a second unrelated CA, and server certificates signed by the first: for localhost and
// 127.0.0.1, for another name only, and one already expired. Files live in a fresh temp dir.
class TestPki {
 public:
  TestPki() {
    char pattern[] = "/tmp/ltf-pki-XXXXXX";
    if (!::mkdtemp(pattern)) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
    make_ca("ca", "ltf test CA");
    make_ca("other-ca", "ltf unrelated CA");
    make_server("server", "ca", "DNS:localhost,IP:127.0.0.1", 2);
    make_server("elsewhere", "ca", "DNS:elsewhere.example", 2);
    make_server("expired", "ca", "DNS:localhost,IP:127.0.0.1", -1);
  }
  ~TestPki() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;

  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::string ca() const { return path("ca.crt"); }
  std::string other_ca() const { return path("other-ca.crt"); }
  // "server", "elsewhere" or "expired": the certificate and key files.
  std::string cert(const std::string& name) const { return path(name + ".crt"); }
  std::string key(const std::string& name) const { return path(name + ".key"); }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  void run(const std::string& command) const {
    const std::string line = "cd '" + dir_.string() + "' && " + command + " >openssl.log 2>&1";
    if (std::system(line.c_str()) != 0)
      throw std::runtime_error("openssl failed: " + command + " (see " + path("openssl.log") + ")");
  }
  static std::string new_key() { return "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"; }
  void make_ca(const std::string& name, const std::string& cn) const {
    run("openssl req -x509 " + new_key() + " -keyout " + name + ".key -out " + name +
        ".crt -days 2 -subj '/CN=" + cn + "'");
  }
  // days < 0: notAfter lies in the past, so the certificate has expired.
  void make_server(const std::string& name, const std::string& ca, const std::string& san,
                   int days) const {
    std::ofstream(path(name + ".ext")) << "subjectAltName=" << san
                                       << "\nbasicConstraints=CA:FALSE\n"
                                          "extendedKeyUsage=serverAuth\n";
    run("openssl req -new " + new_key() + " -keyout " + name + ".key -out " + name +
        ".csr -subj /CN=" + name);
    run("openssl x509 -req -in " + name + ".csr -CA " + ca + ".crt -CAkey " + ca +
        ".key -CAcreateserial -days " + std::to_string(days) + " -extfile " + name +
        ".ext -out " + name + ".crt");
  }

  std::filesystem::path dir_;
};

// An https server for tests: answers each request with "tls:" + its body, keeps connections alive
// for `requests_per_connection` requests, and records what it saw.
class TlsServer {
 public:
  using Stream = boost::beast::ssl_stream<boost::beast::tcp_stream>;
  using Handler = std::function<net::Response(const net::Request&)>;

  TlsServer(boost::asio::io_context& io, const std::string& cert, const std::string& key)
      : io_(io), context_(boost::asio::ssl::context::tls_server), acceptor_(io), closed_(io) {
    context_.use_certificate_chain_file(cert);
    context_.use_private_key_file(key, boost::asio::ssl::context::pem);
    acceptor_.open(boost::asio::ip::tcp::v4());
    acceptor_.set_option(boost::asio::socket_base::reuse_address(true));
    acceptor_.bind({boost::asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    closed_.expires_at(boost::asio::steady_timer::time_point::max());
    boost::asio::co_spawn(io, accept_loop(), boost::asio::detached);
  }
  ~TlsServer() { stop(); }

  void stop() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

  int requests_per_connection = 1000;
  // Set: after answering a request, the server drops the connection (FIN, no close_notify) although
  // its answer said keep-alive, as a server whose idle timeout ran out while we were frozen.
  bool close_after_each_answer = false;
  Handler handler = [](const net::Request& request) {
    net::Response response{boost::beast::http::status::ok, 11};
    response.body() = "tls:" + request.body();
    return response;
  };

  int connections = 0;          // completed handshakes
  int handshake_failures = 0;
  int closed_by_server = 0;
  std::vector<std::string> server_names;  // SNI of each connection ("" when none was sent)
  std::vector<net::Request> received;

  // Resumes once the server has closed `n` connections itself.
  boost::asio::awaitable<void> wait_until_closed(int n) {
    while (closed_by_server < n)
      co_await closed_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  }

 private:
  boost::asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] =
          co_await acceptor_.async_accept(boost::asio::as_tuple(boost::asio::use_awaitable));
      if (ec) co_return;
      boost::asio::co_spawn(io_, session(std::move(socket)), boost::asio::detached);
    }
  }

  boost::asio::awaitable<void> session(boost::asio::ip::tcp::socket socket) {
    namespace http = boost::beast::http;
    constexpr auto use_tuple = boost::asio::as_tuple(boost::asio::use_awaitable);
    Stream stream(std::move(socket), context_);
    auto [hec] = co_await stream.async_handshake(boost::asio::ssl::stream_base::server, use_tuple);
    if (hec) {
      ++handshake_failures;
      co_return;
    }
    ++connections;
    const char* sni = SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name);
    server_names.emplace_back(sni ? sni : "");
    boost::beast::flat_buffer buffer;
    for (int served = 1;; ++served) {
      net::Request request;
      auto [rec, bytes] = co_await http::async_read(stream, buffer, request, use_tuple);
      if (rec) co_return;
      received.push_back(request);
      net::Response response = handler(request);
      response.version(11);
      response.keep_alive(served < requests_per_connection);
      response.prepare_payload();
      auto [wec, written] = co_await http::async_write(stream, response, use_tuple);
      if (wec) co_return;
      if (!response.keep_alive() || close_after_each_answer) {
        boost::system::error_code ignored;
        auto& tcp = boost::beast::get_lowest_layer(stream).socket();
        if (close_after_each_answer) {
          tcp.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);  // FIN, at once
        } else {
          boost::beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(5));
          co_await stream.async_shutdown(use_tuple);  // close_notify both ways
        }
        tcp.close(ignored);
        ++closed_by_server;
        closed_.cancel();
        co_return;
      }
    }
  }

  boost::asio::io_context& io_;
  boost::asio::ssl::context context_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer closed_;
};

// Inflates a gzip member (windowBits 15 + 16); nullopt when it is not one.
inline std::optional<std::string> gunzip(const std::string& data) {
  z_stream z{};
  if (inflateInit2(&z, 15 + 16) != Z_OK) return std::nullopt;
  std::string out;
  char chunk[16384];
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  int status = Z_OK;
  while (status == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(chunk);
    z.avail_out = sizeof chunk;
    status = inflate(&z, Z_NO_FLUSH);
    out.append(chunk, sizeof chunk - z.avail_out);
    if (status == Z_BUF_ERROR && z.avail_in == 0) break;
  }
  const bool complete = status == Z_STREAM_END && z.avail_in == 0;
  inflateEnd(&z);
  if (!complete) return std::nullopt;
  return out;
}

}  // namespace ltf::test
