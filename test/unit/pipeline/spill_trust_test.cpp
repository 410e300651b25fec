// The spill directory under attack: planted links, a directory others can write, a sparse segment
// claiming 1 GiB, unreadable segments, a read-only directory. Nothing followed, lost or allocated.
#include "ltf/sequence.hpp"
#include "spill_test_support.hpp"
#include "support/peak_rss.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

namespace {

using namespace spill_test;
using ltf::pipeline::SandboxSequence;
using ltf::pipeline::SpillStore;

std::string contents(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

fs::perms mode(const fs::path& path) { return fs::symlink_status(path).permissions() & fs::perms::all; }

// A file someone wants overwritten, and a world-writable place someone wants our files in.
struct SpillTrustTest : SpillStoreTest {
  void SetUp() override {
    SpillStoreTest::SetUp();
    elsewhere_ = root_ / "elsewhere";
    fs::create_directories(elsewhere_);
    fs::permissions(elsewhere_, fs::perms::all);
    std::ofstream(victim()) << "precious";
  }
  fs::path victim() const { return root_ / "victim"; }
  fs::path elsewhere_;
};

TEST_F(SpillTrustTest, ALinkPlantedAsTheDirectoryIsRefusedEverywhereAndNothingLandsBehindIt) {
  fs::create_directory_symlink(elsewhere_, dir_);
  SpillStore store(dir_, 1 << 20);
  const std::error_code ec = store.open();
  ASSERT_TRUE(ec);
  EXPECT_NE(ec.message().find("symbolic link"), std::string::npos) << ec.message();
  EXPECT_EQ(store.append(events(1, 2)), 0u);

  SandboxSequence sequence;
  EXPECT_NE(sequence.open(dir_ / "sequence").find("symbolic link"), std::string::npos);
  std::string problem;
  EXPECT_EQ(ltf::pipeline::sandbox_id(dir_ / "sandbox", &problem).size(), 16u);
  EXPECT_NE(problem.find("symbolic link"), std::string::npos) << problem;
  EXPECT_TRUE(fs::is_empty(elsewhere_)) << "nothing written through the link";
  EXPECT_TRUE(fs::is_symlink(dir_));
}

// Before: the sequence file was opened through the link, and its number overwrote the target.
TEST_F(SpillTrustTest, ALinkPlantedAsTheSequenceOrSandboxFileIsNotFollowed) {
  fs::create_directory(dir_, root_);
  fs::permissions(dir_, fs::perms::owner_all);
  fs::create_symlink(victim(), dir_ / "sequence");
  fs::create_symlink(victim(), dir_ / "sandbox");

  SandboxSequence sequence;
  EXPECT_NE(sequence.open(dir_ / "sequence").find("symbolic link"), std::string::npos);
  std::vector<ltf::telemetry::Event> batch(3);
  sequence.stamp(batch);  // numbered in memory all the same
  EXPECT_EQ(batch[2].sequence, 3u);
  std::string problem;
  EXPECT_EQ(ltf::pipeline::sandbox_id(dir_ / "sandbox", &problem).size(), 16u);
  EXPECT_NE(problem, "");
  EXPECT_EQ(contents(victim()), "precious");
  EXPECT_TRUE(fs::is_symlink(dir_ / "sequence"));
}

// Before: the link was read as a segment (its target's events sent) and then deleted.
TEST_F(SpillTrustTest, ALinkPlantedAsASegmentIsNeitherFollowedNorDeleted) {
  {
    SpillStore other(elsewhere_ / "spill", 1 << 20);
    ASSERT_FALSE(other.open());
    other.append(events(100, 3));
  }
  const fs::path planted = elsewhere_ / "spill" / "segment-00000000000000000001.spill";
  const std::string before = contents(planted);
  fs::create_directory(dir_, root_);
  fs::permissions(dir_, fs::perms::owner_all);
  fs::create_symlink(planted, dir_ / "segment-00000000000000000001.spill");

  SpillStore store(dir_, 1 << 20);
  std::string log = logged_by([&] { ASSERT_FALSE(store.open()); });
  EXPECT_EQ(store.stats().unreadable_segments, 1u);
  EXPECT_EQ(lines(log), 1u) << log;
  EXPECT_NE(log.find("symbolic link"), std::string::npos) << log;
  EXPECT_TRUE(drain(store).empty()) << "the link's events are not ours to send";
  EXPECT_TRUE(fs::is_symlink(dir_ / "segment-00000000000000000001.spill"));
  EXPECT_EQ(contents(planted), before);
  EXPECT_EQ(store.append(events(1, 1)), 1u);  // numbering goes on after it, and spilling works
  EXPECT_TRUE(fs::exists(dir_ / "segment-00000000000000000002.spill"));
}

TEST_F(SpillTrustTest, ADirectoryOthersCanWriteIsRefusedWithAClearReason) {
  fs::create_directory(dir_, root_);
  fs::permissions(dir_, fs::perms::all);  // 0777
  SpillStore store(dir_, 1 << 20);
  const std::error_code ec = store.open();
  ASSERT_TRUE(ec);
  EXPECT_NE(ec.message().find("writable by other users"), std::string::npos) << ec.message();
  SandboxSequence sequence;
  EXPECT_NE(sequence.open(dir_ / "sequence").find("writable by other users"), std::string::npos);
  EXPECT_TRUE(fs::is_empty(dir_));

  fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                            fs::perms::group_write);  // 0770: group-writable is refused too
  EXPECT_TRUE(SpillStore(dir_, 1 << 20).open());
  fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_read | fs::perms::others_read |
                            fs::perms::group_exec | fs::perms::others_exec);  // 0755: ours, fine
  EXPECT_FALSE(SpillStore(dir_, 1 << 20).open());
}

