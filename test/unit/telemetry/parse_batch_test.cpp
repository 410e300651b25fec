// parse_batch: one Telemetry API POST body into events, kept byte for byte; what is not an event is refused alone.
#include "ltf/telemetry.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using ltf::telemetry::Category;
using ltf::telemetry::Event;
using ltf::telemetry::parse_batch;

// Payloads as real Lambda sends them (spec sections 4.4-4.14).
constexpr std::string_view start_event =
    R"({"time":"2022-10-12T00:00:15.064Z","type":"platform.start","record":{"requestId":"6d68ca91-49c9-448d-89b8-7ca3e6dc66aa","version":"$LATEST","tracing":{"spanId":"54565fb41ac79632","type":"X-Amzn-Trace-Id","value":"Root=1-62e900b2-710d76f009d6e7785905449a;Parent=0efbd19962d95b05;Sampled=1"}}})";
constexpr std::string_view runtime_done_event =
    R"({"time":"2022-10-21T14:05:05.764Z","type":"platform.runtimeDone","record":{"requestId":"459921b5-681c-4a96-beb0-81e0aa586026","status":"success","tracing":{"spanId":"24cd7d670fa455f0","type":"X-Amzn-Trace-Id","value":"Root=1-6352a70e-1e2c502e358361800241fd45;Parent=35465b3a9e2f7c6a;Sampled=1"},"spans":[{"name":"responseLatency","start":"2022-10-21T14:05:03.165Z","durationMs":2598.0},{"name":"responseDuration","start":"2022-10-21T14:05:05.763Z","durationMs":0.0}],"metrics":{"durationMs":2599.0,"producedBytes":8}}})";
constexpr std::string_view report_event =
    R"({"time":"2022-10-21T14:05:05.766Z","type":"platform.report","record":{"requestId":"459921b5-681c-4a96-beb0-81e0aa586026","metrics":{"durationMs":2599.4,"billedDurationMs":2600,"memorySizeMB":128,"maxMemoryUsedMB":94,"initDurationMs":549.04},"tracing":{"spanId":"24cd7d670fa455f0","type":"X-Amzn-Trace-Id","value":"Root=1-6352a70e-1e2c502e358361800241fd45;Parent=35465b3a9e2f7c6a;Sampled=1"},"status":"success"}})";
constexpr std::string_view function_text_event =
    R"({"time":"2022-10-12T00:03:50.000Z","type":"function","record":"[INFO] Hello world, I am a function!"})";
constexpr std::string_view function_json_event =
    R"({"time":"2022-10-12T00:03:50.000Z","type":"function","record":{"timestamp":"2022-10-12T00:03:50.000Z","level":"INFO","requestId":"79b4f56e-95b1-4643-9700-2807f4e68189","message":"Hello world, I am a function!"}})";
constexpr std::string_view extension_event =
    R"({"time":"2022-10-12T00:03:50.000Z","type":"extension","record":"[telemetry-forwarder] INFO started"})";

std::string array_of(std::initializer_list<std::string_view> elements, std::string_view sep = ",") {
  std::string body = "[";
  bool first = true;
  for (auto e : elements) {
    if (!first) body += sep;
    body += e;
    first = false;
  }
  return body + "]";
}

TEST(ParseBatch, RealPlatformAndFunctionEventsAreKeptByteForByte) {
  const auto body = array_of({start_event, runtime_done_event, report_event, function_text_event,
                              function_json_event, extension_event});
  std::vector<Event> events;
  const auto outcome = parse_batch(body, events);
  ASSERT_TRUE(outcome.error.empty()) << outcome.error;
  EXPECT_EQ(outcome.accepted, 6u);
  EXPECT_EQ(outcome.rejected, 0u);
  ASSERT_EQ(events.size(), 6u);
  EXPECT_EQ(events[0].raw, start_event);
  EXPECT_EQ(events[1].raw, runtime_done_event);
  EXPECT_EQ(events[2].raw, report_event);
  EXPECT_EQ(events[3].raw, function_text_event);
  EXPECT_EQ(events[4].raw, function_json_event);
  EXPECT_EQ(events[5].raw, extension_event);
  for (const auto& e : events) EXPECT_EQ(e.sequence, 0u) << "sequences are stamped later";
}

