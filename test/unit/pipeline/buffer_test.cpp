#include "ltf/pipeline.hpp"

#include <gtest/gtest.h>

#include <numeric>
#include <string>
#include <vector>

namespace {

using ltf::pipeline::Buffer;
using ltf::pipeline::Event;

// An event whose raw text is exactly `size` bytes and names `id`.
Event event(int id, std::size_t size = 40) {
  Event e;
  e.raw = "{\"id\":" + std::to_string(id) + "}";
  e.raw.resize(std::max(size, e.raw.size()), ' ');
  e.type = "function";
  e.time = "2022-10-12T00:03:50.000Z";
  return e;
}

std::vector<Event> events(int first, int count, std::size_t size = 40) {
  std::vector<Event> out;
  for (int i = first; i < first + count; ++i) out.push_back(event(i, size));
  return out;
}

std::vector<int> ids(const std::vector<Event>& batch) {
  std::vector<int> out;
  for (const auto& e : batch) out.push_back(std::stoi(e.raw.substr(6)));
  return out;
}

std::vector<int> range(int first, int count) {
  std::vector<int> out(count);
  std::iota(out.begin(), out.end(), first);
  return out;
}

// The oldest events up to `max_batch_bytes`, as the dispatcher takes them, and delivered.
std::vector<Event> take(Buffer& buffer, std::uint64_t max_batch_bytes) {
  auto batch = buffer.take_batch(max_batch_bytes);
  buffer.consumed(batch);
  return std::move(batch.events);
}

std::vector<int> drain(Buffer& buffer) {
  std::vector<int> out;
  while (!buffer.empty()) {
    auto got = ids(take(buffer, 1 << 20));
    out.insert(out.end(), got.begin(), got.end());
  }
  return out;
}

const std::size_t one = event(0).footprint();

TEST(Buffer, KeepsArrivalOrderAndAccountsFootprints) {
  Buffer buffer(1 << 20);
  buffer.push(events(0, 3));
  buffer.push(events(3, 2));
  EXPECT_EQ(buffer.size(), 5u);
  EXPECT_EQ(buffer.bytes(), 5 * one);
  EXPECT_EQ(drain(buffer), range(0, 5));
  EXPECT_EQ(buffer.bytes(), 0u);
  EXPECT_EQ(buffer.stats().dropped_events, 0u);
}

TEST(Buffer, DropsTheOldestEventsWhenOverBudgetAndCountsThem) {
  Buffer buffer(3 * one);
  buffer.push(events(0, 2));
  buffer.push(events(2, 3));
  EXPECT_EQ(buffer.size(), 3u);
  EXPECT_LE(buffer.bytes(), 3 * one);
  EXPECT_EQ(buffer.stats().dropped_events, 2u);
  EXPECT_EQ(buffer.stats().dropped_bytes, 2 * one);
  EXPECT_EQ(drain(buffer), range(2, 3));
}

TEST(Buffer, AnEventLargerThanTheWholeBudgetIsDropped) {
  Buffer buffer(3 * one);
  buffer.push(events(0, 1));
  buffer.push({event(1, 10 * one)});
  EXPECT_TRUE(buffer.empty());
  EXPECT_EQ(buffer.bytes(), 0u);
  EXPECT_EQ(buffer.stats().dropped_events, 2u);
}

TEST(Buffer, TakeFillsABatchUpToMaxBatchBytesOfJson) {
  Buffer buffer(1 << 20);
  buffer.push(events(0, 5, 10));  // each raw is 10 bytes: "[e,e]" is 1 + 11 + 11 = 23 bytes
  EXPECT_EQ(ids(take(buffer, 23)), range(0, 2));
  EXPECT_EQ(ids(take(buffer, 33)), range(2, 2)) << "34 bytes needed for three";
  EXPECT_EQ(ids(take(buffer, 34)), range(4, 1));
  EXPECT_TRUE(take(buffer, 34).empty());
}

TEST(Buffer, TakeAlwaysReturnsAtLeastOneEvent) {
  Buffer buffer(1 << 20);
  buffer.push(events(0, 2, 1000));
  EXPECT_EQ(ids(take(buffer, 10)), range(0, 1));
  EXPECT_EQ(buffer.size(), 1u);
  EXPECT_EQ(buffer.bytes(), one - 40 + 1000);
}

TEST(Buffer, AGivenBackBatchIsAtTheFrontInItsOrder) {
  Buffer buffer(1 << 20);
  buffer.push(events(0, 6));
  auto batch = buffer.take_batch(2 + 3 * 41);
  ASSERT_EQ(ids(batch.events), range(0, 3));
  buffer.push(events(6, 2));
  buffer.give_back(std::move(batch));
  EXPECT_EQ(buffer.size(), 8u);
  EXPECT_EQ(buffer.bytes(), 8 * one);
  EXPECT_EQ(drain(buffer), range(0, 8));
}

TEST(Buffer, ABatchOutCountsAgainstTheBudgetSoNewEventsMakeRoomForIt) {
  Buffer buffer(4 * one);
  buffer.push(events(0, 4));
  auto batch = buffer.take_batch(2 + 2 * 41);  // 0, 1 out; 2, 3 stay
  ASSERT_EQ(ids(batch.events), range(0, 2));
  EXPECT_EQ(buffer.bytes_out(), 2 * one);
  buffer.push(events(4, 1));  // 2, 3, 4 in memory and two out: one too many, the oldest in memory goes
  EXPECT_EQ(buffer.stats().dropped_events, 1u);
  buffer.give_back(std::move(batch));
  EXPECT_EQ(buffer.bytes_out(), 0u);
  EXPECT_LE(buffer.bytes(), 4 * one);
  EXPECT_EQ(drain(buffer), std::vector<int>({0, 1, 3, 4}));
}

}  // namespace
