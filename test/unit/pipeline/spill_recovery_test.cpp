// The spill store after a restart or a kill: what an earlier process left is found, checked and
// sent first; torn and damaged records are skipped and counted.
#include "spill_test_support.hpp"

#include <sys/wait.h>

#include <csignal>
#include <fstream>

namespace {

using namespace spill_test;
using ltf::pipeline::SpillCursor;
using ltf::pipeline::SpillStore;

TEST_F(SpillStoreTest, ARestartedProcessReadsWhatTheFirstLeftBeforeItsOwn) {
  {
    SpillStore first(dir_, 1 << 20, kThreePerSegment);
    ASSERT_FALSE(first.open());
    first.append(events(1, 10));
    SpillCursor cursor;
    first.take(1 << 20, cursor);  // taken, never acknowledged: the process dies with it
  }
  const std::uint64_t left = on_disk();

  SpillStore second(dir_, 1 << 20, kThreePerSegment);
  ASSERT_FALSE(second.open());
  EXPECT_FALSE(second.empty());
  EXPECT_EQ(second.bytes(), left);
  EXPECT_EQ(second.events(), 10u);  // an estimate, exact here: every record has the same size
  EXPECT_EQ(second.append(events(11, 5)), 5u);
  EXPECT_EQ(drain(second), range(1, 15));
  EXPECT_EQ(second.stats().recovered_events, 10u);
  EXPECT_EQ(second.stats().corrupt_records, 0u);
  EXPECT_TRUE(segments().empty());
}

TEST_F(SpillStoreTest, WhatAProcessKilledMidRunSpilledIsRecoveredInOrder) {
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child spills without end, small segments so that it rotates too; after 200 events it
    // tells the parent, which kills it wherever it is.
    // Should the parent fail before killing it, the child stops growing the directory at 100k
    // events and SIGALRM ends it.
    ::close(ready[0]);
    ::alarm(60);
    SpillStore store(dir_, 1ULL << 30, 4096);
    if (store.open()) ::_exit(1);
    for (std::uint64_t n = 1; n <= 100'000; ++n) {
      if (store.append(events(n, 1)) != 1) ::_exit(2);
      if (n == 200 && ::write(ready[1], "x", 1) != 1) ::_exit(3);
    }
    while (true) ::pause();
  }
  ::close(ready[1]);
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1);
  ::close(ready[0]);
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));

  SpillStore store(dir_, 1ULL << 30, 4096);
  ASSERT_FALSE(store.open());
  const auto recovered = drain(store);
  ASSERT_GE(recovered.size(), 200u);
  EXPECT_EQ(recovered, range(1, recovered.size()));  // a prefix: nothing lost, nothing reordered
  EXPECT_LE(store.stats().corrupt_records, 1u);      // at most the write the kill tore
  EXPECT_TRUE(segments().empty());
}

TEST_F(SpillStoreTest, APartlyAcknowledgedSegmentIsReadAgainFromItsStartAfterARestart) {
  {
    SpillStore first(dir_, 1 << 20);
    ASSERT_FALSE(first.open());
    first.append(events(1, 6));
    SpillCursor cursor;
    first.take(124, cursor);
    first.acknowledge(cursor);  // 1-3 delivered; progress within a segment is not persisted
  }
  SpillStore second(dir_, 1 << 20);
  ASSERT_FALSE(second.open());
  EXPECT_EQ(drain(second), range(1, 6));  // 1-3 twice overall, with the same ids
}

TEST_F(SpillStoreTest, ATornTailIsSkippedAndCountedAfterTheRecordsBeforeIt) {
  {
    SpillStore first(dir_, 1 << 20, kThreePerSegment);
    ASSERT_FALSE(first.open());
    first.append(events(1, 8));
  }
  auto files = segments();
  ASSERT_EQ(files.size(), 3u);  // 3 + 3 + 2 records
  fs::resize_file(files.back(), fs::file_size(files.back()) - kRecord / 2);  // mid-way through record 8

  SpillStore second(dir_, 1 << 20, kThreePerSegment);
  ASSERT_FALSE(second.open());
  EXPECT_EQ(drain(second), range(1, 7));
  EXPECT_EQ(second.stats().corrupt_records, 1u);
  EXPECT_EQ(second.stats().recovered_events, 7u);
  EXPECT_TRUE(second.empty());
  EXPECT_EQ(second.events(), 0u);
  EXPECT_TRUE(segments().empty());
  EXPECT_EQ(second.bytes(), 0u);
}

TEST_F(SpillStoreTest, AFlippedByteEndsItsSegmentWhichIsCountedAndTheNextIsStillRead) {
  {
    SpillStore first(dir_, 1 << 20, kThreePerSegment);
    ASSERT_FALSE(first.open());
    first.append(events(1, 6));
  }
  auto files = segments();
  ASSERT_EQ(files.size(), 2u);  // 1-3, 4-6
  {
    // Inside the payload of the second record.
    const auto at = static_cast<std::streamoff>(kHeader + kRecord + 8 + 20);
    std::fstream file(files[0], std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(at);
    const char byte = static_cast<char>(file.get());
    file.seekp(at);
    file.put(static_cast<char>(byte ^ 0x20));
  }
  SpillStore second(dir_, 1 << 20, kThreePerSegment);
  ASSERT_FALSE(second.open());
  EXPECT_EQ(drain(second), (std::vector<std::uint64_t>{1, 4, 5, 6}));
  EXPECT_EQ(second.stats().corrupt_records, 1u);
  EXPECT_TRUE(segments().empty());
}

TEST_F(SpillStoreTest, SegmentsWithNothingReadableAreDroppedAtOpenSoEmptyIsExact) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "segment-00000000000000000001.spill");  // killed before its first write
  std::ofstream(dir_ / "segment-00000000000000000002.spill") << "LTFSPIL\x01\x05";  // torn first
  std::ofstream(dir_ / "segment-00000000000000000003.spill") << "LTFSPIL\x09 another format";
  std::ofstream(dir_ / "notes.txt") << "not a segment";

  SpillStore store(dir_, 1 << 20);
  ASSERT_FALSE(store.open());
  EXPECT_TRUE(store.empty());
  EXPECT_EQ(store.events(), 0u);
  EXPECT_EQ(store.bytes(), 0u);
  EXPECT_EQ(store.stats().corrupt_records, 2u);
  EXPECT_EQ(segments(), std::vector<fs::path>{dir_ / "notes.txt"});

  // Numbering continues after the highest name found.
  store.append(events(1, 1));
  EXPECT_TRUE(fs::exists(dir_ / "segment-00000000000000000004.spill"));
}

}  // namespace
