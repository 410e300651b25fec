// fake-lambda --otlp: the extensions are pointed at the recording sink as an OTLP receiver.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;

struct FakeLambdaOtlpCli : ::testing::Test {
  FakeLambdaOtlpCli() {
    dir = fs::temp_directory_path() / ("fake-lambda-otlp-" + std::to_string(::getpid()) + "-" +
                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir / "extensions");
    // An "extension" that only writes down what it was given, then fails its Init.
    const auto path = dir / "extensions" / "env-dump";
    std::ofstream(path) << "#!/bin/sh\necho \"$LTF_OTLP_ENDPOINT|$LTF_OTLP_PROTOCOL|$DISPATCH_POST_URI\" > "
                        << (dir / "env.txt").string() << "\nexit 1\n";
    fs::permissions(path, fs::perms::owner_all);
  }
  ~FakeLambdaOtlpCli() override { fs::remove_all(dir); }

  int run(const std::string& args) {
    const auto command = std::string(LTF_FAKE_LAMBDA_BIN) + " --extensions-dir " +
                         (dir / "extensions").string() + " " + args + " > /dev/null 2>&1";
    const int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  std::string env() const {
    std::ifstream file(dir / "env.txt");
    std::string line;
    std::getline(file, line);
    return line;
  }

  fs::path dir;
};

TEST_F(FakeLambdaOtlpCli, OtlpPointsTheOtlpEndpointAtTheSinkInsteadOfDispatchPostUri) {
  run("--otlp json --invocations 1");
  const auto line = env();
  EXPECT_EQ(line.rfind("http://127.0.0.1:", 0), 0u) << line;
  EXPECT_NE(line.find("|http/json|"), std::string::npos) << line;
  EXPECT_EQ(line.back(), '|') << line;  // no DISPATCH_POST_URI: one destination
}

TEST_F(FakeLambdaOtlpCli, AnUnknownProtocolIsAUsageError) {
  EXPECT_EQ(run("--otlp grpc"), 1);
  EXPECT_FALSE(fs::exists(dir / "env.txt"));
}

}  // namespace
