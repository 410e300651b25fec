#include "ltf/sequence.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <unistd.h>

namespace {

using ltf::pipeline::SandboxSequence;
using ltf::telemetry::Event;

struct SandboxSequenceTest : ::testing::Test {
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("ltf-seq-" + std::to_string(::getpid()) + "-" +
                               ::testing::UnitTest::GetInstance()->current_test_info()->name());
  void TearDown() override { std::filesystem::remove_all(dir); }
};

std::vector<std::uint64_t> stamp(SandboxSequence& sequence, std::size_t count) {
  std::vector<Event> events(count);
  sequence.stamp(events);
  std::vector<std::uint64_t> out;
  for (const auto& e : events) out.push_back(e.sequence);
  return out;
}

TEST_F(SandboxSequenceTest, NumbersFromOneAndARestartContinuesWhereTheLastProcessStopped) {
  {
    SandboxSequence first;
    EXPECT_EQ(first.open(dir / "sequence"), "");
    EXPECT_EQ(stamp(first, 3), (std::vector<std::uint64_t>{1, 2, 3}));
    EXPECT_EQ(stamp(first, 1), (std::vector<std::uint64_t>{4}));
  }  // the process ends (or is killed: nothing is written at exit)
  SandboxSequence restarted;
  EXPECT_EQ(restarted.open(dir / "sequence"), "");
  EXPECT_EQ(stamp(restarted, 2), (std::vector<std::uint64_t>{5, 6}));
}

TEST_F(SandboxSequenceTest, AGarbledFileIsReportedAndNumberingStartsAgain) {
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "sequence") << "12ab";
  SandboxSequence sequence;
  EXPECT_NE(sequence.open(dir / "sequence").find("not a sequence number"), std::string::npos);
  EXPECT_EQ(stamp(sequence, 1), (std::vector<std::uint64_t>{1}));
  SandboxSequence again;  // and the file is usable again afterwards
  EXPECT_EQ(again.open(dir / "sequence"), "");
  EXPECT_EQ(again.next(), 2u);
}

TEST_F(SandboxSequenceTest, AnUnusablePlaceStillNumbersInMemory) {
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "file") << "x";
  SandboxSequence sequence;
  EXPECT_NE(sequence.open(dir / "file" / "sequence"), "");
  EXPECT_EQ(stamp(sequence, 2), (std::vector<std::uint64_t>{1, 2}));
}

}  // namespace

namespace {

TEST_F(SandboxSequenceTest, TheSandboxIdIsMadeOnceAndKeptForTheNextProcess) {
  std::string problem;
  const std::string first = ltf::pipeline::sandbox_id(dir / "sandbox", &problem);
  EXPECT_EQ(problem, "");
  ASSERT_EQ(first.size(), 16u);
  EXPECT_EQ(first.find_first_not_of("0123456789abcdef"), std::string::npos) << first;
  EXPECT_EQ(ltf::pipeline::sandbox_id(dir / "sandbox", &problem), first) << "same sandbox, same id";

  std::filesystem::remove_all(dir);  // a new sandbox: an empty /tmp
  EXPECT_NE(ltf::pipeline::sandbox_id(dir / "sandbox", &problem), first);
}

TEST_F(SandboxSequenceTest, AnUnusablePlaceStillGivesAnIdAndSaysWhy) {
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "file") << "x";
  std::string problem;
  EXPECT_EQ(ltf::pipeline::sandbox_id(dir / "file" / "sandbox", &problem).size(), 16u);
  EXPECT_NE(problem, "");
}

}  // namespace