TEST(ParseBatch, DoublesSurviveExactlyAsSent) {
  std::vector<Event> events;
  ASSERT_TRUE(parse_batch(array_of({runtime_done_event}), events).error.empty());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_NE(events[0].raw.find(R"("durationMs":2598.0})"), std::string::npos) << events[0].raw;
  EXPECT_NE(events[0].raw.find(R"("durationMs":0.0})"), std::string::npos);
  EXPECT_EQ(events[0].raw.find("E3"), std::string::npos) << "re-serialised: " << events[0].raw;
}

TEST(ParseBatch, ExtractsEnvelopeFieldsAndRequestId) {
  std::vector<Event> events;
  ASSERT_TRUE(parse_batch(array_of({start_event, report_event, function_text_event,
                                    function_json_event, extension_event}),
                          events)
                  .error.empty());
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[0].type, "platform.start");
  EXPECT_EQ(events[0].time, "2022-10-12T00:00:15.064Z");
  EXPECT_EQ(events[0].request_id, "6d68ca91-49c9-448d-89b8-7ca3e6dc66aa");
  EXPECT_EQ(events[0].category(), Category::platform);
  EXPECT_EQ(events[1].type, "platform.report");
  EXPECT_EQ(events[1].request_id, "459921b5-681c-4a96-beb0-81e0aa586026");
  EXPECT_EQ(events[2].type, "function");
  EXPECT_EQ(events[2].request_id, "") << "a string record carries no requestId";
  EXPECT_EQ(events[2].category(), Category::function);
  EXPECT_EQ(events[3].request_id, "79b4f56e-95b1-4643-9700-2807f4e68189");
  EXPECT_EQ(events[4].category(), Category::extension);
}

TEST(ParseBatch, WhitespaceAroundElementsIsNotPartOfRaw) {
  const std::string body = " \n[ \r\n\t" + std::string(start_event) + " \n ,\t" +
                           std::string(function_text_event) + "\n\n] \n";
  std::vector<Event> events;
  ASSERT_TRUE(parse_batch(body, events).error.empty());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].raw, start_event);
  EXPECT_EQ(events[1].raw, function_text_event);
}

TEST(ParseBatch, PrettyPrintedEventsKeepTheirInnerWhitespace) {
  const std::string event = "{\n  \"time\" : \"2022-10-12T00:00:15.064Z\",\n  \"type\": "
                            "\"platform.start\",\n  \"record\": { \"requestId\": \"r-1\" }\n}";
  std::vector<Event> events;
  ASSERT_TRUE(parse_batch("[" + event + "]", events).error.empty());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].raw, event);
  EXPECT_EQ(events[0].request_id, "r-1");
}

TEST(ParseBatch, StringsWithBracketsQuotesAndEscapesDoNotSplitElements) {
  const std::string_view tricky_text =
      R"({"time":"2022-10-12T00:03:50.000Z","type":"function","record":"ends ] with } and , \"quoted [\" \\ backslash\\"})";
  const std::string_view tricky_json =
      R"({"time":"2022-10-12T00:03:51.000Z","type":"function","record":{"message":"{\"a\":[1,2]}, ]]","nested":[[{"k":"v\\\""}],[]],"unicode":"\u00e9\u2028\ud83d\ude00","requestId":"r-\"2\""}})";
  const std::string_view tricky_after =
      R"({"time":"2022-10-12T00:03:52.000Z","type":"extension","record":"\\"})";
  std::vector<Event> events;
  const auto outcome = parse_batch(array_of({tricky_text, tricky_json, tricky_after}), events);
  ASSERT_TRUE(outcome.error.empty()) << outcome.error;
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].raw, tricky_text);
  EXPECT_EQ(events[1].raw, tricky_json);
  EXPECT_EQ(events[1].request_id, R"(r-"2")") << "extracted fields are unescaped";
  EXPECT_EQ(events[2].raw, tricky_after);
}

