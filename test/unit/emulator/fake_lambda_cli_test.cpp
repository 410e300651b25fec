// fake-lambda as a user runs it: real processes, exit codes, the JSON report.
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <sys/wait.h>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

class FakeLambdaCli : public ::testing::Test {
 protected:
  FakeLambdaCli() {
    dir = fs::temp_directory_path() / ("fake-lambda-cli-" + std::to_string(::getpid()) + "-" +
                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir / "extensions");
  }
  ~FakeLambdaCli() override { fs::remove_all(dir); }

  void script(const std::string& name, const std::string& body) {
    const auto path = dir / "extensions" / name;
    std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
    fs::permissions(path, fs::perms::owner_all);
  }

  // Runs fake-lambda with `args`; returns its exit code.
  int run(const std::string& args) {
    const auto command = std::string(LTF_FAKE_LAMBDA_BIN) + " --extensions-dir " +
                         (dir / "extensions").string() + " --report " + (dir / "report.json").string() +
                         " " + args + " > " + (dir / "out.txt").string() + " 2>&1";
    const int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  json::value report() const {
    std::ifstream file(dir / "report.json");
    std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    return json::parse(text);
  }
  std::string output() const {
    std::ifstream file(dir / "out.txt");
    return std::string((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  }

  fs::path dir;
};

TEST_F(FakeLambdaCli, HelpDocumentsTheExitCodes) {
  const auto command = std::string(LTF_FAKE_LAMBDA_BIN) + " --help > " + (dir / "out.txt").string();
  EXPECT_EQ(std::system(command.c_str()), 0);
  EXPECT_NE(output().find("Exit codes"), std::string::npos);
}

TEST_F(FakeLambdaCli, BadFlagIsAUsageError) {
  EXPECT_EQ(run("--invocations lots"), 1);
}

TEST_F(FakeLambdaCli, BadSinkFaultsAndKillsAreUsageErrorsThatSayWhatIsWanted) {
  script("idle", "exec sleep 30");  // never started: the command line is refused first
  const std::pair<std::string, std::string> cases[] = {
      {"--sink-fault wobble", "--sink-fault wants refuse, hang, garbage, reset, drip:MS"},
      {"--sink-fault drip", "--sink-fault drip needs a value"},
      {"--sink-fault drip:0", "--sink-fault drip wants an integer from 1 to 60000"},
      {"--sink-fault reset:3", "--sink-fault reset takes no value"},
      {"--sink-fault status:99", "--sink-fault status wants an integer from 100 to 599"},
      {"--sink-fault-during 2-3", "--sink-fault-during needs --sink-fault"},
      {"--sink-fault hang --sink-fault-during 3-2", "wants A-B with A <= B"},
      {"--sink-fault hang --sink-fail-rate 0.1", "give --sink-fault-during A-B"},
      {"--invocations 3 --kill-extension-at 4", "past the last invocation (3)"},
      {"--sink-require-header NoValue", "--sink-require-header wants [N:]NAME=VALUE"},
      {"--sink-require-header x:A=b", "--sink-require-header wants an integer"},
      {"--rotate-secret a=b", "--rotate-secret wants N:ID=JSON"},
      {"--rotate-secret 2:a={}", "--rotate-secret names 'a', which no --secret serves"},
  };
  for (const auto& [args, message] : cases) {
    EXPECT_EQ(run(args), 1) << args;
    EXPECT_NE(output().find(message), std::string::npos) << args << "\n" << output();
  }
}

TEST_F(FakeLambdaCli, AnExtensionThatExitsDuringInitFailsInitWithItsOutputAsTelemetry) {
  script("crasher", "echo \"starting as $AWS_LAMBDA_FUNCTION_NAME on ${AWS_LAMBDA_RUNTIME_API%%:*}\"; exit 3");
  EXPECT_EQ(run("--invocations 2 --init-timeout-ms 5000"), 3) << output();
  const auto r = report();
  EXPECT_EQ(r.at_pointer("/init/status").as_string(), "error");
  EXPECT_EQ(r.at_pointer("/init/error_type").as_string(), "Extension.Crash");
  const auto& extension = r.at_pointer("/extensions/0").as_object();
  EXPECT_EQ(extension.at("name").as_string(), "crasher");
  EXPECT_EQ(extension.at("exit_status").as_int64(), 3);
  EXPECT_TRUE(extension.contains("peak_rss_kb"));
  EXPECT_EQ(r.at_pointer("/events_produced/extension").to_number<std::uint64_t>(), 1u);
  EXPECT_NE(output().find("init: error (Extension.Crash)"), std::string::npos) << output();
}

TEST_F(FakeLambdaCli, AnExtensionThatNeverRegistersTimesOutInitAndIsKilled) {
  script("sleeper", "exec sleep 30");
  EXPECT_EQ(run("--init-timeout-ms 200 --shutdown-budget-ms 500"), 3) << output();
  const auto r = report();
  EXPECT_EQ(r.at_pointer("/init/status").as_string(), "timeout");
  EXPECT_EQ(r.at_pointer("/extensions/0/killed").as_bool(), true);
  EXPECT_EQ(r.at_pointer("/extensions/0/exit_status").as_int64(), 128 + 9);
}

TEST_F(FakeLambdaCli, AMissingExecutableIsALaunchError) {
  EXPECT_EQ(run("--extension " + (dir / "nope").string()), 3) << output();
  EXPECT_EQ(report().at_pointer("/init/error_type").as_string(), "Extension.LaunchError");
}

}  // namespace
