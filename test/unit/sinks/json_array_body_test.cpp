#include "ltf/sinks.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

namespace {

using ltf::sinks::json_array_body;
using ltf::telemetry::Event;

Event event(std::string raw, std::string id = {}, std::uint64_t sequence = 0) {
  Event e;
  e.raw = std::move(raw);
  e.id = std::move(id);
  e.sequence = sequence;
  return e;
}

TEST(JsonArrayBody, EventsWithoutIdOrSequenceGoExactlyAsLambdaSentThem) {
  const std::vector<Event> batch{event(R"({"type":"function","record":2598.0})"),
                                 event("{ \"type\" : \"function\" }")};
  EXPECT_EQ(json_array_body(batch), "[" + batch[0].raw + "," + batch[1].raw + "]");
}

TEST(JsonArrayBody, IdAndSequenceAreAddedAsTheLastMembersKeepingTheRestByteForByte) {
  const std::vector<Event> batch{
      event(R"({"time":"t","type":"function","record":"a}b"})", "0123456789abcdef0123456789abcdef", 7),
      event(R"({"time":"t","type":"platform.start","record":{"requestId":"r"}})", "ffff", 18446744073709551615u)};
  EXPECT_EQ(json_array_body(batch),
            R"([{"time":"t","type":"function","record":"a}b","eventId":"0123456789abcdef0123456789abcdef","sequence":7},)"
            R"({"time":"t","type":"platform.start","record":{"requestId":"r"},"eventId":"ffff","sequence":18446744073709551615}])");
  const auto parsed = boost::json::parse(json_array_body(batch));
  EXPECT_EQ(parsed.as_array().at(1).at("sequence").as_uint64(), 18446744073709551615u);
}

TEST(JsonArrayBody, AnEmptyObjectGetsMembersWithoutALeadingComma) {
  const std::vector<Event> batch{event("{}", "ab", 1), event("{ }", "", 2)};
  const std::string body = json_array_body(batch);
  EXPECT_EQ(body, R"([{"eventId":"ab","sequence":1},{ "sequence":2}])");
  EXPECT_NO_THROW(boost::json::parse(body));
}

TEST(JsonArrayBody, TheSandboxComesFirstWhenGiven) {
  const std::vector<Event> batch{event(R"({"type":"function"})", "ab", 3), event("{}")};
  EXPECT_EQ(json_array_body(batch, "0123456789abcdef"),
            R"([{"type":"function","sandbox":"0123456789abcdef","eventId":"ab","sequence":3},)"
            R"({"sandbox":"0123456789abcdef"}])");
}

TEST(JsonArrayBody, EmptyBatchIsAnEmptyArray) {
  EXPECT_EQ(json_array_body({}), "[]");
}

}  // namespace
