// The OpenSearch sink: credentials (basic auth, SigV4), bootstrap refusals, and the options
// chosen from the configuration.
#include "opensearch_sink_fixture.hpp"

namespace {

using namespace ltf::test::opensearch_sink;

TEST_F(OpenSearchSinkTest, BasicAuthGoesOnEveryRequestAndIsNeverLogged) {
  auto opts = options();
  auto t = transport();
  auto auth = std::make_shared<CountingAuth>();
  t.auth = ltf::opensearch::AuthMode::basic;
  t.basic = auth;
  testing::internal::CaptureStdout();
  OpenSearchSink sink(io.get_executor(), std::move(t), opts);
  EXPECT_EQ(deliver(sink, events(2)).outcome, Outcome::delivered);
  answer = [](Request&) -> asio::awaitable<Response> {
    co_return respond(401, R"({"error":{"type":"security_exception","reason":"unauthorized"}})");
  };
  deliver(sink, events(2));
  const std::string log = testing::internal::GetCapturedStdout();
  const std::string expected = ltf::aws::BasicAuth{"ingest", "s3cr3t-pa55"}.authorization();
  ASSERT_GE(received.size(), 2u);
  for (const auto& r : received) EXPECT_EQ(r[http::field::authorization], expected) << r.target();
  EXPECT_EQ(log.find("s3cr3t-pa55"), std::string::npos) << log;
  EXPECT_EQ(log.find(expected.substr(6)), std::string::npos) << log;
  EXPECT_EQ(sink.describe().find("s3cr3t"), std::string::npos);
}

TEST_F(OpenSearchSinkTest, RefusedCredentialsAreFetchedAgainOncePerRunOfRefusals) {
  auto opts = options();
  opts.bootstrap = false;
  auto t = transport();
  auto auth = std::make_shared<CountingAuth>();
  t.auth = ltf::opensearch::AuthMode::basic;
  t.basic = auth;
  OpenSearchSink sink(io.get_executor(), std::move(t), opts);
  unsigned status = 401;
  answer = [&](Request& r) -> asio::awaitable<Response> {
    if (status == 200) co_return respond(200, all_created(r.body()));
    co_return respond(status, R"({"error":{"type":"security_exception","reason":"no"}})");
  };
  for (int i = 0; i < 3; ++i) {
    const Delivery d = deliver(sink, events(1));
    EXPECT_EQ(d.outcome, Outcome::retry_later);
    EXPECT_EQ(d.status, 401u);
  }
  EXPECT_EQ(auth->invalidations, 1) << "a wrong secret is not fetched on every retry";
  status = 200;
  EXPECT_EQ(deliver(sink, events(1)).outcome, Outcome::delivered);
  status = 403;
  EXPECT_EQ(deliver(sink, events(1)).outcome, Outcome::retry_later);
  EXPECT_EQ(auth->invalidations, 2) << "a rotation after a success is picked up";
}

TEST_F(OpenSearchSinkTest, NoCredentialsMeansNothingIsSentAndTheBatchWaits) {
  struct NoSecret final : ltf::opensearch::BasicAuthSource {
    asio::awaitable<ltf::opensearch::BasicAuthFetch> get() override {
      co_return ltf::opensearch::BasicAuthFetch{std::nullopt, "ResourceNotFoundException"};
    }
    void invalidate() override {}
    std::string describe() const override { return "none"; }
  };
  auto t = transport();
  t.auth = ltf::opensearch::AuthMode::basic;
  t.basic = std::make_shared<NoSecret>();
  OpenSearchSink sink(io.get_executor(), std::move(t), options());
  const Delivery d = deliver(sink, events(1));
  EXPECT_EQ(d.outcome, Outcome::retry_later);
  EXPECT_NE(d.detail.find("ResourceNotFoundException"), std::string::npos) << d.detail;
  EXPECT_TRUE(received.empty());
}

TEST_F(OpenSearchSinkTest, BootstrapFailuresHoldTheDocumentsBackUntilTheTemplatesAreIn) {
  bool down = true;
  answer = [&](Request& r) -> asio::awaitable<Response> {
    if (down) co_return respond(503, R"({"error":{"type":"cluster_manager_not_discovered_exception","reason":"x"}})");
    co_return is_bulk(r) ? respond(200, all_created(r.body())) : respond(200);
  };
  OpenSearchSink sink(io.get_executor(), transport(), options());
  const Delivery failed = deliver(sink, events(1));
  EXPECT_EQ(failed.outcome, Outcome::retry_later);
  EXPECT_EQ(failed.status, 503u);
  EXPECT_TRUE(bulks().empty()) << "documents before the template would fix the wrong mapping";
  down = false;
  EXPECT_EQ(deliver(sink, events(1)).outcome, Outcome::delivered);
  EXPECT_EQ(bulks().size(), 1u);
}

TEST_F(OpenSearchSinkTest, AnIndexThatExistsIsFineAnyOther400OnCreationIsReported) {
  std::string index_answer = R"({"error":{"type":"resource_already_exists_exception","reason":"index [lambda-platform/x] already exists"},"status":400})";
  answer = [&](Request& r) -> asio::awaitable<Response> {
    if (is_bulk(r)) co_return respond(200, all_created(r.body()));
    if (r.method() == http::verb::put && r.target().find("_index_template") == std::string_view::npos)
      co_return respond(400, index_answer);
    co_return respond(200, R"({"acknowledged":true})");
  };
  {
    OpenSearchSink sink(io.get_executor(), transport(), options());
    testing::internal::CaptureStdout();
    EXPECT_EQ(deliver(sink, events(1)).outcome, Outcome::delivered);
    const std::string log = testing::internal::GetCapturedStdout();
    EXPECT_EQ(log.find("refused index"), std::string::npos) << log;
  }
  index_answer = R"({"error":{"type":"illegal_argument_exception","reason":"unknown setting [index.bogus]"},"status":400})";
  OpenSearchSink sink(io.get_executor(), transport(), options());
  testing::internal::CaptureStdout();
  EXPECT_EQ(deliver(sink, events(1)).outcome, Outcome::delivered) << "documents still go";
  const std::string log = testing::internal::GetCapturedStdout();
  EXPECT_NE(log.find("refused index"), std::string::npos) << log;
  EXPECT_NE(log.find("illegal_argument_exception"), std::string::npos) << log;
}

TEST_F(OpenSearchSinkTest, ARoleThatMayOnlyWriteDocumentsStillDelivers) {
  answer = [&](Request& r) -> asio::awaitable<Response> {
    if (!is_bulk(r)) co_return respond(403, R"({"error":{"type":"security_exception","reason":"no permissions for [indices:admin/index_template/put]"}})");
    co_return respond(200, all_created(r.body()));
  };
  OpenSearchSink sink(io.get_executor(), transport(), options());
  testing::internal::CaptureStdout();
  EXPECT_EQ(deliver(sink, events(1)).outcome, Outcome::delivered);
  const std::string log = testing::internal::GetCapturedStdout();
  EXPECT_NE(log.find("refused to install index templates"), std::string::npos) << log;
  const auto before = received.size();
  EXPECT_EQ(deliver(sink, events(1)).outcome, Outcome::delivered);
  EXPECT_EQ(received.size(), before + 1) << "not asked again on every delivery";
}

TEST_F(OpenSearchSinkTest, ClustersWithoutFlatObjectGetObjectRecords) {
  std::vector<std::string> template_records;
  answer = [&](Request& r) -> asio::awaitable<Response> {
    if (is_bulk(r)) co_return respond(200, all_created(r.body()));
    if (!r.target().starts_with("/_index_template/")) co_return respond(200);
    const json::value body = json::parse(r.body());
    const json::value* record =
        body.at("template").at("mappings").at("properties").as_object().if_contains("record");
    const std::string type = record ? std::string(record->at("type").as_string()) : "";
    template_records.push_back(type);
    if (type == "flat_object")
      co_return respond(400, R"({"error":{"type":"mapper_parsing_exception","reason":"No handler for type [flat_object] declared on field [record]"},"status":400})");
    co_return respond(200);
  };
  OpenSearchSink sink(io.get_executor(), transport(), options());
  EXPECT_EQ(deliver(sink, events(1)).outcome, Outcome::delivered);
  // platform: object; function: flat_object refused, then object; extension: object at once.
  EXPECT_EQ(template_records, (std::vector<std::string>{"object", "flat_object", "object", "object", ""}));
}

TEST_F(OpenSearchSinkTest, SigV4SignsTheCompressedBytesForServerless) {
  auto opts = options();
  opts.gzip = true;
  auto t = transport("/prefix/");
  t.auth = ltf::opensearch::AuthMode::sigv4;
  const ltf::aws::Credentials credentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                          "session-token"};
  t.signer.service = "aoss";
  t.signer.credentials = ltf::aws::fixed_credentials({credentials, "eu-west-1"});
  OpenSearchSink sink(io.get_executor(), std::move(t), opts);
  const Delivery delivery = deliver(sink, events(2));
  EXPECT_EQ(delivery.outcome, Outcome::delivered) << delivery.detail;

