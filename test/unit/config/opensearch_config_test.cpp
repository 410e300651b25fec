// The OpenSearch seed's variables (URL, AUTH_SECRET, *_INDEX) and the LTF_OPENSEARCH_ ones.
#include "ltf/config.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

namespace {

ltf::Environment opensearch_env() {
  return {{"AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"},
          {"URL", "https://search-logs-abc.eu-west-1.es.amazonaws.com"}};
}

ltf::Config loaded(const ltf::Environment& env) {
  auto result = ltf::load_config(env);
  if (auto* errors = std::get_if<std::vector<ltf::ConfigError>>(&result)) {
    ADD_FAILURE() << ltf::describe(*errors);
    return {};
  }
  return std::get<ltf::Config>(result);
}

// The problems load_config reports, as one line; empty when it accepted the environment.
std::string problems(const ltf::Environment& env) {
  auto result = ltf::load_config(env);
  auto* errors = std::get_if<std::vector<ltf::ConfigError>>(&result);
  return errors ? ltf::describe(*errors) : std::string();
}

TEST(OpenSearchConfig, TheSeedsVariablesAloneChooseOpenSearchWithTheirMeaning) {
  auto env = opensearch_env();
  env["AUTH_SECRET"] = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:os-AbCdEf";
  env["PLATFORM_INDEX"] = "telemetry";
  env["FUNCTION_INDEX"] = "function-logs";
  env["EXTENSION_INDEX"] = "extension-logs";
  env["DISPATCH_MIN_BATCH_SIZE"] = "5";
  const ltf::Config config = loaded(env);
  EXPECT_EQ(config.opensearch_url, "https://search-logs-abc.eu-west-1.es.amazonaws.com");
  EXPECT_EQ(config.opensearch_auth_secret, env["AUTH_SECRET"]);
  EXPECT_EQ(config.platform_index, "telemetry");
  EXPECT_EQ(config.function_index, "function-logs");
  EXPECT_EQ(config.extension_index, "extension-logs");
  EXPECT_EQ(config.dispatch_min_batch_size, 5u);
  EXPECT_FALSE(config.dispatch_post_uri);
}

TEST(OpenSearchConfig, DefaultsWhenOnlyUrlIsSet) {
  const ltf::Config config = loaded(opensearch_env());
  EXPECT_EQ(config.platform_index, "lambda-platform");
  EXPECT_EQ(config.function_index, "lambda-function");
  EXPECT_EQ(config.extension_index, "lambda-extension");
  EXPECT_EQ(config.opensearch_dlq_index, "lambda-telemetry-dlq");
  EXPECT_EQ(config.opensearch_auth, ltf::Config::OpenSearchAuth::automatic);
  EXPECT_FALSE(config.opensearch_service);
  EXPECT_FALSE(config.opensearch_region);
  EXPECT_FALSE(config.opensearch_document_ids);
  EXPECT_FALSE(config.opensearch_data_streams);
  EXPECT_TRUE(config.opensearch_bootstrap);
  EXPECT_FALSE(config.opensearch_auth_secret);
}

TEST(OpenSearchConfig, BatchesAreFiveMebibytesForOpenSearchUnlessSetExplicitly) {
  EXPECT_EQ(loaded(opensearch_env()).dispatch_max_batch_bytes, 5u * 1024 * 1024);
  auto env = opensearch_env();
  env["LTF_DISPATCH_MAX_BATCH_BYTES"] = "2097152";
  EXPECT_EQ(loaded(env).dispatch_max_batch_bytes, 2097152u);
  env.erase("URL");
  env.erase("LTF_DISPATCH_MAX_BATCH_BYTES");
  EXPECT_EQ(loaded(env).dispatch_max_batch_bytes, 1024u * 1024) << "the HTTP sink keeps its own";
}

TEST(OpenSearchConfig, UrlAndDispatchPostUriTogetherAreRefusedNamingBoth) {
  auto env = opensearch_env();
  env["DISPATCH_POST_URI"] = "http://example.com/ingest";
  const std::string text = problems(env);
  EXPECT_NE(text.find("URL"), std::string::npos) << text;
  EXPECT_NE(text.find("DISPATCH_POST_URI"), std::string::npos) << text;
}

TEST(OpenSearchConfig, UrlMustBeAnHttpEndpointWithoutQuery) {
  auto env = opensearch_env();
  env["URL"] = "search-logs.example.com:443";
  EXPECT_NE(problems(env).find("URL"), std::string::npos);
  env["URL"] = "https://logs.example.com/?pretty";
  EXPECT_NE(problems(env).find("without a query"), std::string::npos) << problems(env);
  env["URL"] = "https://user:pw@logs.example.com/";
  const std::string text = problems(env);
  EXPECT_NE(text.find("URL"), std::string::npos);
  EXPECT_EQ(text.find("pw@"), std::string::npos) << "a URL's credentials stay out of errors";
  env["URL"] = "";
  EXPECT_EQ(problems(env), "") << "an empty URL means no OpenSearch, as if unset";
}

TEST(OpenSearchConfig, IndexNamesAreLowercaseSafeCharactersWithOptionalDateFields) {
  auto env = opensearch_env();
  env["FUNCTION_INDEX"] = "lambda-function-%Y.%m.%d";
  env["PLATFORM_INDEX"] = "platform+2024_x.%H";
  EXPECT_EQ(problems(env), "");
  EXPECT_EQ(loaded(env).function_index, "lambda-function-%Y.%m.%d");

  for (const char* bad : {"Lambda", "has space", "a/b", "a*", "-leading", "_leading", ".hidden",
                          "%Y-first", "a%y", "a%", "x%s", "..", "a,b", "a#b", "a:b"}) {
    env["FUNCTION_INDEX"] = bad;
    EXPECT_NE(problems(env).find("FUNCTION_INDEX"), std::string::npos) << bad;
  }
  env["FUNCTION_INDEX"] = std::string(201, 'a');
  EXPECT_NE(problems(env).find("FUNCTION_INDEX"), std::string::npos);
}

TEST(OpenSearchConfig, DeadLetterIndexIsAFixedNameDistinctFromTheOthersOrEmptyForNone) {
  auto env = opensearch_env();
  env["LTF_OPENSEARCH_DLQ_INDEX"] = "refused-telemetry";
  EXPECT_EQ(loaded(env).opensearch_dlq_index, "refused-telemetry");
  env["LTF_OPENSEARCH_DLQ_INDEX"] = "";
  EXPECT_EQ(loaded(env).opensearch_dlq_index, "");
  env["LTF_OPENSEARCH_DLQ_INDEX"] = "dlq-%Y";
  EXPECT_NE(problems(env).find("LTF_OPENSEARCH_DLQ_INDEX"), std::string::npos);
  env["LTF_OPENSEARCH_DLQ_INDEX"] = "lambda-function";
  EXPECT_NE(problems(env).find("must differ from FUNCTION_INDEX"), std::string::npos)
      << problems(env);
}

TEST(OpenSearchConfig, AuthServiceRegionAndIdModeTakeOnlyTheirValues) {
  auto env = opensearch_env();
  env["LTF_OPENSEARCH_AUTH"] = "sigv4";
  env["LTF_OPENSEARCH_SERVICE"] = "aoss";
  env["LTF_OPENSEARCH_REGION"] = "eu-central-1";
  env["LTF_OPENSEARCH_ID_MODE"] = "none";
  env["LTF_OPENSEARCH_DATA_STREAMS"] = "true";
  env["LTF_OPENSEARCH_BOOTSTRAP"] = "false";
  const ltf::Config config = loaded(env);
  EXPECT_EQ(config.opensearch_auth, ltf::Config::OpenSearchAuth::sigv4);
  EXPECT_EQ(config.opensearch_service, "aoss");
  EXPECT_EQ(config.opensearch_region, "eu-central-1");
  EXPECT_EQ(config.opensearch_document_ids, false);
  EXPECT_TRUE(config.opensearch_data_streams);
  EXPECT_FALSE(config.opensearch_bootstrap);
  env["LTF_OPENSEARCH_ID_MODE"] = "create";
  EXPECT_EQ(loaded(env).opensearch_document_ids, true);

  env["LTF_OPENSEARCH_AUTH"] = "iam";
  env["LTF_OPENSEARCH_SERVICE"] = "opensearch";
  env["LTF_OPENSEARCH_REGION"] = "EU West";
  env["LTF_OPENSEARCH_ID_MODE"] = "random";
  env["LTF_OPENSEARCH_DATA_STREAMS"] = "yes";
  env["LTF_OPENSEARCH_BOOTSTRAP"] = "1";
  const std::string text = problems(env);
  for (const char* name : {"LTF_OPENSEARCH_AUTH", "LTF_OPENSEARCH_SERVICE", "LTF_OPENSEARCH_REGION",
                           "LTF_OPENSEARCH_ID_MODE", "LTF_OPENSEARCH_DATA_STREAMS",
                           "LTF_OPENSEARCH_BOOTSTRAP"})
    EXPECT_NE(text.find(name), std::string::npos) << name << " missing from: " << text;
}

TEST(OpenSearchConfig, BasicAuthNeedsASecretToReadFrom) {
  auto env = opensearch_env();
  env["LTF_OPENSEARCH_AUTH"] = "basic";
  EXPECT_NE(problems(env).find("AUTH_SECRET"), std::string::npos) << problems(env);
  env["AUTH_SECRET"] = "opensearch-credentials";
  EXPECT_EQ(problems(env), "");
}

TEST(OpenSearchConfig, TheProcessEnvironmentIncludesTheSeedsUnprefixedNames) {
  ::setenv("PLATFORM_INDEX", "from-the-process", 1);
  ::setenv("AUTH_SECRET", "os-secret", 1);
  const ltf::Environment env = ltf::process_environment();
  ::unsetenv("PLATFORM_INDEX");
  ::unsetenv("AUTH_SECRET");
  EXPECT_EQ(env.at("PLATFORM_INDEX"), "from-the-process");
  EXPECT_EQ(env.at("AUTH_SECRET"), "os-secret");
}

}  // namespace
