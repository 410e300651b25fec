#include "ltf/spill_store.hpp"

#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using ltf::pipeline::SpillCursor;
using ltf::pipeline::SpillStore;
using ltf::telemetry::Event;

// The format's sizes, for tests that fill segments or damage files: the segment header, and one
// record of event(n) for a one-digit n (8 header + 8 sequence + 5 lengths + the strings).
constexpr std::uint64_t kHeader = 8;
constexpr std::uint64_t kRecord = 8 + 8 + 5 * 4 + 40 + 8 + 24 + 5 + 4;
constexpr std::uint64_t kThreePerSegment = kHeader + 3 * kRecord;

// An event whose raw JSON is at least `size` bytes; `n` is its sequence and part of every field.
Event event(std::uint64_t n, std::size_t size = 40) {
  Event e;
  e.raw = "{\"n\":" + std::to_string(n) + "}";
  e.raw.resize(std::max(size, e.raw.size()), ' ');
  e.type = "function";
  e.time = "2022-10-12T00:03:50.000Z";
  e.request_id = "req-" + std::to_string(n);
  e.id = "id-" + std::to_string(n);
  e.sequence = n;
  return e;
}

std::vector<Event> events(std::uint64_t first, std::uint64_t count, std::size_t size = 40) {
  std::vector<Event> out;
  for (std::uint64_t n = first; n < first + count; ++n) out.push_back(event(n, size));
  return out;
}

std::vector<std::uint64_t> range(std::uint64_t first, std::uint64_t count) {
  std::vector<std::uint64_t> out;
  for (std::uint64_t n = first; n < first + count; ++n) out.push_back(n);
  return out;
}

std::vector<std::uint64_t> sequences(const std::vector<Event>& batch) {
  std::vector<std::uint64_t> out;
  for (const Event& e : batch) out.push_back(e.sequence);
  return out;
}

// Takes and acknowledges everything, returning the sequences in the order they came.
std::vector<std::uint64_t> drain(SpillStore& store, std::uint64_t max_batch_bytes = 1 << 20) {
  std::vector<std::uint64_t> out;
  while (true) {
    SpillCursor cursor;
    const auto batch = store.take(max_batch_bytes, cursor);
    if (batch.empty()) break;
    for (const Event& e : batch) out.push_back(e.sequence);
    store.acknowledge(cursor);
  }
  return out;
}

class SpillStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "ltf-spill-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    dir_ = root_ / "spill";
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  std::vector<fs::path> segments() const {
    std::vector<fs::path> out;
    if (!fs::exists(dir_)) return out;
    for (const auto& entry : fs::directory_iterator(dir_)) out.push_back(entry.path());
    std::sort(out.begin(), out.end());
    return out;
  }

  std::uint64_t on_disk() const {
    std::uint64_t total = 0;
    for (const fs::path& file : segments()) total += fs::file_size(file);
    return total;
  }

  fs::path root_;
  fs::path dir_;
};

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
