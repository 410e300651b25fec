// HttpClient over TLS against an https server on the test's io_context, with a PKI made at test
// time; where CA certificates come from; gzip bodies.

#include "ltf/net.hpp"
#include "support/await.hpp"
#include "unit/net/test_tls.hpp"

#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/error.hpp>
#include <openssl/x509_vfy.h>

#include <gtest/gtest.h>

#include <map>

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using ltf::net::CaSource;
using ltf::net::Exchange;
using ltf::net::HttpClient;
using ltf::net::Request;
using ltf::test::TestPki;
using ltf::test::TlsServer;
using namespace std::chrono_literals;

const TestPki& pki() {
  static const TestPki made;
  return made;
}

Request post(std::string body) {
  Request r{http::verb::post, "/in", 11};
  r.body() = std::move(body);
  return r;
}

std::shared_ptr<asio::ssl::context> trusting(const std::string& ca_file) {
  auto setup = ltf::net::make_tls_context({true, ca_file});
  EXPECT_TRUE(setup.problem.empty()) << setup.problem;
  EXPECT_EQ(setup.source.origin, "LTF_CA_FILE");
  return setup.context;
}

Exchange send_once(asio::io_context& io, HttpClient& client, std::string body = "x") {
  return ltf::test::run_until_done(io, client.send(post(std::move(body)), 5s));
}

TEST(Tls, TrustedServerAnswersWithSniAndOneConnectionServesManyRequests) {
  asio::io_context io;
  TlsServer server(io, pki().cert("server"), pki().key("server"));
  HttpClient client(io.get_executor(), "localhost", std::to_string(server.port()), {},
                    trusting(pki().ca()));
  for (int i = 0; i < 3; ++i) {
    auto exchange = send_once(io, client, "b" + std::to_string(i));
    ASSERT_TRUE(exchange.ok()) << exchange.error.message();
    EXPECT_EQ(exchange.response.body(), "tls:b" + std::to_string(i));
  }
  EXPECT_EQ(client.connections_opened(), 1u);
  EXPECT_EQ(server.connections, 1);
  EXPECT_EQ(server.server_names, std::vector<std::string>{"localhost"});
  ASSERT_EQ(server.received.size(), 3u);
  EXPECT_EQ(server.received[0][http::field::host], "localhost:" + std::to_string(server.port()));
}

TEST(Tls, AnAddressIsCheckedAgainstTheCertificateAndSendsNoSni) {
  asio::io_context io;
  TlsServer server(io, pki().cert("server"), pki().key("server"));
  HttpClient client(io.get_executor(), "127.0.0.1", std::to_string(server.port()), {},
                    trusting(pki().ca()));
  auto exchange = send_once(io, client);
  ASSERT_TRUE(exchange.ok()) << exchange.error.message();
  EXPECT_EQ(server.server_names, std::vector<std::string>{""});
}

TEST(Tls, AnUntrustedCertificateFailsWithACertificateError) {
  asio::io_context io;
  TlsServer server(io, pki().cert("server"), pki().key("server"));
  HttpClient client(io.get_executor(), "localhost", std::to_string(server.port()), {},
                    trusting(pki().other_ca()));
  auto exchange = send_once(io, client);
  ASSERT_FALSE(exchange.ok());
  EXPECT_EQ(exchange.error.category(), ltf::net::certificate_category());
  EXPECT_EQ(exchange.error.value(), X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY)
      << exchange.error.message();
  EXPECT_FALSE(exchange.error.message().empty());
  EXPECT_TRUE(server.received.empty());
}

TEST(Tls, ACertificateForAnotherHostFailsWithHostnameMismatch) {
  asio::io_context io;
  TlsServer server(io, pki().cert("elsewhere"), pki().key("elsewhere"));
  HttpClient client(io.get_executor(), "localhost", std::to_string(server.port()), {},
                    trusting(pki().ca()));
  auto exchange = send_once(io, client);
  ASSERT_FALSE(exchange.ok());
  EXPECT_EQ(exchange.error.category(), ltf::net::certificate_category());
  EXPECT_EQ(exchange.error.value(), X509_V_ERR_HOSTNAME_MISMATCH) << exchange.error.message();
  EXPECT_NE(exchange.error.message().find("mismatch"), std::string::npos)
      << exchange.error.message();
  EXPECT_TRUE(server.received.empty());

  HttpClient by_address(io.get_executor(), "127.0.0.1", std::to_string(server.port()), {},
                        trusting(pki().ca()));
  auto refused = send_once(io, by_address);
  EXPECT_EQ(refused.error.value(), X509_V_ERR_IP_ADDRESS_MISMATCH) << refused.error.message();
}

