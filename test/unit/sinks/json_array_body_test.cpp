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

TEST(JsonArrayBody, JsonFormatRecordsStayObjectsAndTheTenantIsUntouched) {
  // Lambda's JSON log format (schema 2022-12-13 and later): a line the runtime formatted, a line
  // the function wrote as JSON itself, and a platform event of a tenant-isolated function; then the
  // same kind of line as schema 2022-07-01 sends it, a string.
  const std::vector<Event> batch{
      event(R"({"time":"t","type":"function","record":{"timestamp":"t","level":"WARN","requestId":"r","tenantId":"blue","message":"m"}})", "a", 1),
      event(R"({"time":"t","type":"function","record":{"service":"orders","order":17,"nested":{"ok":true}}})", "b", 2),
      event(R"({"time":"t","type":"platform.start","record":{"requestId":"r","version":"$LATEST","tenantId":"blue"}})", "c", 3),
      event(R"({"time":"t","type":"function","record":"{\"level\":\"INFO\",\"message\":\"m\"}"})", "d", 4)};
  const auto body = boost::json::parse(json_array_body(batch, "0123456789abcdef")).as_array();
  ASSERT_EQ(body.size(), 4u);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    auto expected = boost::json::parse(batch[i].raw).as_object();
    expected["sandbox"] = "0123456789abcdef";
    expected["eventId"] = batch[i].id;
    expected["sequence"] = batch[i].sequence;
    EXPECT_EQ(body[i].as_object(), expected) << i;
  }
  EXPECT_TRUE(body[0].at("record").is_object());
  EXPECT_EQ(body[0].at("record").at("tenantId"), "blue");
  EXPECT_TRUE(body[1].at("record").at("nested").at("ok").as_bool());
  EXPECT_EQ(body[2].at("record").at("tenantId"), "blue");
  EXPECT_TRUE(body[3].at("record").is_string());
}

TEST(JsonArrayBody, EmptyBatchIsAnEmptyArray) {
  EXPECT_EQ(json_array_body({}), "[]");
}

}  // namespace
