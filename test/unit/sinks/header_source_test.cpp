// HeaderSource and the HTTP sink's headers: fixed and secret headers on every request, a secret
// fetched once and again after a 401/403 (RefetchPolicy, with a made-up clock), unusable secrets
// refused without quoting them, and tokens an answer echoes kept out of the logged excerpt.
#include "ltf/header_source.hpp"
#include "ltf/sinks.hpp"
#include "support/await.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;
using ltf::HttpHeaders;
using ltf::net::Request;
using ltf::net::Response;
using ltf::sinks::HeaderSource;
using ltf::sinks::HeaderSourceOptions;
using ltf::sinks::Outcome;
using ltf::sinks::RefetchPolicy;
using namespace std::chrono_literals;

TEST(RefetchPolicy, AtOnceOnTheFirstRefusalThenAtMostOncePerInterval) {
  RefetchPolicy policy(60s);
  const RefetchPolicy::Clock::time_point t0{};
  EXPECT_TRUE(policy.refused(t0));
  EXPECT_FALSE(policy.refused(t0 + 1s)) << "a secret that is simply wrong is not fetched per retry";
  EXPECT_FALSE(policy.refused(t0 + 59s));
  EXPECT_TRUE(policy.refused(t0 + 60s)) << "someone may have fixed it meanwhile";
  EXPECT_FALSE(policy.refused(t0 + 61s));
  policy.accepted();
  EXPECT_TRUE(policy.refused(t0 + 62s)) << "a success starts over: the next rotation is seen at once";
}

// A Secrets Manager stand-in (GetSecretValue answers only; the signature is not checked here,
// the emulator's fake does that) and a destination, both scripted by the test.
struct HeaderSourceTest : ::testing::Test {
  HeaderSourceTest()
      : secrets(io.get_executor(),
                [this](Request& request) -> asio::awaitable<Response> {
                  ++secret_requests;
                  const json::value input = json::parse(request.body());
                  const std::string id(input.at("SecretId").as_string());
                  json::object answer;
                  answer["Name"] = id;
                  answer["SecretString"] = secret_values[id];
                  Response response{http::status::ok, 11};
                  response.body() = json::serialize(answer);
                  co_return response;
                }),
        destination(io.get_executor(), [this](Request& request) -> asio::awaitable<Response> {
          received.push_back(request);
          const bool allowed = request[http::field::authorization] == accepted_authorization;
          Response response{allowed ? http::status::ok : http::status::unauthorized, 11};
          // Some servers echo what they refused.
          if (!allowed)
            response.body() = "bad token: " + std::string(request[http::field::authorization]);
          co_return response;
        }) {}

  void SetUp() override {
    for (auto* server : {&secrets, &destination}) {
      ASSERT_FALSE(server->listen({asio::ip::make_address("127.0.0.1"), 0}));
      server->start();
    }
  }
  void TearDown() override {
    secrets.stop();
    destination.stop();
  }

  HeaderSourceOptions options() {
    HeaderSourceOptions o;
    o.secrets.endpoint = "http://127.0.0.1:" + std::to_string(secrets.port());
    o.secrets.credentials = ltf::aws::fixed_credentials({{"AKIDEXAMPLE", "secret", ""}, "us-east-1"});
    return o;
  }
  ltf::sinks::HttpSink sink(std::shared_ptr<HeaderSource> headers) {
    ltf::sinks::HttpSinkOptions o;
    o.headers = std::move(headers);
    return ltf::sinks::HttpSink(
        io.get_executor(),
        ltf::net::HttpUrl{"http", "127.0.0.1", std::to_string(destination.port()), "/in"}, o);
  }
  ltf::sinks::Delivery deliver(ltf::sinks::HttpSink& to) {
    std::vector<ltf::telemetry::Event> batch(1);
    batch[0].raw = R"({"time":"2026-12-04T10:00:00Z","type":"function","record":"x"})";
    return ltf::test::run_until_done(io, to.deliver(batch));
  }

  asio::io_context io;
  int secret_requests = 0;
  std::map<std::string, std::string> secret_values;
  std::string accepted_authorization = "Bearer tok-one";
  std::vector<Request> received;
  ltf::net::HttpServer secrets;
  ltf::net::HttpServer destination;
};

TEST_F(HeaderSourceTest, FixedHeadersAloneNeedNoSecretAndReachEveryRequest) {
  HeaderSourceOptions o;
  o.fixed = {{"Authorization", "Bearer tok-one"}, {"X-Scope-OrgID", "tenant-7"}};
  auto to = sink(std::make_shared<HeaderSource>(io.get_executor(), o));
  EXPECT_EQ(deliver(to).outcome, Outcome::delivered);
  EXPECT_EQ(deliver(to).outcome, Outcome::delivered);
  ASSERT_EQ(received.size(), 2u);
  for (const auto& request : received) {
    EXPECT_EQ(request["X-Scope-OrgID"], "tenant-7");
    EXPECT_EQ(request[http::field::content_type], "application/json");
  }
  EXPECT_EQ(secret_requests, 0);
}

TEST_F(HeaderSourceTest, ASecretsHeadersReplaceFixedOnesAndAreFetchedOnce) {
  secret_values["intake"] = R"({"authorization":"Bearer tok-one"})";
  auto o = options();
  o.fixed = {{"Authorization", "Bearer stale"}, {"X-Tenant", "t"}};
  o.headers_secret = "intake";
  auto headers = std::make_shared<HeaderSource>(io.get_executor(), o);
  auto to = sink(headers);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(deliver(to).outcome, Outcome::delivered);
  EXPECT_EQ(secret_requests, 1);
  EXPECT_EQ(received.back()[http::field::authorization], "Bearer tok-one");
  EXPECT_EQ(received.back()["X-Tenant"], "t");
  EXPECT_EQ(headers->describe(),
            "Authorization, X-Tenant, headers from secret 'intake' (Secrets Manager at " +
                o.secrets.endpoint + ")");
}

