#include "ltf/config.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace {

ltf::Environment base_env() { return {{"AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"}}; }

TEST(Config, DefaultsNeedOnlyTheRuntimeApi) {
  auto result = ltf::load_config(base_env());
  if (auto* errors = std::get_if<std::vector<ltf::ConfigError>>(&result))
    FAIL() << ltf::describe(*errors);
  const auto& config = std::get<ltf::Config>(result);
  EXPECT_EQ(config.runtime_api, "127.0.0.1:9001");
  EXPECT_FALSE(config.dispatch_post_uri);
  EXPECT_EQ(config.telemetry_timeout_ms, 25u);
}

TEST(Config, SeedVariablesKeepTheirMeaning) {
  auto env = base_env();
  env["DISPATCH_POST_URI"] = "http://example.com:8080/ingest";
  env["DISPATCH_MIN_BATCH_SIZE"] = "10";
  auto config = std::get<ltf::Config>(ltf::load_config(env));
  EXPECT_EQ(config.dispatch_post_uri.value(), "http://example.com:8080/ingest");
  EXPECT_EQ(config.dispatch_min_batch_size, 10u);
}

TEST(Config, EveryBadValueIsReportedByName) {
  auto env = base_env();
  env["LTF_TELEMETRY_TIMEOUT_MS"] = "10";
  env["LTF_TELEMETRY_MAX_ITEMS"] = "lots";
  env["LTF_LISTENER_PORT"] = "9001";
  env["DISPATCH_POST_URI"] = "ftp://example.com/";
  env["LTF_TELEMETRY_TYPES"] = "platform,metrics";
  env["LTF_LOG_LEVEL"] = "chatty";
  auto result = ltf::load_config(env);
  ASSERT_TRUE(std::holds_alternative<std::vector<ltf::ConfigError>>(result));
  const auto text = ltf::describe(std::get<std::vector<ltf::ConfigError>>(result));
  for (const char* name : {"LTF_TELEMETRY_TIMEOUT_MS", "LTF_TELEMETRY_MAX_ITEMS", "LTF_LISTENER_PORT",
                           "DISPATCH_POST_URI", "LTF_TELEMETRY_TYPES", "LTF_LOG_LEVEL"})
    EXPECT_NE(text.find(name), std::string::npos) << name << " missing from: " << text;
}

TEST(Config, RuntimeApiMustBeHostAndPortWithoutScheme) {
  ltf::Environment env{{"AWS_LAMBDA_RUNTIME_API", "http://127.0.0.1:9001"}};
  EXPECT_TRUE(std::holds_alternative<std::vector<ltf::ConfigError>>(ltf::load_config(env)));
  EXPECT_TRUE(std::holds_alternative<std::vector<ltf::ConfigError>>(ltf::load_config({})));
}

TEST(Config, SubscriptionLimitsAreLambdas) {
  auto env = base_env();
  env["LTF_TELEMETRY_MAX_BYTES"] = "1048577";
  EXPECT_TRUE(std::holds_alternative<std::vector<ltf::ConfigError>>(ltf::load_config(env)));
  env["LTF_TELEMETRY_MAX_BYTES"] = "1048576";
  EXPECT_TRUE(std::holds_alternative<ltf::Config>(ltf::load_config(env)));
}

TEST(Config, TransportDefaultsVerifyTlsAndSendUncompressed) {
  const auto config = std::get<ltf::Config>(ltf::load_config(base_env()));
  EXPECT_TRUE(config.tls_verify);
  EXPECT_FALSE(config.ca_file);
  EXPECT_EQ(config.compression, ltf::Compression::none);
  EXPECT_FALSE(config.connect_timeout);
}

TEST(Config, CompressionIsNoneOrGzip) {
  auto env = base_env();
  env["LTF_COMPRESSION"] = "gzip";
  EXPECT_EQ(std::get<ltf::Config>(ltf::load_config(env)).compression, ltf::Compression::gzip);
  env["LTF_COMPRESSION"] = "none";
  EXPECT_EQ(std::get<ltf::Config>(ltf::load_config(env)).compression, ltf::Compression::none);
  env["LTF_COMPRESSION"] = "brotli";
  auto bad = ltf::load_config(env);
  ASSERT_TRUE(std::holds_alternative<std::vector<ltf::ConfigError>>(bad));
  EXPECT_EQ(std::get<std::vector<ltf::ConfigError>>(bad)[0].variable, "LTF_COMPRESSION");
}

