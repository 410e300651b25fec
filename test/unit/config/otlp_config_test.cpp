// LTF_OTLP_*: endpoints (a base with /v1/<signal> appended, or per signal as given), protocol,
// headers and resource attributes, and the combinations refused.
#include "ltf/config.hpp"

#include <gtest/gtest.h>

namespace {

ltf::Environment env(std::initializer_list<std::pair<const std::string, std::string>> extra) {
  ltf::Environment e{{"AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"}};
  for (const auto& [k, v] : extra) e[k] = v;
  return e;
}

ltf::Config good(const ltf::Environment& e) {
  auto loaded = ltf::load_config(e);
  if (auto* errors = std::get_if<std::vector<ltf::ConfigError>>(&loaded)) {
    ADD_FAILURE() << ltf::describe(*errors);
    return {};
  }
  return std::get<ltf::Config>(loaded);
}

std::string bad(const ltf::Environment& e) {
  auto loaded = ltf::load_config(e);
  auto* errors = std::get_if<std::vector<ltf::ConfigError>>(&loaded);
  EXPECT_TRUE(errors);
  return errors ? ltf::describe(*errors) : "";
}

TEST(OtlpConfig, TheBaseEndpointGetsEachSignalsPathAsOpenTelemetryExportersDo) {
  for (const char* base : {"http://collector:4318", "http://collector:4318/"}) {
    const auto c = good(env({{"LTF_OTLP_ENDPOINT", base}}));
    EXPECT_TRUE(c.otlp());
    EXPECT_EQ(c.otlp_logs_endpoint, "http://collector:4318/v1/logs");
    EXPECT_EQ(c.otlp_metrics_endpoint, "http://collector:4318/v1/metrics");
    EXPECT_EQ(c.otlp_traces_endpoint, "http://collector:4318/v1/traces");
    EXPECT_EQ(c.otlp_protocol, ltf::OtlpProtocol::protobuf);
  }
  EXPECT_EQ(good(env({{"LTF_OTLP_ENDPOINT", "https://otlp.example.com/otlp"}})).otlp_logs_endpoint,
            "https://otlp.example.com/otlp/v1/logs");
}

TEST(OtlpConfig, ASignalsOwnEndpointIsUsedAsItIsAndSignalsWithoutOneAreNotSent) {
  const auto c = good(env({{"LTF_OTLP_LOGS_ENDPOINT", "https://logs.eu-west-1.amazonaws.com/v1/logs"}}));
  EXPECT_EQ(c.otlp_logs_endpoint, "https://logs.eu-west-1.amazonaws.com/v1/logs");
  EXPECT_FALSE(c.otlp_metrics_endpoint);
  EXPECT_FALSE(c.otlp_traces_endpoint);
  const auto both = good(env({{"LTF_OTLP_ENDPOINT", "http://c:4318"}, {"LTF_OTLP_TRACES_ENDPOINT", "http://t:4318/x"}}));
  EXPECT_EQ(both.otlp_traces_endpoint, "http://t:4318/x");
  EXPECT_EQ(both.otlp_logs_endpoint, "http://c:4318/v1/logs");
}

TEST(OtlpConfig, ProtocolHeadersAndResourceAttributes) {
  const auto c = good(env({{"LTF_OTLP_ENDPOINT", "http://c:4318"},
                           {"LTF_OTLP_PROTOCOL", "http/json"},
                           {"LTF_OTLP_HEADERS", "x-honeycomb-team=abc%20def,x-honeycomb-dataset=lambda"},
                           {"LTF_OTLP_RESOURCE_ATTRIBUTES", "service.name=checkout,deployment.environment=prod"},
                           {"AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512"}}));
  EXPECT_EQ(c.otlp_protocol, ltf::OtlpProtocol::json);
  EXPECT_EQ(c.otlp_headers, (ltf::HttpHeaders{{"x-honeycomb-team", "abc def"}, {"x-honeycomb-dataset", "lambda"}}));
  EXPECT_EQ(c.otlp_resource_attributes,
            (ltf::HttpHeaders{{"service.name", "checkout"}, {"deployment.environment", "prod"}}));
  EXPECT_EQ(c.function_memory_mb, 512u);
}

TEST(OtlpConfig, SigV4SignsTheOtlpEndpoints) {
  const auto c = good(env({{"LTF_OTLP_LOGS_ENDPOINT", "https://logs.eu-west-1.amazonaws.com/v1/logs"},
                           {"LTF_SIGV4_SERVICE", "logs"}, {"AWS_ACCESS_KEY_ID", "AKID"},
                           {"AWS_SECRET_ACCESS_KEY", "s"}, {"AWS_REGION", "eu-west-1"}}));
  EXPECT_EQ(c.sigv4_service, "logs");
}

TEST(OtlpConfig, BadValuesAreRefusedNamingTheVariableAndNeverQuotingAHeaderValue) {
  EXPECT_NE(bad(env({{"LTF_OTLP_ENDPOINT", "collector:4318"}})).find("LTF_OTLP_ENDPOINT"), std::string::npos);
  EXPECT_NE(bad(env({{"LTF_OTLP_ENDPOINT", "http://c:4318/?key=1"}})).find("query"), std::string::npos);
  EXPECT_NE(bad(env({{"LTF_OTLP_METRICS_ENDPOINT", "ftp://c"}})).find("LTF_OTLP_METRICS_ENDPOINT"), std::string::npos);
  EXPECT_NE(bad(env({{"LTF_OTLP_ENDPOINT", "http://c:4318"}, {"LTF_OTLP_PROTOCOL", "grpc"}})).find("LTF_OTLP_PROTOCOL"),
            std::string::npos);
  const auto header = bad(env({{"LTF_OTLP_ENDPOINT", "http://c:4318"}, {"LTF_OTLP_HEADERS", "api-key=top%0d%0asecret"}}));
  EXPECT_NE(header.find("LTF_OTLP_HEADERS"), std::string::npos);
  EXPECT_EQ(header.find("secret"), std::string::npos);
  EXPECT_NE(bad(env({{"LTF_OTLP_ENDPOINT", "http://c:4318"}, {"LTF_OTLP_RESOURCE_ATTRIBUTES", "novalue"}}))
                .find("LTF_OTLP_RESOURCE_ATTRIBUTES"),
            std::string::npos);
}

TEST(OtlpConfig, OneDestinationPerFunction) {
  EXPECT_NE(bad(env({{"LTF_OTLP_ENDPOINT", "http://c:4318"}, {"DISPATCH_POST_URI", "http://d/"}}))
                .find("choose one destination"),
            std::string::npos);
  EXPECT_NE(bad(env({{"LTF_OTLP_ENDPOINT", "http://c:4318"}, {"URL", "https://search.example.com"}}))
                .find("choose one destination"),
            std::string::npos);
  EXPECT_NE(bad(env({{"LTF_OTLP_ENDPOINT", "http://c:4318"}, {"LTF_HEADERS", "a=b"}})).find("LTF_OTLP_HEADERS"),
            std::string::npos);
}

}  // namespace