TEST_F(HeaderSourceTest, ARotatedSecretIsFetchedOnceAfterA401AndTheRetrySucceeds) {
  secret_values["intake"] = R"({"Authorization":"Bearer tok-one"})";
  auto o = options();
  o.headers_secret = "intake";
  auto to = sink(std::make_shared<HeaderSource>(io.get_executor(), o));
  EXPECT_EQ(deliver(to).outcome, Outcome::delivered);

  secret_values["intake"] = R"({"Authorization":"Bearer tok-two"})";  // rotated
  accepted_authorization = "Bearer tok-two";
  const auto refused = deliver(to);
  EXPECT_EQ(refused.outcome, Outcome::retry_later) << "kept and retried, never dropped";
  EXPECT_EQ(refused.status, 401u);
  EXPECT_EQ(refused.detail.find("tok-one"), std::string::npos) << refused.detail;
  EXPECT_NE(refused.detail.find("bad token: <redacted>"), std::string::npos) << refused.detail;
  EXPECT_EQ(deliver(to).outcome, Outcome::delivered);
  EXPECT_EQ(secret_requests, 2) << "exactly one fetch after the 401";
}

TEST_F(HeaderSourceTest, ASecretStillRefusedIsNotFetchedOnEveryRetry) {
  secret_values["intake"] = R"({"Authorization":"Bearer wrong"})";
  auto o = options();
  o.headers_secret = "intake";
  auto to = sink(std::make_shared<HeaderSource>(io.get_executor(), o));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(deliver(to).status, 401u);
  EXPECT_EQ(secret_requests, 2) << "the first fetch, and one after the first refusal";
}

TEST_F(HeaderSourceTest, AnUnusableSecretIsADeliveryErrorThatNamesNoValue) {
  const std::pair<const char*, const char*> cases[] = {
      {R"(["Bearer tok-9"])", "LTF_HEADERS_SECRET 'intake': the secret is not a JSON object"},
      {R"({"X-Token":"tok-9\r\nHost: evil"})", "has a control character"},
      {R"({"Authorization":"Bearer tok-9"})", "sets Authorization, which the request's signature sets"},
  };
  for (const auto& [value, expected] : cases) {
    secret_values["intake"] = value;
    auto o = options();
    o.headers_secret = "intake";
    o.reserved = {"Authorization"};
    auto to = sink(std::make_shared<HeaderSource>(io.get_executor(), o));
    received.clear();
    const auto delivery = deliver(to);
    EXPECT_EQ(delivery.outcome, Outcome::retry_later);
    EXPECT_NE(delivery.detail.find(expected), std::string::npos) << delivery.detail;
    EXPECT_EQ(delivery.detail.find("tok-9"), std::string::npos) << delivery.detail;
    EXPECT_TRUE(received.empty()) << "nothing is sent without its headers";
  }
}

TEST_F(HeaderSourceTest, AuthSecretGivesBasicAuthAndAClashWithTheHeaderSecretIsRefused) {
  secret_values["login"] = R"({"username":"ingest","password":"pw-Zx81"})";
  auto o = options();
  o.basic_auth_secret = "login";
  HeaderSource basic(io.get_executor(), o);
  const auto fetch = ltf::test::run_until_done(io, basic.get());
  ASSERT_TRUE(fetch.ok()) << fetch.problem;
  EXPECT_EQ(fetch.headers, (HttpHeaders{{"Authorization", "Basic aW5nZXN0OnB3LVp4ODE="}}));
  EXPECT_EQ(basic.redact("user ingest pw-Zx81 aW5nZXN0OnB3LVp4ODE="),
            "user ingest <redacted> <redacted>");

  secret_values["intake"] = R"({"Authorization":"Bearer tok-9"})";
  o.headers_secret = "intake";
  HeaderSource both(io.get_executor(), o);
  const auto clash = ltf::test::run_until_done(io, both.get());
  EXPECT_NE(clash.problem.find("sets Authorization and AUTH_SECRET 'login' asks for basic auth"),
            std::string::npos)
      << clash.problem;
}

TEST_F(HeaderSourceTest, ASnapStartRestoreFetchesTheSecretAgainAndAllowsAnImmediateRefetch) {
  secret_values["intake"] = R"({"Authorization":"Bearer tok-one"})";
  auto o = options();
  o.headers_secret = "intake";
  HeaderSource headers(io.get_executor(), o);
  ASSERT_TRUE(ltf::test::run_until_done(io, headers.get()).ok());
  headers.refused();  // a refusal just before the snapshot
  ASSERT_TRUE(ltf::test::run_until_done(io, headers.get()).ok());
  EXPECT_EQ(secret_requests, 2);
  headers.restored();  // the secret may have rotated while the snapshot slept
  ASSERT_TRUE(ltf::test::run_until_done(io, headers.get()).ok());
  EXPECT_EQ(secret_requests, 3);
  headers.refused();  // the restored sandbox's first refusal is not held back by the one before
  ASSERT_TRUE(ltf::test::run_until_done(io, headers.get()).ok());
  EXPECT_EQ(secret_requests, 4);
}

}  // namespace