TEST(Tls, AnExpiredCertificateFails) {
  asio::io_context io;
  TlsServer server(io, pki().cert("expired"), pki().key("expired"));
  HttpClient client(io.get_executor(), "localhost", std::to_string(server.port()), {},
                    trusting(pki().ca()));
  auto exchange = send_once(io, client);
  ASSERT_FALSE(exchange.ok());
  EXPECT_EQ(exchange.error.category(), ltf::net::certificate_category());
  EXPECT_EQ(exchange.error.value(), X509_V_ERR_CERT_HAS_EXPIRED) << exchange.error.message();
}

TEST(Tls, VerificationTurnedOffConnectsToAnyone) {
  asio::io_context io;
  TlsServer server(io, pki().cert("elsewhere"), pki().key("elsewhere"));
  auto setup = ltf::net::make_tls_context({false, {}});
  EXPECT_EQ(setup.source.kind, CaSource::Kind::none) << "nothing is loaded when nothing is checked";
  HttpClient client(io.get_executor(), "localhost", std::to_string(server.port()), {},
                    setup.context);
  auto exchange = send_once(io, client);
  ASSERT_TRUE(exchange.ok()) << exchange.error.message();
  EXPECT_EQ(exchange.response.body(), "tls:x");
}

TEST(Tls, AConnectionTheServerClosedWhileIdleIsReplacedWithoutResending) {
  asio::io_context io;
  TlsServer server(io, pki().cert("server"), pki().key("server"));
  server.close_after_each_answer = true;
  HttpClient client(io.get_executor(), "localhost", std::to_string(server.port()), {},
                    trusting(pki().ca()));
  ltf::test::run_until_done(io, [&]() -> asio::awaitable<void> {
    for (int i = 0; i < 3; ++i) {
      auto exchange = co_await client.send(post("n" + std::to_string(i)), 5s);
      EXPECT_TRUE(exchange.ok()) << exchange.error.message();
      EXPECT_EQ(exchange.response.body(), "tls:n" + std::to_string(i));
      co_await server.wait_until_closed(i + 1);  // idle, and the server hangs up meanwhile
    }
  }());
  EXPECT_EQ(client.connections_opened(), 3u);
  EXPECT_EQ(server.received.size(), 3u) << "each request reached the server exactly once";
}

TEST(Tls, AServerThatEndsKeepAliveGetsANewConnection) {
  asio::io_context io;
  TlsServer server(io, pki().cert("server"), pki().key("server"));
  server.requests_per_connection = 2;
  HttpClient client(io.get_executor(), "localhost", std::to_string(server.port()), {},
                    trusting(pki().ca()));
  for (int i = 0; i < 5; ++i) {
    auto exchange = send_once(io, client, std::to_string(i));
    ASSERT_TRUE(exchange.ok()) << i << ": " << exchange.error.message();
  }
  EXPECT_EQ(client.connections_opened(), 3u);
  EXPECT_EQ(server.received.size(), 5u);
}

TEST(Tls, AServerThatNeverHandshakesTimesOut) {
  asio::io_context io;
  asio::ip::tcp::acceptor silent(io, {asio::ip::make_address("127.0.0.1"), 0});
  asio::ip::tcp::socket accepted(io);
  silent.async_accept(accepted, [](boost::system::error_code) {});
  ltf::net::ClientLimits limits;
  limits.connect_timeout = 100ms;  // the exchange's own 5 s is not what ends it
  HttpClient client(io.get_executor(), "127.0.0.1",
                    std::to_string(silent.local_endpoint().port()), limits, trusting(pki().ca()));
  auto exchange = send_once(io, client);
  EXPECT_EQ(exchange.error, boost::beast::error::timeout) << exchange.error.message();
}

TEST(Tls, PlainHttpClientsAreUnchangedByTheTlsParameter) {
  // A TLS client talking to a plain TCP listener that answers HTTP fails cleanly, no crash.
  asio::io_context io;
  ltf::net::HttpServer plain(io.get_executor(), [](Request&) -> asio::awaitable<ltf::net::Response> {
    co_return ltf::net::Response{http::status::ok, 11};
  });
  ASSERT_FALSE(plain.listen({asio::ip::make_address("127.0.0.1"), 0}));
  plain.start();
  HttpClient client(io.get_executor(), "127.0.0.1", std::to_string(plain.port()), {},
                    trusting(pki().ca()));
  auto exchange = send_once(io, client);
  EXPECT_FALSE(exchange.ok());
  plain.stop();
}

// --- where CA certificates come from

struct FakeEnv {
  std::map<std::string, std::string> vars;
  std::function<const char*(const char*)> getenv() const {
    return [this](const char* name) -> const char* {
      auto it = vars.find(name);
      return it == vars.end() ? nullptr : it->second.c_str();
    };
  }
};

