// When neither memory nor disk has room: what is shed, in which order, and what never is.

#include "ltf/pipeline.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using ltf::pipeline::Buffer;
using ltf::pipeline::Event;
using ltf::telemetry::parse_batch;

// Parsed as the listener would, so each event is ranked the way it is in production. Every
// record is padded to the same length so that all events have the same footprint.
std::vector<Event> parse(const std::vector<std::string>& elements) {
  std::string body = "[";
  for (const auto& element : elements) body += (body.size() > 1 ? "," : "") + element;
  body += "]";
  std::vector<Event> out;
  EXPECT_TRUE(parse_batch(body, out).error.empty());
  return out;
}

std::string log_line(const std::string& name, const std::string& level) {
  return R"({"time":"t","type":"function","record":{"level":")" + level + R"(","message":")" +
         name + std::string(20 - name.size() - level.size(), ' ') + R"("}})";
}
std::string text_line(const std::string& name) {
  return R"({"time":"t","type":"extension","record":")" + name +
         std::string(50 - name.size(), ' ') + R"("})";
}
std::string platform(const std::string& type, const std::string& name) {
  return R"({"time":"t","type":")" + type + R"(","record":{"requestId":")" + name +
         std::string(30 - name.size() - type.size() + 15, ' ') + R"("}})";
}

std::vector<std::string> names(Buffer& buffer) {
  std::vector<std::string> out;
  auto batch = buffer.take_batch(1 << 20);
  buffer.consumed(batch);
  for (const auto& e : batch.events) {
    for (const char* marker : {"\"message\":\"", "\"record\":\"", "\"requestId\":\""}) {
      const auto at = e.raw.find(marker);
      if (at == std::string::npos) continue;
      const auto start = at + std::string(marker).size();
      out.push_back(e.raw.substr(start, e.raw.find(' ', start) - start));
    }
  }
  return out;
}

TEST(BufferShedding, LowestLevelFirstThenOldestWithinALevel) {
  auto batch = parse({log_line("e1", "ERROR"), log_line("d1", "DEBUG"), text_line("i1"),
                      log_line("w1", "warn"), log_line("d2", "debug"), log_line("t1", "TRACE")});
  std::size_t total = 0;
  for (const auto& e : batch) total += e.footprint();
  Buffer buffer(total);  // no spill store: past the budget, events are shed
  buffer.push(std::move(batch));
  EXPECT_EQ(buffer.stats().dropped_events, 0u);

  buffer.push(parse({log_line("i2", "INFO"), log_line("i3", "INFO"), log_line("i4", "INFO")}));
  // Three log lines over (all of one size): the trace line, then the two debug lines, oldest
  // first.
  EXPECT_EQ(names(buffer), (std::vector<std::string>{"e1", "i1", "w1", "i2", "i3", "i4"}));
  EXPECT_EQ(buffer.stats().dropped_events, 3u);
  EXPECT_EQ(buffer.stats().dropped_platform_events, 0u);
}

TEST(BufferShedding, LogLinesGoBeforePlatformEventsAndEssentialOnesNeverGo) {
  auto batch = parse({platform("platform.report", "r1"), platform("platform.start", "s1"),
                      platform("platform.runtimeDone", "d1"), log_line("f1", "FATAL"),
                      platform("platform.logsDropped", "l1")});
  const std::size_t each = batch[0].footprint();
  Buffer buffer(each * 2);
  buffer.push(std::move(batch));
  // Three over: the fatal log line, then platform.start, then nothing else may go: the three
  // essential events stay even though they hold more than the budget.
  EXPECT_EQ(buffer.stats().dropped_events, 2u);
  EXPECT_EQ(buffer.stats().dropped_platform_events, 1u);
  EXPECT_GT(buffer.bytes(), each * 2);
  EXPECT_EQ(names(buffer), (std::vector<std::string>{"r1", "d1", "l1"}));
}

TEST(EventPriority, RankedFromTheRawTextWhenParseDidNotRankIt) {
  // Events read back from the spill files carry no rank: it is worked out from their text.
  Event debug;
  debug.type = "function";
  debug.raw = R"({"time":"t","type":"function","record":{"level":"Debug","message":"x"}})";
  EXPECT_EQ(ltf::telemetry::priority(debug), ltf::telemetry::Priority::debug);
  Event text;
  text.type = "function";
  text.raw = R"({"time":"t","type":"function","record":"level \"level\" in text"})";
  EXPECT_EQ(ltf::telemetry::priority(text), ltf::telemetry::Priority::info);
  Event report;
  report.type = "platform.report";
  report.raw = "{}";
  EXPECT_EQ(ltf::telemetry::priority(report), ltf::telemetry::Priority::essential);
  EXPECT_EQ(ltf::telemetry::priority_of_level("CRITICAL"), ltf::telemetry::Priority::fatal);
  EXPECT_EQ(ltf::telemetry::priority_of_level("Warning"), ltf::telemetry::Priority::warn);
  EXPECT_EQ(ltf::telemetry::priority_of_level("verbose"), ltf::telemetry::Priority::info);
}

}  // namespace

namespace {

TEST(BufferBudget, ABatchBeingSentStillCountsUntilTheSinkHasAnswered) {
  auto first = parse({text_line("a1"), text_line("a2"), text_line("a3"), text_line("a4")});
  const std::size_t each = first[0].footprint();
  Buffer buffer(each * 4);
  buffer.push(std::move(first));
  auto batch = buffer.take_batch(1 << 20);
  ASSERT_EQ(batch.events.size(), 4u);
  EXPECT_EQ(buffer.bytes(), 0u);
  EXPECT_EQ(buffer.bytes_out(), each * 4);

  // The four in flight still hold memory: the next two are over the budget, and shed.
  buffer.push(parse({text_line("b1"), text_line("b2")}));
  EXPECT_EQ(buffer.stats().dropped_events, 2u);

  buffer.consumed(batch);
  EXPECT_EQ(buffer.bytes_out(), 0u);
  buffer.push(parse({text_line("c1"), text_line("c2")}));
  EXPECT_EQ(buffer.stats().dropped_events, 2u) << "room again once the batch was answered";
  EXPECT_EQ(names(buffer), (std::vector<std::string>{"c1", "c2"}));
}

}  // namespace
