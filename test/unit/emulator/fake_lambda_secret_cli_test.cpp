// fake-lambda --secret: the extensions it runs are pointed at a fake Secrets Manager, with
// credentials it will accept.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;

class FakeLambdaSecretCli : public ::testing::Test {
 protected:
  FakeLambdaSecretCli() {
    dir = fs::temp_directory_path() /
          ("fake-lambda-secret-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir / "extensions");
    // Says what it was given, then fails Init: the environment is all this test is about.
    const auto path = dir / "extensions" / "show-env";
    std::ofstream(path) << "#!/bin/sh\n"
                           "echo \"endpoint=$AWS_ENDPOINT_URL_SECRETS_MANAGER\"\n"
                           "echo \"port=$PARAMETERS_SECRETS_EXTENSION_HTTP_PORT\"\n"
                           "echo \"key=$AWS_ACCESS_KEY_ID region=$AWS_REGION\"\n"
                           "test -n \"$AWS_SECRET_ACCESS_KEY\" && echo secret-key-set\n"
                           "test -n \"$AWS_SESSION_TOKEN\" && echo token-set\n"
                           "exit 3\n";
    fs::permissions(path, fs::perms::owner_all);
  }
  ~FakeLambdaSecretCli() override { fs::remove_all(dir); }

  int run(const std::string& args) {
    const auto command = std::string(LTF_FAKE_LAMBDA_BIN) + " --verbose --extensions-dir " +
                         (dir / "extensions").string() + " " + args + " > " +
                         (dir / "out.txt").string() + " 2>&1";
    const int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  std::string output() const {
    std::ifstream file(dir / "out.txt");
    return std::string((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  }

  fs::path dir;
};

TEST_F(FakeLambdaSecretCli, PointsTheExtensionsAtTheFakeWithFakeCredentials) {
  // A developer's own credentials never reach the fake.
  ::setenv("AWS_ACCESS_KEY_ID", "ASIAREALDEVELOPERKEY", 1);
  const int code = run("--invocations 1 --secret 'os-auth={\"username\":\"u\",\"password\":\"p\"}'");
  ::unsetenv("AWS_ACCESS_KEY_ID");
  EXPECT_EQ(code, 3) << output();  // the script fails Init on purpose
  const std::string out = output();
  EXPECT_NE(out.find("endpoint=http://127.0.0.1:"), std::string::npos) << out;
  EXPECT_EQ(out.find("port=\n"), std::string::npos) << out;
  EXPECT_NE(out.find("key=AKIAIOSFODNN7EXAMPLE region=us-east-1"), std::string::npos) << out;
  EXPECT_NE(out.find("secret-key-set"), std::string::npos) << out;
  EXPECT_NE(out.find("token-set"), std::string::npos) << out;
  EXPECT_NE(out.find("secrets: 0 GetSecretValue"), std::string::npos) << out;
}

TEST_F(FakeLambdaSecretCli, CredentialsAndRegionGivenWithEnvAreKept) {
  EXPECT_EQ(run("--invocations 1 --secret 'a={}' --env AWS_ACCESS_KEY_ID=AKIDMINE "
                "--env AWS_REGION=eu-west-3"),
            3)
      << output();
  EXPECT_NE(output().find("key=AKIDMINE region=eu-west-3"), std::string::npos) << output();
}

TEST_F(FakeLambdaSecretCli, WithoutSecretsNoEndpointIsSet) {
  EXPECT_EQ(run("--invocations 1"), 3) << output();
  EXPECT_NE(output().find("endpoint=\n"), std::string::npos) << output();
}

TEST_F(FakeLambdaSecretCli, ASecretWithoutAnIdIsAUsageError) {
  EXPECT_EQ(run("--secret '={}'"), 1);
  EXPECT_NE(output().find("--secret wants ID=JSON"), std::string::npos) << output();
  EXPECT_EQ(run("--secret no-value"), 1);
}

}  // namespace
