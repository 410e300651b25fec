// The buffer with a spill store attached: past the memory budget events go to disk, and disk is
// read first because it holds the oldest events.

#include "ltf/pipeline.hpp"
#include "ltf/spill_store.hpp"
#include "spill_test_support.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

namespace {

using ltf::pipeline::Batch;
using ltf::pipeline::Buffer;
using ltf::pipeline::Event;
using ltf::pipeline::SpillStore;

Event line(std::uint64_t n) {
  Event e;
  e.type = "function";
  e.time = "2022-10-12T00:03:50.000Z";
  e.raw = R"({"type":"function","record":"line )" + std::to_string(n) + std::string(200, '.') + "\"}";
  e.sequence = n;
  return e;
}

std::vector<Event> lines(std::uint64_t from, std::uint64_t to) {
  std::vector<Event> out;
  for (auto n = from; n < to; ++n) out.push_back(line(n));
  return out;
}

class BufferSpillTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "ltf-buffer-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir); }

  // Takes everything, in order, acknowledging each batch.
  static std::vector<std::uint64_t> drain(Buffer& buffer) {
    std::vector<std::uint64_t> seen;
    while (!buffer.empty()) {
      Batch batch = buffer.take_batch(4096);
      for (const auto& e : batch.events) seen.push_back(e.sequence);
      buffer.consumed(batch);
    }
    return seen;
  }

  std::filesystem::path dir;
};

std::vector<std::uint64_t> range(std::uint64_t from, std::uint64_t to) {
  std::vector<std::uint64_t> out;
  for (auto n = from; n < to; ++n) out.push_back(n);
  return out;
}

TEST_F(BufferSpillTest, PastTheMemoryBudgetEventsGoToDiskNotAway) {
  SpillStore spill(dir, 1 << 20);
  ASSERT_FALSE(spill.open());
  Buffer buffer(4 * line(0).footprint());
  buffer.attach_spill(&spill);
  buffer.push(lines(1, 21));
  EXPECT_EQ(buffer.stats().dropped_events, 0u);
  EXPECT_LE(buffer.bytes(), 4 * line(0).footprint());
  EXPECT_EQ(buffer.size(), 20u);
  EXPECT_EQ(drain(buffer), range(1, 21));  // disk first: the oldest
}

TEST_F(BufferSpillTest, ABatchGivenBackFromDiskComesAgainFirst) {
  SpillStore spill(dir, 1 << 20);
  ASSERT_FALSE(spill.open());
  Buffer buffer(2 * line(0).footprint());
  buffer.attach_spill(&spill);
  buffer.push(lines(1, 11));
  Batch first = buffer.take_batch(600);
  ASSERT_TRUE(first.spilled.has_value());
  const auto head = first.events.front().sequence;
  buffer.give_back(std::move(first));
  Batch again = buffer.take_batch(600);
  EXPECT_EQ(again.events.front().sequence, head);
  buffer.consumed(again);
  auto rest = drain(buffer);
  EXPECT_EQ(rest.front(), head + again.events.size());
  EXPECT_EQ(rest.back(), 10u);
}

TEST_F(BufferSpillTest, WhatIsLeftAtShutdownIsFoundByTheNextProcess) {
  {
    SpillStore spill(dir, 1 << 20);
    ASSERT_FALSE(spill.open());
    Buffer buffer(1 << 20);
    buffer.attach_spill(&spill);
    buffer.push(lines(1, 6));
    EXPECT_EQ(buffer.spill_everything(), 0u);
    EXPECT_EQ(buffer.bytes(), 0u);
  }
  SpillStore spill(dir, 1 << 20);
  ASSERT_FALSE(spill.open());
  Buffer buffer(1 << 20);
  buffer.attach_spill(&spill);
  buffer.push(lines(6, 9));  // the new process's own events come after
  EXPECT_EQ(drain(buffer), range(1, 9));
}

TEST_F(BufferSpillTest, WhenTheDiskIsFullTooTheOldestAreDroppedAndCounted) {
  SpillStore spill(dir, 600);  // room for about two events
  ASSERT_FALSE(spill.open());
  Buffer buffer(2 * line(0).footprint());
  buffer.attach_spill(&spill);
  buffer.push(lines(1, 11));
  EXPECT_GT(buffer.stats().dropped_events, 0u);
  const auto kept = drain(buffer);
  EXPECT_EQ(kept.size() + buffer.stats().dropped_events, 10u);
  EXPECT_EQ(kept.back(), 10u);  // the newest survive
}

// Before: the refused events were handled the same, but nobody was told the disk was unusable.
TEST_F(BufferSpillTest, AReadOnlySpillDirectoryIsReportedOnceAndEveryEventIsKeptOrCounted) {
  SpillStore spill(dir, 1 << 20);
  ASSERT_FALSE(spill.open());
  std::filesystem::permissions(dir, std::filesystem::perms::owner_read |
                                        std::filesystem::perms::owner_exec);
  Buffer buffer(4 * line(10).footprint());  // the largest of the ten
  buffer.attach_spill(&spill);
  std::string log;
  {
    const spill_test::PermissionsApply as_a_user;
    log = spill_test::logged_by([&] {
      for (std::uint64_t n = 1; n <= 10; ++n) buffer.push(lines(n, n + 1));
    });
  }
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all);
  EXPECT_EQ(spill_test::lines(log), 1u) << log;
  EXPECT_NE(log.find("cannot write to the spill directory"), std::string::npos) << log;
  EXPECT_GT(spill.stats().write_failures, 0u);
  EXPECT_EQ(buffer.size(), 4u) << "the budget's worth stays in memory";
  EXPECT_EQ(buffer.size() + buffer.stats().dropped_events, 10u) << "the rest is counted";
  EXPECT_EQ(drain(buffer), range(7, 11));  // the newest survive
}

}  // namespace