  ASSERT_GE(received.size(), 2u);
  ltf::aws::VerifyParams params;
  params.region = "eu-west-1";
  params.service = "aoss";
  params.require_content_sha256 = true;
  for (const auto& r : received) {
    EXPECT_TRUE(r.target().starts_with("/prefix/")) << r.target();
    const auto verdict = ltf::aws::verify_signature(r, credentials, params);
    EXPECT_TRUE(verdict.ok) << r.target() << ": " << verdict.code << " " << verdict.reason;
    EXPECT_EQ(r["x-amz-content-sha256"], ltf::aws::sha256_hex(r.body()));
  }
  const Request bulk = bulks().at(0);
  EXPECT_EQ(bulk[http::field::content_encoding], "gzip");
  const auto inflated = ltf::net::gunzip(bulk.body(), 1 << 20);
  ASSERT_TRUE(inflated.ok());
  EXPECT_EQ(lines_of(inflated.data).size(), 4u);
}

// ---------------------------------------------------------------------------------------------
// What the configuration leaves unset

ltf::Config config_with(std::optional<std::string> secret = {}) {
  ltf::Config c;
  c.region = "us-east-1";
  c.opensearch_auth_secret = std::move(secret);
  return c;
}

TEST(OpenSearchOptions, AuthIsTheSeedsBasicWithASecretElseSigV4ForAwsHostsElseNone) {
  using ltf::opensearch::AuthMode;
  using ltf::opensearch::resolve_auth;
  const std::string domain = "search-logs-abc123.eu-west-1.es.amazonaws.com";
  const std::string collection = "abc123.us-west-2.aoss.amazonaws.com";
  EXPECT_EQ(resolve_auth(config_with("arn:secret"), domain), AuthMode::basic);
  EXPECT_EQ(resolve_auth(config_with(), domain), AuthMode::sigv4);
  EXPECT_EQ(resolve_auth(config_with(), collection), AuthMode::sigv4);
  EXPECT_EQ(resolve_auth(config_with("arn:secret"), collection), AuthMode::sigv4)
      << "Serverless takes SigV4 only, whatever the secret";
  auto serverless = config_with("arn:secret");
  serverless.opensearch_service = "aoss";
  EXPECT_EQ(resolve_auth(serverless, "vpce-123.example"), AuthMode::sigv4);
  EXPECT_EQ(resolve_auth(config_with(), "opensearch.internal"), AuthMode::none);
  EXPECT_EQ(resolve_auth(config_with("s"), "opensearch.internal"), AuthMode::basic);
  auto explicit_config = config_with("s");
  explicit_config.opensearch_auth = ltf::Config::OpenSearchAuth::sigv4;
  EXPECT_EQ(resolve_auth(explicit_config, "opensearch.internal"), AuthMode::sigv4);
  explicit_config.opensearch_auth = ltf::Config::OpenSearchAuth::none;
  EXPECT_EQ(resolve_auth(explicit_config, domain), AuthMode::none);
}