TEST(ParseBatch, UnknownTypesAndExtraFieldsAreAccepted) {
  const std::string_view future =
      R"({"time":"2030-01-01T00:00:00.000Z","type":"platform.somethingNew","record":{"x":1},"tenantId":"t","extra":[1,{"y":null}]})";
  const std::string_view odd = R"({"type":"metrics","time":"2030-01-01T00:00:00.000Z"})";
  std::vector<Event> events;
  const auto outcome = parse_batch(array_of({future, odd}), events);
  ASSERT_TRUE(outcome.error.empty());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].raw, future);
  EXPECT_EQ(events[0].category(), Category::platform);
  EXPECT_EQ(events[1].raw, odd);
  EXPECT_EQ(events[1].category(), Category::unknown);
}

TEST(ParseBatch, ElementsThatAreNotEventsAreCountedAndSkipped) {
  const std::string body = array_of({
      R"({"time":"2022-10-12T00:00:15.064Z","record":{}})",          // no type
      start_event,                                                   // kept
      R"({"type":"function","record":"no time"})",                   // no time
      R"({"type":7,"time":"2022-10-12T00:00:15.064Z"})",             // type not a string
      R"({"type":"function","time":null})",                          // time not a string
      R"("just a string")", "42", "null", R"([{"type":"function"}])",  // not objects
      function_text_event,                                           // kept
  });
  std::vector<Event> events;
  const auto outcome = parse_batch(body, events);
  ASSERT_TRUE(outcome.error.empty());
  EXPECT_EQ(outcome.accepted, 2u);
  EXPECT_EQ(outcome.rejected, 8u);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].raw, start_event);
  EXPECT_EQ(events[1].raw, function_text_event);
}

TEST(ParseBatch, AppendsAfterWhatIsAlreadyThere) {
  std::vector<Event> events(1);
  events[0].type = "existing";
  ASSERT_TRUE(parse_batch(array_of({start_event}), events).error.empty());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, "existing");
  EXPECT_EQ(events[1].raw, start_event);
}

TEST(ParseBatch, EmptyArrayIsAcceptedWithNoEvents) {
  std::vector<Event> events;
  const auto outcome = parse_batch(" [ ] ", events);
  EXPECT_TRUE(outcome.error.empty());
  EXPECT_EQ(outcome.accepted, 0u);
  EXPECT_TRUE(events.empty());
}

TEST(ParseBatch, BodiesThatAreNotOneJsonArrayAreRefusedWhole) {
  const std::string truncated = array_of({start_event, report_event}).substr(0, 300);
  for (std::string_view body :
       {std::string_view(""), std::string_view("   "), std::string_view(start_event),
        std::string_view(R"("[]")"), std::string_view("null"), std::string_view(truncated),
        std::string_view("[{\"type\":\"function\",\"time\":\"t\"},]"),     // trailing comma
        std::string_view("[{\"type\":\"function\",\"time\":\"t\"}] []"),  // trailing data
        std::string_view("[{\"type\":\"function\",\"time\":\"t\"} // c\n]"),
        std::string_view("[{\"type\":\"function\",\"time\":\"t\",\"record\":\"\x01\"}]")}) {
    std::vector<Event> events;
    const auto outcome = parse_batch(body, events);
    EXPECT_FALSE(outcome.error.empty()) << "accepted: " << body;
    EXPECT_EQ(outcome.accepted, 0u);
    EXPECT_TRUE(events.empty()) << body;
  }
}

TEST(ParseBatch, DeeplyNestedRecordsDoNotRefuseTheBatch) {
  std::string deep = "1";
  for (int i = 0; i < 100; ++i) deep = "{\"d\":" + deep + "}";
  const std::string event = R"({"time":"t","type":"function","record":)" + deep + "}";
  std::vector<Event> events;
  const auto outcome = parse_batch("[" + event + "]", events);
  ASSERT_TRUE(outcome.error.empty()) << outcome.error;
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].raw, event);
}

