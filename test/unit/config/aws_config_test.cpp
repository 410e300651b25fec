// The AWS settings: SigV4 for DISPATCH_POST_URI and how secrets are fetched.
#include "ltf/config.hpp"

#include <gtest/gtest.h>

namespace {

ltf::Environment lambda_env() {
  return {{"AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"},
          {"AWS_ACCESS_KEY_ID", "ASIAEXAMPLEKEYID1234"},
          {"AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"},
          {"AWS_SESSION_TOKEN", "token"},
          {"AWS_REGION", "eu-west-1"}};
}

ltf::Config loaded(const ltf::Environment& env) {
  auto result = ltf::load_config(env);
  if (auto* errors = std::get_if<std::vector<ltf::ConfigError>>(&result)) {
    ADD_FAILURE() << ltf::describe(*errors);
    return {};
  }
  return std::get<ltf::Config>(result);
}

// The errors' text, or "" when the configuration loaded.
std::string errors_of(const ltf::Environment& env) {
  auto result = ltf::load_config(env);
  auto* errors = std::get_if<std::vector<ltf::ConfigError>>(&result);
  return errors ? ltf::describe(*errors) : std::string();
}

TEST(AwsConfig, DefaultsSignNothingAndFetchSecretsDirectly) {
  const auto config = loaded(lambda_env());
  EXPECT_FALSE(config.sigv4_service);
  EXPECT_FALSE(config.secrets_via_extension);
  EXPECT_EQ(config.secrets_extension_port, 2773);
  EXPECT_FALSE(config.secrets_endpoint);
  EXPECT_EQ(config.secrets_timeout, std::chrono::milliseconds(3000));
}

TEST(AwsConfig, SigV4ServiceSignsTheHttpDestination) {
  auto env = lambda_env();
  env["DISPATCH_POST_URI"] = "https://pipe-abc.eu-west-1.osis.amazonaws.com/logs/ingest";
  env["LTF_SIGV4_SERVICE"] = "osis";
  EXPECT_EQ(loaded(env).sigv4_service.value(), "osis");
  env["LTF_SIGV4_SERVICE"] = "execute-api";
  EXPECT_EQ(loaded(env).sigv4_service.value(), "execute-api");
}

TEST(AwsConfig, SigV4ServiceMustBeASigningNameForAnHttpDestinationWithCredentials) {
  auto env = lambda_env();
  env["DISPATCH_POST_URI"] = "https://example.com/";
  env["LTF_SIGV4_SERVICE"] = "OSIS!";
  EXPECT_NE(errors_of(env).find("LTF_SIGV4_SERVICE must be a signing name"), std::string::npos);

  auto no_destination = lambda_env();
  no_destination["LTF_SIGV4_SERVICE"] = "osis";
  EXPECT_NE(errors_of(no_destination).find("DISPATCH_POST_URI or the OTLP endpoints, and neither is set"),
            std::string::npos);

  auto no_credentials = lambda_env();
  no_credentials["DISPATCH_POST_URI"] = "https://example.com/";
  no_credentials["LTF_SIGV4_SERVICE"] = "osis";
  no_credentials.erase("AWS_SECRET_ACCESS_KEY");
  no_credentials.erase("AWS_REGION");
  const std::string text = errors_of(no_credentials);
  EXPECT_NE(text.find("AWS_SECRET_ACCESS_KEY is not"), std::string::npos) << text;
  EXPECT_NE(text.find("AWS_REGION is not"), std::string::npos) << text;
  // The key id that is present is never echoed.
  EXPECT_EQ(text.find("ASIAEXAMPLEKEYID1234"), std::string::npos) << text;
}

TEST(AwsConfig, SecretsTransportPortAndTimeout) {
  auto env = lambda_env();
  env["LTF_SECRETS_VIA_EXTENSION"] = "true";
  env["PARAMETERS_SECRETS_EXTENSION_HTTP_PORT"] = "2800";
  env["LTF_SECRETS_TIMEOUT_MS"] = "1500";
  const auto config = loaded(env);
  EXPECT_TRUE(config.secrets_via_extension);
  EXPECT_EQ(config.secrets_extension_port, 2800);
  EXPECT_EQ(config.secrets_timeout, std::chrono::milliseconds(1500));

  auto bad = lambda_env();
  bad["LTF_SECRETS_VIA_EXTENSION"] = "yes";
  bad["PARAMETERS_SECRETS_EXTENSION_HTTP_PORT"] = "70000";
  bad["LTF_SECRETS_TIMEOUT_MS"] = "5";
  const std::string text = errors_of(bad);
  for (const char* name : {"LTF_SECRETS_VIA_EXTENSION", "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT",
                           "LTF_SECRETS_TIMEOUT_MS"})
    EXPECT_NE(text.find(name), std::string::npos) << name << " missing from: " << text;
}

TEST(AwsConfig, SecretsManagerSpecificEndpointWinsOverTheGlobalOne) {
  auto env = lambda_env();
  env["AWS_ENDPOINT_URL"] = "http://localhost:4566";
  EXPECT_EQ(loaded(env).secrets_endpoint.value(), "http://localhost:4566");
  env["AWS_ENDPOINT_URL_SECRETS_MANAGER"] = "https://vpce-1.secretsmanager.eu-west-1.vpce.amazonaws.com";
  EXPECT_EQ(loaded(env).secrets_endpoint.value(),
            "https://vpce-1.secretsmanager.eu-west-1.vpce.amazonaws.com");

  auto bad = lambda_env();
  bad["AWS_ENDPOINT_URL_SECRETS_MANAGER"] = "secretsmanager.local";
  EXPECT_NE(errors_of(bad).find("AWS_ENDPOINT_URL_SECRETS_MANAGER is not an absolute http(s) URL"),
            std::string::npos);
}

}  // namespace