TEST(CaSource, CustomFileThenSslCertFileThenSslCertDirThenTheSystem) {
  FakeEnv env{{{"SSL_CERT_FILE", "/env/bundle.pem"}, {"SSL_CERT_DIR", "/a:/b"}}};
  auto custom = ltf::net::find_ca_source({true, "/custom/ca.pem"}, env.getenv());
  EXPECT_EQ(custom.kind, CaSource::Kind::file);
  EXPECT_EQ(custom.path, "/custom/ca.pem");
  EXPECT_EQ(custom.origin, "LTF_CA_FILE");

  auto file = ltf::net::find_ca_source({}, env.getenv());
  EXPECT_EQ(file.kind, CaSource::Kind::file);
  EXPECT_EQ(file.path, "/env/bundle.pem");
  EXPECT_EQ(file.origin, "SSL_CERT_FILE");

  env.vars.erase("SSL_CERT_FILE");
  auto dirs = ltf::net::find_ca_source({}, env.getenv());
  EXPECT_EQ(dirs.kind, CaSource::Kind::directories);
  EXPECT_EQ(dirs.path, "/a:/b");
  EXPECT_EQ(dirs.origin, "SSL_CERT_DIR");

  env.vars.clear();
  auto system = ltf::net::find_ca_source({}, env.getenv());
  EXPECT_EQ(system.origin, "system");
  if (ltf::net::is_hashed_ca_directory("/etc/ssl/certs")) {  // Debian with ca-certificates
    EXPECT_EQ(system.kind, CaSource::Kind::directories);
    EXPECT_EQ(system.path, "/etc/ssl/certs");
  }
}

TEST(CaSource, AHashedDirectoryIsRecognisedByItsLinkNames) {
  const auto& dir = pki().dir();
  const auto hashed = dir / "hashed";
  const auto plain = dir / "plain";
  std::filesystem::create_directories(hashed);
  std::filesystem::create_directories(plain);
  std::filesystem::copy_file(pki().ca(), plain / "ca-bundle.crt",
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(pki().ca(), plain / "0123abcd.r0",  // a CRL's name: not a CA
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(pki().ca(), hashed / "0123abcd.0",
                             std::filesystem::copy_options::overwrite_existing);
  EXPECT_TRUE(ltf::net::is_hashed_ca_directory(hashed.string()));
  EXPECT_FALSE(ltf::net::is_hashed_ca_directory(plain.string()));
  EXPECT_FALSE(ltf::net::is_hashed_ca_directory((dir / "missing").string()));
}

TEST(CaSource, AMissingCaFileIsAProblemNotACrash) {
  auto setup = ltf::net::make_tls_context({true, pki().path("no-such.pem")});
  ASSERT_NE(setup.context, nullptr);
  EXPECT_NE(setup.problem.find("no-such.pem"), std::string::npos) << setup.problem;
}

// --- gzip

TEST(Gzip, RoundTripsThroughZlibInflate) {
  std::string text;
  for (int i = 0; i < 2000; ++i)
    text += R"({"time":"2022-10-12T00:03:50.000Z","type":"function","record":"line )" +
            std::to_string(i) + "\"},";
  const auto packed = ltf::net::gzip(text);
  ASSERT_GE(packed.size(), 18u);
  EXPECT_EQ(static_cast<unsigned char>(packed[0]), 0x1f);  // gzip magic
  EXPECT_EQ(static_cast<unsigned char>(packed[1]), 0x8b);
  EXPECT_LT(packed.size(), text.size() / 4);
  EXPECT_EQ(ltf::test::gunzip(packed), text);
  EXPECT_EQ(ltf::test::gunzip(ltf::net::gzip("")), "");
  EXPECT_EQ(ltf::test::gunzip(ltf::net::gzip(text, 9)), text);
}

}  // namespace

namespace {

TEST(Tls, AStalledHandshakeEndsAtTheHandshakeTimeoutNotTheRequestTimeout) {
  asio::io_context io;
  // Listening but never accepting: the kernel completes TCP connections, nobody speaks TLS.
  asio::ip::tcp::acceptor silent(io, {asio::ip::make_address("127.0.0.1"), 0});
  ltf::net::ClientLimits limits;
  limits.handshake_timeout = std::chrono::milliseconds(100);
  HttpClient client(io.get_executor(), "localhost", std::to_string(silent.local_endpoint().port()),
                    limits, trusting(pki().ca()));
  // A request timeout of an hour: only the handshake timeout can end this within the safety
  // limit of run_until_done.
  auto exchange = ltf::test::run_until_done(io, client.send(post("x"), std::chrono::hours(1)),
                                            std::chrono::seconds(20));
  ASSERT_FALSE(exchange.ok());
  EXPECT_EQ(exchange.error, boost::beast::error::timeout) << exchange.error.message();
}

}  // namespace