std::string nested(std::size_t levels) {
  std::string deep = R"({"time":"t","type":"function","record":)";
  for (std::size_t i = 0; i < levels; ++i) deep += "[";
  deep += "1";
  for (std::size_t i = 0; i < levels; ++i) deep += "]";
  return deep + "}";
}

// Before: the whole POST was refused (400) and all three events were lost.
TEST(ParseBatch, OneEventTooDeepIsRefusedAloneAndTheOthersAreKept) {
  const std::string deep = nested(10'000);
  const std::string body = array_of({start_event, deep, report_event}, " ,\n ");
  std::vector<Event> events(1);  // what was there before stays
  const auto outcome = parse_batch(body, events);
  ASSERT_TRUE(outcome.error.empty()) << outcome.error;
  EXPECT_EQ(outcome.accepted, 2u);
  EXPECT_EQ(outcome.rejected, 1u);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[1].raw, start_event);
  EXPECT_EQ(events[2].raw, report_event);
  EXPECT_EQ(events[2].type, "platform.report");
}

TEST(ParseBatch, AnEventAsDeepAsTheLimitAllowsIsKeptEitherWay) {
  std::vector<Event> events;
  const auto alone = parse_batch(array_of({nested(1000)}), events);
  EXPECT_EQ(alone.accepted, 1u);
  const auto beside_a_deep_one = parse_batch(array_of({nested(1000), nested(5000)}), events);
  EXPECT_EQ(beside_a_deep_one.accepted, 1u);
  EXPECT_EQ(beside_a_deep_one.rejected, 1u);
}

TEST(ParseBatch, ADeepEventDoesNotExcuseABodyThatIsNotJson) {
  const std::string deep = nested(5000);
  for (const std::string& body :
       {array_of({start_event, deep, "{\"type\":}"}), array_of({deep, start_event}) + " x",
        array_of({deep, ""}), "[" + deep, "[" + deep + ",]", "{\"a\":" + deep + "}",
        "[" + std::string(5000, '[') + "\"unterminated]"}) {
    std::vector<Event> events;
    const auto outcome = parse_batch(body, events);
    EXPECT_FALSE(outcome.error.empty()) << body.substr(0, 80);
    EXPECT_TRUE(events.empty());
  }
}

TEST(ParseBatch, ALargeBatchKeepsEveryElementInOrder) {
  std::string body = "[";
  std::vector<std::string> expected;
  for (int i = 0; i < 5000; ++i) {
    expected.push_back(R"({"time":"2022-10-12T00:03:50.000Z","type":"function","record":"line )" +
                       std::to_string(i) + R"( [x] {y} \"z\""})");
    if (i) body += ",";
    body += expected.back();
  }
  body += "]";
  std::vector<Event> events;
  ASSERT_TRUE(parse_batch(body, events).error.empty());
  ASSERT_EQ(events.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) ASSERT_EQ(events[i].raw, expected[i]) << i;
}

// Lambda's JSON log format: a line the runtime formatted, a line the function wrote as JSON
// itself (its own keys, no requestId), and what schema 2022-07-01 sends for either (a string).
TEST(ParseBatch, JsonFormatLinesAreRankedByTheirLevelAndStringRecordsAsInfo) {
  using ltf::telemetry::Priority;
  const std::string body = array_of({
      R"({"time":"t","type":"function","record":{"timestamp":"t","level":"WARN","requestId":"r-1","tenantId":"blue","message":"m"}})",
      R"({"time":"t","type":"function","record":{"service":"orders","level":"debug","message":{"order":17}}})",
      R"({"time":"t","type":"function","record":"{\"level\":\"ERROR\",\"message\":\"m\"}"})",
      R"({"time":"t","type":"extension","record":{"timestamp":"t","level":"FATAL","message":"m"}})",
      R"({"time":"t","type":"function","record":{"service":"orders"}})"});
  std::vector<Event> events;
  ASSERT_TRUE(parse_batch(body, events).error.empty());
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[0].rank, Priority::warn);
  EXPECT_EQ(events[0].request_id, "r-1");
  EXPECT_EQ(events[1].rank, Priority::debug);
  EXPECT_EQ(events[1].request_id, "");
  EXPECT_EQ(events[2].rank, Priority::info) << "a string record is a text line, JSON inside or not";
  EXPECT_EQ(events[3].rank, Priority::fatal);
  EXPECT_EQ(events[4].rank, Priority::info) << "no level: info, as Lambda treats it";
  // The same ranks when an event comes back without one (from the spill files).
  for (auto& e : events) {
    const auto ranked = e.rank;
    e.rank = Priority::unranked;
    EXPECT_EQ(ltf::telemetry::priority(e), ranked) << e.raw;
  }
}

