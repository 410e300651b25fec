// --version and --help are answered before anything else, and only they are.
#include "ltf/version.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace {

struct Argv {
  explicit Argv(std::vector<std::string> words) : words_(std::move(words)) {
    for (auto& w : words_) pointers_.push_back(w.data());
    pointers_.push_back(nullptr);
  }
  int argc() const { return static_cast<int>(words_.size()); }
  char** argv() { return pointers_.data(); }

 private:
  std::vector<std::string> words_;
  std::vector<char*> pointers_;
};

TEST(Version, IsTheSemanticVersionOfProjectAndTheUserAgentCarriesIt) {
  const std::string version(ltf::version());
  EXPECT_EQ(std::count(version.begin(), version.end(), '.'), 2) << version;
  EXPECT_EQ(ltf::user_agent(), "telemetry-forwarder/" + version);
}

TEST(Version, VersionAndItsShortFormPrintTheProgramAndVersionAndExitZero) {
  for (const char* option : {"--version", "-V"}) {
    Argv args({"telemetry-forwarder", option});
    testing::internal::CaptureStdout();
    const auto code =
        ltf::print_version_or_help(args.argc(), args.argv(), "telemetry-forwarder", "help");
    EXPECT_EQ(testing::internal::GetCapturedStdout(),
              "telemetry-forwarder " + std::string(ltf::version()) + "\n");
    EXPECT_EQ(code, 0);
  }
}

TEST(Version, HelpPrintsTheHelpText) {
  Argv args({"telemetry-forwarder", "--help"});
  testing::internal::CaptureStdout();
  const auto code = ltf::print_version_or_help(args.argc(), args.argv(), "telemetry-forwarder",
                                               ltf::forwarder_help());
  const std::string out = testing::internal::GetCapturedStdout();
  EXPECT_EQ(code, 0);
  EXPECT_EQ(out.rfind("usage: telemetry-forwarder", 0), 0u) << out;
  EXPECT_NE(out.find("DISPATCH_POST_URI"), std::string::npos);
}

TEST(Version, AnythingElseLetsTheProgramGoOn) {
  for (const auto& words : std::vector<std::vector<std::string>>{
           {"telemetry-forwarder"}, {"telemetry-forwarder", "--verbose"}, {"x", "version"}}) {
    Argv args(words);
    EXPECT_EQ(ltf::print_version_or_help(args.argc(), args.argv(), "p", "h"), std::nullopt);
  }
}

}  // namespace