TEST_F(SpillTrustTest, ADirectoryOfAnotherUserIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give the directory away";
  fs::create_directory(dir_, root_);
  fs::permissions(dir_, fs::perms::owner_all);
  ASSERT_EQ(::chown(dir_.c_str(), 65534, 65534), 0);
  const std::error_code ec = SpillStore(dir_, 1 << 20).open();
  ASSERT_TRUE(ec);
  EXPECT_NE(ec.message().find("owned by another user"), std::string::npos) << ec.message();
}

// Before: the sequence file came first and made the directory 0755 (create_directories), which
// the spill store then accepted as it was.
TEST_F(SpillTrustTest, TheDirectoryIsMade0700WhoeverComesFirst) {
  const ::mode_t previous = ::umask(0);  // nothing but our mode decides
  SandboxSequence sequence;
  const std::string problem = sequence.open(dir_ / "sequence");
  std::string id_problem;
  ltf::pipeline::sandbox_id(root_ / "other" / "sandbox", &id_problem);
  ::umask(previous);
  EXPECT_EQ(problem, "");
  EXPECT_EQ(id_problem, "");
  EXPECT_EQ(mode(dir_), fs::perms::owner_all);
  EXPECT_EQ(mode(root_ / "other"), fs::perms::owner_all);
}

// The growth of the peak RSS of a child that opens a store on `dir` and drains it, and the number
// of corrupt records it found.
ltf::test::PeakGrowth peak_growth_while_draining(const fs::path& dir) {
  return ltf::test::peak_rss_growth_in_child([&] {
    SpillStore store(dir, 2ull << 30);
    if (store.open()) return 100;
    drain(store);
    return static_cast<int>(std::min<std::uint64_t>(store.stats().corrupt_records, 99));
  });
}

// A segment whose first record claims `length` bytes, in a sparse file large enough to hold them.
void plant_sparse_segment(const fs::path& file, std::uint32_t length) {
  std::string head("LTFSPIL\x01", 8);
  for (int i = 0; i < 4; ++i) head.push_back(static_cast<char>((length >> (8 * i)) & 0xff));
  head += std::string(4, '\0');  // a checksum that will not match
  std::ofstream(file, std::ios::binary) << head;
  fs::resize_file(file, 16 + std::uint64_t{length} + 100);
}

// Before: the record was allocated (and read) whole: the child grew by 1 GiB.
TEST_F(SpillTrustTest, ASparseSegmentClaiming1GiBAllocatesNothingOfIt) {
  fs::create_directory(dir_, root_);
  fs::permissions(dir_, fs::perms::owner_all);
  plant_sparse_segment(dir_ / "segment-00000000000000000001.spill", 1u << 30);
  const auto [growth_mib, corrupt] = peak_growth_while_draining(dir_);
  EXPECT_EQ(corrupt, 1);
  EXPECT_LT(growth_mib, 32) << "peak RSS grew by " << growth_mib << " MiB";
  RecordProperty("peak_rss_growth_mib", std::to_string(growth_mib));
  EXPECT_FALSE(fs::exists(dir_ / "segment-00000000000000000001.spill"));  // a bad first record
}