// The fields are read without building a JSON tree, but as a JSON object keeps them: the last of
// duplicate members wins, only the event's own members and its record's count, escapes decoded.
TEST(ParseBatch, FieldsAreTheOnesAJsonObjectWouldKeep) {
  using ltf::telemetry::Priority;
  const std::string body = array_of({
      R"({"type":"function","time":"t","type":5})",
      R"({"type":5,"time":"t","type":"function"})",
      R"({"type":"function","time":"t","record":{"requestId":"r-1","level":"ERROR"},"record":"text"})",
      R"({"time":"t","record":{"type":"function","time":"t"}})",
      R"({"type":"func\u0074ion","time":"t\"1","record":{"meta":{"requestId":"deep","level":"FATAL"},"requestId":"r-2"}})",
      R"({"type":"function","time":"t","record":{"requestId":7,"level":["WARN"]}})",
      R"(["type","function","time","t"])"});
  std::vector<Event> events;
  const auto outcome = parse_batch(body, events);
  ASSERT_TRUE(outcome.error.empty()) << outcome.error;
  EXPECT_EQ(outcome.accepted, 4u);
  EXPECT_EQ(outcome.rejected, 3u) << "type overwritten by a number; no top-level type; an array";
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].type, "function") << "the later string type wins";
  EXPECT_EQ(events[1].request_id, "") << "the later record is a string";
  EXPECT_EQ(events[1].rank, Priority::info);
  EXPECT_EQ(events[2].type, "function") << "escapes decoded";
  EXPECT_EQ(events[2].time, "t\"1");
  EXPECT_EQ(events[2].request_id, "r-2") << "only the record's own requestId";
  EXPECT_EQ(events[2].rank, Priority::info) << "a level nested deeper is not the record's";
  EXPECT_EQ(events[3].request_id, "") << "requestId is not a string";
  EXPECT_EQ(events[3].rank, Priority::info) << "level is not a string";
}

TEST(Event, CategoryFollowsTheEnvelopeType) {
  Event e;
  e.type = "platform.logsDropped";
  EXPECT_EQ(e.category(), Category::platform);
  e.type = "function";
  EXPECT_EQ(e.category(), Category::function);
  e.type = "extension";
  EXPECT_EQ(e.category(), Category::extension);
  e.type = "platformish";
  EXPECT_EQ(e.category(), Category::unknown);
  e.type = "";
  EXPECT_EQ(e.category(), Category::unknown);
}

TEST(Event, FootprintGrowsWithTheTextItHolds) {
  Event small;
  small.raw = "{}";
  Event large = small;
  large.raw = std::string(10'000, 'x');
  EXPECT_GE(small.footprint(), sizeof(Event));
  EXPECT_GE(large.footprint(), small.footprint() + 9'998);
}

}  // namespace

namespace {

TEST(EventTime, FormattedAsLambdaDoesWithMilliseconds) {
  using namespace std::chrono;
  const system_clock::time_point when{milliseconds(1665533030007)};
  EXPECT_EQ(ltf::telemetry::format_event_time(when), "2022-10-12T00:03:50.007Z");
  EXPECT_EQ(ltf::telemetry::format_event_time(system_clock::time_point{}), "1970-01-01T00:00:00.000Z");
}

}  // namespace
