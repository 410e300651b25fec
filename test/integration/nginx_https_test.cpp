// The forwarder in-process, delivering over https to a real nginx (Debian's package) on loopback,
// which proxies to the in-process RecordingSink. nginx brings its own keep-alive limit (it closes
// a connection after a few requests) and body-size limit (413), with a certificate from a CA made
// at test time and verification on.

#include "harness.hpp"
#include "support/await.hpp"
#include "unit/net/test_tls.hpp"

#include "ltf/sinks.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <spawn.h>
#include <sys/wait.h>

extern char** environ;

namespace {

namespace asio = boost::asio;
using ltf::test::Harness;
using ltf::test::TestPki;
using namespace std::chrono_literals;

constexpr const char* kNginx = "/usr/sbin/nginx";
constexpr int kKeepaliveRequests = 3;
constexpr std::size_t kBodyLimit = 64 * 1024;

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// nginx in the foreground (no daemon, no master), configured in the PKI's temp dir: TLS with the
// test CA's server certificate for localhost, proxying to `upstream_port`. Stopped on destruction.
class Nginx {
 public:
  Nginx(const TestPki& pki, std::uint16_t upstream_port)
      : prefix_(pki.dir() / "nginx"), port_(ltf::test::free_port()) {
    std::filesystem::create_directories(prefix_);
    const std::string p = prefix_.string();
    std::ofstream(prefix_ / "nginx.conf")
        << "error_log " << p << "/error.log info;\n"
        << "pid " << p << "/nginx.pid;\n"
        << "events { worker_connections 64; }\n"
        << "http {\n"
        << "  client_body_temp_path " << p << "/body; proxy_temp_path " << p << "/proxy;\n"
        << "  fastcgi_temp_path " << p << "/fastcgi; uwsgi_temp_path " << p << "/uwsgi;\n"
        << "  scgi_temp_path " << p << "/scgi;\n"
        << "  log_format conns '$connection $connection_requests $status $request_length';\n"
        << "  access_log " << p << "/access.log conns;\n"
        << "  server {\n"
        << "    listen 127.0.0.1:" << port_ << " ssl;\n"
        << "    server_name localhost;\n"
        << "    ssl_certificate " << pki.cert("server") << ";\n"
        << "    ssl_certificate_key " << pki.key("server") << ";\n"
        << "    keepalive_requests " << kKeepaliveRequests << ";\n"
        << "    keepalive_timeout 10s;\n"
        << "    client_max_body_size " << kBodyLimit / 1024 << "k;\n"
        << "    location / { proxy_pass http://127.0.0.1:" << upstream_port << "; }\n"
        << "  }\n"
        << "}\n";
    const std::string conf = (prefix_ / "nginx.conf").string();
    const std::string error_log = (prefix_ / "error.log").string();
    std::vector<std::string> args{kNginx, "-p", p, "-e", error_log, "-c", conf,
                                  "-g", "daemon off; master_process off;"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (::posix_spawn(&pid_, kNginx, nullptr, nullptr, argv.data(), environ) != 0) pid_ = -1;
  }

  ~Nginx() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGQUIT);  // graceful: finishes what it serves, then exits
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }

  // Readiness probe: connects until nginx listens (bounded), failing early if it exited.
  bool wait_until_listening(std::string& why) {
    if (pid_ <= 0) {
      why = "cannot start nginx";
      return false;
    }
    const auto give_up = std::chrono::steady_clock::now() + 20s;
    asio::io_context io;
    while (std::chrono::steady_clock::now() < give_up) {
      asio::ip::tcp::socket probe(io);
      boost::system::error_code ec;
      probe.connect({asio::ip::make_address("127.0.0.1"), port_}, ec);
      if (!ec) return true;
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        why = "nginx exited: " + read_file(prefix_ / "error.log");
        return false;
      }
      std::this_thread::sleep_for(5ms);  // a probe's pause, not a wait for a test event
    }
    why = "nginx did not listen within 20 s: " + read_file(prefix_ / "error.log");
    return false;
  }

  std::uint16_t port() const { return port_; }
  std::string url(const std::string& target = "/ingest") const {
    return "https://localhost:" + std::to_string(port_) + target;
  }

  struct Logged {
    std::map<std::string, int> requests_per_connection;  // nginx's connection serial -> requests
    std::map<int, int> statuses;                          // status -> count
  };
  Logged access_log() const {
    Logged out;
    std::istringstream lines(read_file(prefix_ / "access.log"));
    std::string connection;
    int requests = 0, status = 0;
    long length = 0;
    while (lines >> connection >> requests >> status >> length) {
      auto& most = out.requests_per_connection[connection];
      most = std::max(most, requests);
      ++out.statuses[status];
    }
    return out;
  }

 private:
  std::filesystem::path prefix_;
  std::uint16_t port_;
  pid_t pid_ = -1;
};

void expect_nothing_lost(const Harness& h, const ltf::emulator::Report& report) {
  auto lines = h.sink.account(report.function_lines);
  EXPECT_EQ(lines.produced, report.function_lines.size());
  EXPECT_EQ(lines.lost, 0u);
  EXPECT_EQ(lines.duplicated, 0u);
  EXPECT_EQ(lines.unexpected, 0u);
}

