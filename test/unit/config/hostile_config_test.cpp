// Configuration values an attacker or a typo could set: each refused with a clear error at Init,
// none crashing, wrapping or forging a log line.
#include "ltf/config.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace {

ltf::Environment base_env() { return {{"AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"}}; }

std::string errors_of(const ltf::Environment& env) {
  auto loaded = ltf::read_config(env);
  return ltf::describe(loaded.errors);
}

TEST(HostileConfig, ARuntimeApiPortThatIsNotANumberIsAnErrorNotACrash) {
  for (const char* api : {"host:abc", "host:", ":9001", "host:70000", "host:0", "host", "http://h:1"}) {
    auto env = base_env();
    env["AWS_LAMBDA_RUNTIME_API"] = api;
    EXPECT_NE(errors_of(env).find("AWS_LAMBDA_RUNTIME_API must be host:port"), std::string::npos) << api;
  }
}

TEST(HostileConfig, ADestinationPortAbove65535IsRefusedNotWrapped) {
  auto env = base_env();
  env["DISPATCH_POST_URI"] = "http://127.0.0.1:83616/";
  EXPECT_NE(errors_of(env).find("DISPATCH_POST_URI has port '83616'"), std::string::npos);
}

TEST(HostileConfig, AUrlThatIsNotValidUtf8IsRefused) {
  auto env = base_env();
  env["DISPATCH_POST_URI"] = "http://h\xff\xfe.example/";
  EXPECT_NE(errors_of(env).find("DISPATCH_POST_URI holds"), std::string::npos);
  env = base_env();
  env["URL"] = "https://search\xc3.example/";
  EXPECT_NE(errors_of(env).find("URL holds"), std::string::npos);
}

TEST(HostileConfig, AnInitialBackoffAboveTheCeilingIsRefused) {
  auto env = base_env();
  env["LTF_RETRY_INITIAL_MS"] = "5000";
  env["LTF_RETRY_MAX_MS"] = "1000";
  EXPECT_NE(errors_of(env).find("LTF_RETRY_INITIAL_MS must not exceed LTF_RETRY_MAX_MS"),
            std::string::npos);
}

TEST(HostileConfig, ACaFileThatIsNotPemIsRefusedAtInit) {
  const auto file = std::filesystem::temp_directory_path() / "ltf-not-pem.crt";
  std::ofstream(file) << "this is not a certificate\n";
  auto env = base_env();
  env["LTF_CA_FILE"] = file.string();
  EXPECT_NE(errors_of(env).find("LTF_CA_FILE holds no PEM certificate"), std::string::npos);
  std::ofstream(file) << "# a comment first, as Amazon Linux's bundle has\n"
                         "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  EXPECT_EQ(errors_of(env), "");
  std::filesystem::remove(file);
}

TEST(HostileConfig, ANewlineInAValueCannotForgeALogLine) {
  auto env = base_env();
  env["LTF_COMPRESSION"] = "gzip\n[telemetry-forwarder] INFO forged";
  env["LTF_SPILL_DIR"] = "relative\r\nX";
  const auto errors = errors_of(env);
  EXPECT_EQ(errors.find('\n'), std::string::npos) << errors;
  EXPECT_EQ(errors.find('\r'), std::string::npos) << errors;
  EXPECT_NE(errors.find("LTF_COMPRESSION must be one of none, gzip"), std::string::npos);
}

TEST(HostileConfig, AHugeValueIsQuotedBounded) {
  auto env = base_env();
  env["LTF_FLUSH_STRATEGY"] = std::string(1'000'000, 'x');
  EXPECT_LT(errors_of(env).size(), 400u);
}

TEST(HostileConfig, ABadValueKeepsItsDefaultAndTheRestIsRead) {
  auto env = base_env();
  env["LTF_LOG_LEVEL"] = "debug";
  env["LTF_FLUSH_BUDGET_MS"] = "-1";
  auto loaded = ltf::read_config(env);
  ASSERT_EQ(loaded.errors.size(), 1u);
  EXPECT_EQ(loaded.config.log_level, ltf::LogLevel::debug);
  EXPECT_EQ(loaded.config.flush_budget, ltf::defaults::flush_budget.fallback);
}

}  // namespace