// Within the largest record a writer may write: checked a chunk at a time, still not allocated.
TEST_F(SpillTrustTest, ALargeClaimWithinTheLimitIsCheckedBeforeItIsAllocated) {
  fs::create_directory(dir_, root_);
  fs::permissions(dir_, fs::perms::owner_all);
  plant_sparse_segment(dir_ / "segment-00000000000000000001.spill", 60u << 20);
  const auto [growth_mib, corrupt] = peak_growth_while_draining(dir_);
  EXPECT_EQ(corrupt, 1);
  EXPECT_LT(growth_mib, 32) << "peak RSS grew by " << growth_mib << " MiB";
  RecordProperty("peak_rss_growth_mib", std::to_string(growth_mib));
}

// Before: a segment that could not be opened was deleted without a word.
TEST_F(SpillTrustTest, ASegmentThatCannotBeOpenedIsKeptAndReportedOnce) {
  {
    SpillStore first(dir_, 1 << 20, kThreePerSegment);
    ASSERT_FALSE(first.open());
    first.append(events(1, 6));
  }
  const auto files = segments();
  ASSERT_EQ(files.size(), 2u);
  for (const fs::path& file : files) fs::permissions(file, fs::perms::none);
  {
    const PermissionsApply as_a_user;
    SpillStore second(dir_, 1 << 20);
    const std::string log = logged_by([&] { ASSERT_FALSE(second.open()); });
    EXPECT_EQ(second.stats().unreadable_segments, 2u);
    EXPECT_EQ(lines(log), 1u) << log;
    EXPECT_NE(log.find("2 segment(s) cannot be read"), std::string::npos) << log;
    EXPECT_TRUE(second.empty());
    EXPECT_EQ(second.append(events(7, 1)), 1u);
  }
  EXPECT_EQ(segments().size(), 3u) << "both kept";
  for (const fs::path& file : files) fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write);
  SpillStore third(dir_, 1 << 20);
  ASSERT_FALSE(third.open());
  EXPECT_EQ(drain(third), range(1, 7)) << "readable again, nothing was lost";
}

// Before: every spilled event was refused without a word.
TEST_F(SpillTrustTest, AReadOnlyDirectoryIsReportedOnceAndTheEventsStayWithTheCaller) {
  SpillStore store(dir_, 1 << 20);
  ASSERT_FALSE(store.open());
  fs::permissions(dir_, fs::perms::owner_read | fs::perms::owner_exec);
  std::string log;
  {
    const PermissionsApply as_a_user;
    log = logged_by([&] {
      for (std::uint64_t n = 1; n <= 3; ++n) EXPECT_EQ(store.append(events(n, 2)), 0u);
    });
  }
  EXPECT_EQ(lines(log), 1u) << log;
  EXPECT_NE(log.find("Permission denied"), std::string::npos) << log;
  EXPECT_EQ(store.stats().write_failures, 3u);
  EXPECT_EQ(store.stats().refused_events, 6u);  // counted, and left with the caller's memory
  fs::permissions(dir_, fs::perms::owner_all);
  EXPECT_EQ(store.append(events(1, 2)), 2u);  // and spilling works again once it is writable
  EXPECT_EQ(drain(store), range(1, 2));
}

// Before: corrupt records were counted and never mentioned.
TEST_F(SpillTrustTest, CorruptRecordsAreReportedOnceWithTheirCount) {
  {
    SpillStore first(dir_, 1 << 20, kThreePerSegment);
    ASSERT_FALSE(first.open());
    first.append(events(1, 6));
  }
  for (const fs::path& file : segments()) fs::resize_file(file, fs::file_size(file) - 5);
  SpillStore second(dir_, 1 << 20);
  const std::string log = logged_by([&] {
    ASSERT_FALSE(second.open());
    EXPECT_EQ(drain(second), (std::vector<std::uint64_t>{1, 2, 4, 5}));
  });
  EXPECT_EQ(second.stats().corrupt_records, 2u);
  EXPECT_EQ(lines(log), 1u) << log;
  EXPECT_NE(log.find("corrupt record"), std::string::npos) << log;
}

}  // namespace