struct NginxHttps : ::testing::Test {
  void SetUp() override {
    if (!std::filesystem::exists(kNginx)) GTEST_SKIP() << kNginx << " missing: run scripts/setup.sh";
    nginx.emplace(pki, h.sink.port());
    std::string why;
    ASSERT_TRUE(nginx->wait_until_listening(why)) << why;
    h.env["DISPATCH_POST_URI"] = nginx->url("/ingest?api_key=not-logged");
    h.env["LTF_CA_FILE"] = pki.ca();  // verification stays on (LTF_TLS_VERIFY unset)
  }

  TestPki pki;
  Harness h;
  std::optional<Nginx> nginx;
};

TEST_F(NginxHttps, EverythingArrivesOnceWhileNginxEndsKeptAliveConnections) {
  h.scenario.invocations = 12;
  h.scenario.log_lines_per_invocation = 5;
  auto outcome = h.run();
  EXPECT_EQ(outcome.exit_code, 0);
  EXPECT_EQ(outcome.report.timed_out_invocations(), 0u);
  expect_nothing_lost(h, outcome.report);

  const auto logged = nginx->access_log();
  EXPECT_EQ(logged.statuses.size(), 1u) << "only 200s";
  EXPECT_GT(logged.statuses.count(200), 0u);
  // More requests than one connection may carry: nginx closed connections after
  // keepalive_requests, and the forwarder opened new ones and lost nothing.
  EXPECT_GT(logged.requests_per_connection.size(), 1u);
  int full = 0;
  for (const auto& [connection, requests] : logged.requests_per_connection) {
    EXPECT_LE(requests, kKeepaliveRequests);
    if (requests == kKeepaliveRequests) ++full;
  }
  EXPECT_GT(full, 0) << "some connection was reused up to nginx's limit";
  RecordProperty("nginx_connections", static_cast<int>(logged.requests_per_connection.size()));
  RecordProperty("nginx_requests", logged.statuses.at(200));
}

TEST_F(NginxHttps, GzipBodiesPassThroughNginx) {
  h.scenario.invocations = 4;
  h.env["LTF_COMPRESSION"] = "gzip";
  auto outcome = h.run();
  EXPECT_EQ(outcome.exit_code, 0);
  expect_nothing_lost(h, outcome.report);
  ASSERT_FALSE(h.sink.received().empty());
  for (const auto& request : h.sink.received()) EXPECT_EQ(request.content_encoding, "gzip");
}

TEST_F(NginxHttps, BatchesKeptBelowNginxsBodyLimitAllArrive) {
  // Batches sized below a proxy's body limit never meet its 413 (a 413 would split them).
  h.scenario.invocations = 6;
  h.scenario.log_lines_per_invocation = 400;
  h.scenario.log_line_bytes = 256;  // ~100 kB per invocation: several requests each
  h.env["LTF_DISPATCH_MAX_BATCH_BYTES"] = std::to_string(kBodyLimit / 2);
  auto outcome = h.run();
  EXPECT_EQ(outcome.exit_code, 0);
  expect_nothing_lost(h, outcome.report);
  const auto logged = nginx->access_log();
  EXPECT_EQ(logged.statuses.count(413), 0u);
}

TEST_F(NginxHttps, ABatchAboveTheBodyLimitIsSplitUntilItFitsUnlessGzipMakesItFit) {
  std::vector<ltf::telemetry::Event> batch;
  for (int i = 0; batch.size() * 100 < 2 * kBodyLimit; ++i) {
    ltf::telemetry::Event event;
    event.raw = R"({"time":"2022-10-12T00:03:50.000Z","type":"function","record":"line )" +
                std::to_string(i) + std::string(30, '.') + "\"}";
    batch.push_back(std::move(event));
  }
  auto url = *ltf::net::parse_http_url(nginx->url());
  ltf::sinks::HttpSinkOptions options;
  options.timeout = 5000ms;
  options.tls.ca_file = pki.ca();
  ltf::sinks::HttpSink plain(h.io.get_executor(), url, options);
  const auto split = ltf::test::run_until_done(h.io, plain.deliver(batch));
  EXPECT_EQ(split.outcome, ltf::sinks::Outcome::delivered) << split.detail;
  EXPECT_FALSE(split.per_event()) << "every part was delivered";
  EXPECT_EQ(h.sink.events(), batch.size()) << "each event exactly once";
  const auto after_split = nginx->access_log();
  EXPECT_GE(after_split.statuses.count(413) ? after_split.statuses.at(413) : 0, 1)
      << "nginx refused the whole batch first";

  options.compression = ltf::Compression::gzip;
  ltf::sinks::HttpSink gzipped(h.io.get_executor(), url, options);
  const auto delivered = ltf::test::run_until_done(h.io, gzipped.deliver(batch));
  EXPECT_EQ(delivered.outcome, ltf::sinks::Outcome::delivered) << delivered.detail;
  EXPECT_EQ(h.sink.events(), 2 * batch.size());
  const auto after_gzip = nginx->access_log();
  EXPECT_EQ(after_gzip.statuses.at(413), after_split.statuses.at(413)) << "one request, no 413";
}

}  // namespace
