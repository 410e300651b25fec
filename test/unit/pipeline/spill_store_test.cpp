// The spill store's everyday work: events written, taken in order, acknowledged, within budget.
#include "spill_test_support.hpp"

#include <sys/resource.h>

#include <csignal>
#include <fstream>

namespace {

using namespace spill_test;
using ltf::pipeline::SpillCursor;
using ltf::pipeline::SpillStore;
using ltf::telemetry::Event;

TEST_F(SpillStoreTest, RoundTripsEveryFieldOfAnEvent) {
  Event odd;
  odd.raw = "{\"record\":\"line one\\nline two \\\"quoted\\\"\",\n \"t\":\"caf\xc3\xa9 \xe2\x9c\x93\"}\r\n";
  odd.type = "platform.report";
  odd.time = "2022-10-12T00:03:50.000Z";
  odd.request_id = "6d68ca91-49c9-448d-89b8-7ca3e6dc66aa";
  odd.id = "0123456789abcdef0123456789abcdef";
  odd.sequence = 0xfedcba9876543210ULL;
  Event blank;  // every string empty, sequence 0
  Event binary;
  binary.raw = std::string("a\0b\xff", 4);
  binary.type = "function";

  SpillStore store(dir_, 1 << 20);
  ASSERT_FALSE(store.open());
  const std::vector<Event> in{odd, blank, binary};
  EXPECT_EQ(store.append(in), 3u);
  EXPECT_EQ(store.events(), 3u);

  SpillCursor cursor;
  const auto out = store.take(1 << 20, cursor);
  ASSERT_EQ(out.size(), 3u);
  for (std::size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(out[i].raw, in[i].raw);
    EXPECT_EQ(out[i].type, in[i].type);
    EXPECT_EQ(out[i].time, in[i].time);
    EXPECT_EQ(out[i].request_id, in[i].request_id);
    EXPECT_EQ(out[i].id, in[i].id);
    EXPECT_EQ(out[i].sequence, in[i].sequence);
  }
  EXPECT_EQ(cursor.events, 3u);
  EXPECT_EQ(store.stats().spilled_events, 3u);
}

TEST_F(SpillStoreTest, RecordsLargerThanAReadChunkComeBackWhole) {
  // Their checksum is read in chunks first, reusing the read window: what was read from it before
  // must not be read again after.
  SpillStore store(dir_, 1 << 24);
  ASSERT_FALSE(store.open());
  const auto in = events(1, 3, 200'000);
  EXPECT_EQ(store.append(in), 3u);
  SpillCursor cursor;
  const auto out = store.take(1 << 24, cursor);
  ASSERT_EQ(out.size(), 3u);
  for (std::size_t i = 0; i < in.size(); ++i) EXPECT_EQ(out[i].raw, in[i].raw);
  EXPECT_EQ(store.stats().corrupt_records, 0u);
}

TEST_F(SpillStoreTest, OpenCreatesAPrivateDirectory) {
  SpillStore store(dir_ / "nested", 1 << 20);
  ASSERT_FALSE(store.open());
  EXPECT_TRUE(fs::is_directory(dir_ / "nested"));
  EXPECT_EQ(fs::status(dir_ / "nested").permissions() & fs::perms::all, fs::perms::owner_all);
  EXPECT_TRUE(store.empty());
  EXPECT_EQ(store.bytes(), 0u);
  EXPECT_EQ(store.events(), 0u);
}

TEST_F(SpillStoreTest, OpenFailsWhenTheDirectoryCannotBeCreated) {
  std::ofstream(root_ / "a-file") << "not a directory";
  SpillStore store(root_ / "a-file" / "spill", 1 << 20);
  EXPECT_TRUE(store.open());
  // Unopened, it refuses everything rather than crashing.
  EXPECT_EQ(store.append(events(1, 2)), 0u);
  EXPECT_EQ(store.stats().refused_events, 2u);
  SpillCursor cursor;
  EXPECT_TRUE(store.take(1 << 20, cursor).empty());
}

TEST_F(SpillStoreTest, KeepsOrderAcrossSegmentsAndBatchesStayInOneSegment) {
  SpillStore store(dir_, 1 << 20, kThreePerSegment);  // a handful of records per segment
  ASSERT_FALSE(store.open());
  for (std::uint64_t first = 1; first <= 50; first += 10) {
    ASSERT_EQ(store.append(events(first, 10)), 10u);
  }
  const auto files = segments();
  ASSERT_GT(files.size(), 5u);
  for (const fs::path& file : files) {
    EXPECT_LE(fs::file_size(file), kThreePerSegment);
    EXPECT_EQ(file.filename().string().size(), std::string("segment-").size() + 20 + 6);
  }
  EXPECT_EQ(store.events(), 50u);

  std::vector<std::uint64_t> seen;
  std::uint64_t last_segment = 0;
  while (true) {
    SpillCursor cursor;
    const auto batch = store.take(1 << 20, cursor);  // room for all, yet one segment at a time
    if (batch.empty()) break;
    EXPECT_GT(cursor.segment, last_segment);
    last_segment = cursor.segment;
    for (const Event& e : batch) seen.push_back(e.sequence);
    store.acknowledge(cursor);
  }
  EXPECT_EQ(seen, range(1, 50));
  EXPECT_TRUE(store.empty());
  EXPECT_EQ(store.events(), 0u);
}

TEST_F(SpillStoreTest, TakeIsLimitedByMaxBatchBytesButReturnsAtLeastOne) {
  SpillStore store(dir_, 1 << 20);
  ASSERT_FALSE(store.open());
  store.append(events(1, 5, 40));
  store.append(events(6, 1, 500));

  SpillCursor cursor;
  // '[' + 3 x (40 bytes + separator) = 124: three fit, a fourth would not.
  EXPECT_EQ(sequences(store.take(124, cursor)), range(1, 3));
  store.acknowledge(cursor);
  EXPECT_EQ(sequences(store.take(124, cursor)), range(4, 2));
  store.acknowledge(cursor);
  EXPECT_EQ(sequences(store.take(124, cursor)), range(6, 1));  // larger than the limit alone
  store.acknowledge(cursor);
  EXPECT_TRUE(store.empty());
}

TEST_F(SpillStoreTest, TakingAgainContinuesAndRestoreGivesTheSameBatchBack) {
  SpillStore store(dir_, 1 << 20);
  ASSERT_FALSE(store.open());
  store.append(events(1, 6));

  SpillCursor first;
  SpillCursor second;
  EXPECT_EQ(sequences(store.take(124, first)), range(1, 3));
  EXPECT_EQ(sequences(store.take(124, second)), range(4, 3));
  EXPECT_TRUE(store.empty());
  EXPECT_EQ(store.events(), 6u);  // taken is not acknowledged

  store.restore(second);
  store.restore(first);
  EXPECT_FALSE(store.empty());
  SpillCursor again;
  EXPECT_EQ(sequences(store.take(124, again)), range(1, 3));
  EXPECT_EQ(again.segment, first.segment);
  EXPECT_EQ(again.begin, first.begin);
  EXPECT_EQ(again.end, first.end);
  store.acknowledge(again);
  EXPECT_EQ(store.events(), 3u);
  EXPECT_EQ(drain(store), range(4, 3));
}

TEST_F(SpillStoreTest, AcknowledgingASegmentsLastRecordsDeletesIt) {
  SpillStore store(dir_, 1 << 20, kThreePerSegment);
  ASSERT_FALSE(store.open());
  store.append(events(1, 12));
  const auto before = segments();
  ASSERT_GE(before.size(), 3u);
  EXPECT_EQ(store.bytes(), on_disk());

  SpillCursor cursor;
  store.take(1 << 20, cursor);  // the whole first segment
  EXPECT_TRUE(fs::exists(before[0]));
  store.acknowledge(cursor);
  EXPECT_FALSE(fs::exists(before[0]));
  EXPECT_EQ(store.bytes(), on_disk());
  EXPECT_EQ(segments().size(), before.size() - 1);

  drain(store);
  EXPECT_TRUE(segments().empty());  // the segment being written too, once all of it is delivered
  EXPECT_EQ(store.bytes(), 0u);
  EXPECT_EQ(store.events(), 0u);

  // Appending again after that starts a new file.
  EXPECT_EQ(store.append(events(13, 2)), 2u);
  EXPECT_EQ(drain(store), range(13, 2));
}

TEST_F(SpillStoreTest, ReadsTheSegmentBeingWritten) {
  SpillStore store(dir_, 1 << 20);
  ASSERT_FALSE(store.open());
  store.append(events(1, 2));
  SpillCursor cursor;
  EXPECT_EQ(sequences(store.take(1 << 20, cursor)), range(1, 2));
  EXPECT_TRUE(store.empty());
  store.append(events(3, 2));  // same file, after what was read
  EXPECT_EQ(segments().size(), 1u);
  EXPECT_FALSE(store.empty());
  SpillCursor next;
  EXPECT_EQ(sequences(store.take(1 << 20, next)), range(3, 2));
  store.acknowledge(cursor);
  EXPECT_EQ(segments().size(), 1u);  // records 3 and 4 are still out
  store.acknowledge(next);
  EXPECT_TRUE(segments().empty());
}

TEST_F(SpillStoreTest, AnAcknowledgementOutOfOrderIsAppliedWhenTheOlderOneIs) {
  SpillStore store(dir_, 1 << 20);
  ASSERT_FALSE(store.open());
  store.append(events(1, 6));
  SpillCursor first;
  SpillCursor second;
  store.take(124, first);
  store.take(124, second);
  store.acknowledge(second);
  EXPECT_EQ(store.events(), 6u);
  EXPECT_EQ(segments().size(), 1u);
  store.acknowledge(second);  // repeated: no effect
  store.acknowledge(first);
  EXPECT_EQ(store.events(), 0u);
  EXPECT_TRUE(segments().empty());
  store.acknowledge(first);  // of a deleted segment: no effect
  EXPECT_TRUE(store.empty());
}

TEST_F(SpillStoreTest, MaxBytesRefusesWhatDoesNotFitAndCountsIt) {
  SpillStore store(dir_, kHeader + 4 * kRecord);
  ASSERT_FALSE(store.open());
  EXPECT_EQ(store.append(events(1, 3)), 3u);
  EXPECT_EQ(store.append(events(4, 5)), 1u);  // written from the front, the rest refused
  EXPECT_EQ(store.stats().refused_events, 4u);
  EXPECT_EQ(store.stats().spilled_events, 4u);
  EXPECT_EQ(store.bytes(), kHeader + 4 * kRecord);
  EXPECT_EQ(store.bytes(), on_disk());
  EXPECT_EQ(store.append(events(9, 1, 1000)), 0u);  // never fits
  EXPECT_EQ(store.stats().refused_events, 5u);

  EXPECT_EQ(drain(store), range(1, 4));
  EXPECT_EQ(store.append(events(5, 4)), 4u);  // room again once delivered
  EXPECT_EQ(drain(store), range(5, 4));
}

TEST_F(SpillStoreTest, AWriteErrorRefusesTheRestAndKeepsWhatWasWritten) {
  // A real failing write: RLIMIT_FSIZE makes write() fail with EFBIG (SIGXFSZ ignored) past a
  // file size, as ENOSPC would on a full /tmp.
  SpillStore store(dir_, 1 << 20, 1 << 20);
  ASSERT_FALSE(store.open());
  const auto previous_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit previous{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &previous), 0);
  rlimit limited = previous;
  limited.rlim_cur = kHeader + 3 * kRecord + 20;  // three records and a torn fourth
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &limited), 0);
  const std::size_t written = store.append(events(1, 10));
  ::setrlimit(RLIMIT_FSIZE, &previous);
  std::signal(SIGXFSZ, previous_handler);

  EXPECT_EQ(written, 3u);
  EXPECT_EQ(store.stats().refused_events, 7u);
  ASSERT_EQ(segments().size(), 1u);
  EXPECT_EQ(fs::file_size(segments()[0]), store.bytes());  // the torn record was cut off
  EXPECT_EQ(store.append(events(4, 2)), 2u);  // and later appends go to a new segment
  EXPECT_EQ(segments().size(), 2u);
  EXPECT_EQ(drain(store), range(1, 5));
  EXPECT_EQ(store.stats().corrupt_records, 0u);
}

}  // namespace