TEST(OpenSearchOptions, ServiceAndRegionComeFromTheHostUnlessConfigured) {
  using ltf::opensearch::resolve_region;
  using ltf::opensearch::resolve_service;
  auto c = config_with();
  EXPECT_EQ(resolve_service(c, "search-logs-abc.eu-west-1.es.amazonaws.com"), "es");
  EXPECT_EQ(resolve_region(c, "search-logs-abc.eu-west-1.es.amazonaws.com"), "eu-west-1");
  EXPECT_EQ(resolve_service(c, "vpc-logs-abc.cn-north-1.es.amazonaws.com.cn"), "es");
  EXPECT_EQ(resolve_region(c, "vpc-logs-abc.cn-north-1.es.amazonaws.com.cn"), "cn-north-1");
  EXPECT_EQ(resolve_service(c, "abc.us-west-2.aoss.amazonaws.com"), "aoss");
  EXPECT_EQ(resolve_region(c, "abc.us-west-2.aoss.amazonaws.com"), "us-west-2");
  EXPECT_EQ(resolve_service(c, "logs.example.com"), "es");
  EXPECT_EQ(resolve_region(c, "logs.example.com"), "us-east-1");
  c.opensearch_service = "aoss";
  c.opensearch_region = "ap-south-1";
  EXPECT_EQ(resolve_service(c, "logs.example.com"), "aoss");
  EXPECT_EQ(resolve_region(c, "search-logs-abc.eu-west-1.es.amazonaws.com"), "ap-south-1");
}

}  // namespace