TEST(Config, TlsVerifyIsTurnedOffOnlyByAnExplicitFalse) {
  auto env = base_env();
  env["LTF_TLS_VERIFY"] = "false";
  EXPECT_FALSE(std::get<ltf::Config>(ltf::load_config(env)).tls_verify);
  env["LTF_TLS_VERIFY"] = "true";
  EXPECT_TRUE(std::get<ltf::Config>(ltf::load_config(env)).tls_verify);
  for (const char* vague : {"no", "0", "", "FALSE "}) {
    env["LTF_TLS_VERIFY"] = vague;
    auto bad = ltf::load_config(env);
    ASSERT_TRUE(std::holds_alternative<std::vector<ltf::ConfigError>>(bad)) << vague;
    EXPECT_EQ(std::get<std::vector<ltf::ConfigError>>(bad)[0].variable, "LTF_TLS_VERIFY");
  }
}

TEST(Config, CaFileMustBeAReadableFile) {
  char pattern[] = "/tmp/ltf-config-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern), nullptr);
  const std::string dir = pattern;
  const std::string file = dir + "/ca.pem";
  std::ofstream(file) << "-----BEGIN CERTIFICATE-----\n";
  auto env = base_env();
  env["LTF_CA_FILE"] = file;
  EXPECT_EQ(std::get<ltf::Config>(ltf::load_config(env)).ca_file, file);
  for (const std::string& wrong : {dir + "/missing.pem", dir}) {
    env["LTF_CA_FILE"] = wrong;
    auto bad = ltf::load_config(env);
    ASSERT_TRUE(std::holds_alternative<std::vector<ltf::ConfigError>>(bad)) << wrong;
    const auto& error = std::get<std::vector<ltf::ConfigError>>(bad)[0];
    EXPECT_EQ(error.variable, "LTF_CA_FILE");
    EXPECT_NE(error.message.find(wrong), std::string::npos) << error.message;
  }
  env["LTF_CA_FILE"] = "";  // empty, as a console leaves it: not set
  EXPECT_FALSE(std::get<ltf::Config>(ltf::load_config(env)).ca_file);
  std::filesystem::remove_all(dir);
}

TEST(Config, ConnectTimeoutIsOptionalAndBounded) {
  auto env = base_env();
  env["LTF_CONNECT_TIMEOUT_MS"] = "500";
  EXPECT_EQ(std::get<ltf::Config>(ltf::load_config(env)).connect_timeout,
            std::chrono::milliseconds(500));
  env["LTF_CONNECT_TIMEOUT_MS"] = "5";
  EXPECT_TRUE(std::holds_alternative<std::vector<ltf::ConfigError>>(ltf::load_config(env)));
}

TEST(Config, HandshakeTimeoutIsOptionalAndBounded) {
  auto env = base_env();
  EXPECT_FALSE(std::get<ltf::Config>(ltf::load_config(env)).handshake_timeout);
  env["LTF_TLS_HANDSHAKE_TIMEOUT_MS"] = "300";
  EXPECT_EQ(std::get<ltf::Config>(ltf::load_config(env)).handshake_timeout,
            std::chrono::milliseconds(300));
  env["LTF_TLS_HANDSHAKE_TIMEOUT_MS"] = "0";
  EXPECT_TRUE(std::holds_alternative<std::vector<ltf::ConfigError>>(ltf::load_config(env)));
}

}  // namespace

namespace {

TEST(Config, FlushStrategyIntervalAndCounters) {
  auto env = base_env();
  auto config = std::get<ltf::Config>(ltf::load_config(env));
  EXPECT_EQ(config.flush_strategy, ltf::FlushStrategy::automatic);
  EXPECT_EQ(config.flush_interval, std::chrono::milliseconds(1000));
  EXPECT_EQ(config.busy_below, std::chrono::milliseconds(2000));
  EXPECT_EQ(config.counters_interval, std::chrono::milliseconds(60000));

  env["LTF_FLUSH_STRATEGY"] = "periodic";
  env["LTF_FLUSH_INTERVAL_MS"] = "250";
  env["LTF_BUSY_BELOW_MS"] = "500";
  env["LTF_COUNTERS_INTERVAL_MS"] = "0";
  config = std::get<ltf::Config>(ltf::load_config(env));
  EXPECT_EQ(config.flush_strategy, ltf::FlushStrategy::periodic);
  EXPECT_EQ(config.flush_interval, std::chrono::milliseconds(250));
  EXPECT_EQ(config.busy_below, std::chrono::milliseconds(500));
  EXPECT_EQ(config.counters_interval, std::chrono::milliseconds(0));

  env["LTF_FLUSH_STRATEGY"] = "sometimes";
  env["LTF_FLUSH_INTERVAL_MS"] = "5";
  auto bad = ltf::load_config(env);
  ASSERT_TRUE(std::holds_alternative<std::vector<ltf::ConfigError>>(bad));
  const auto& errors = std::get<std::vector<ltf::ConfigError>>(bad);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].variable, "LTF_FLUSH_STRATEGY");
  EXPECT_EQ(errors[1].variable, "LTF_FLUSH_INTERVAL_MS");
}

}  // namespace
