// Events as OpenSearch documents, and index names from patterns.
#include "ltf/opensearch.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <gtest/gtest.h>

namespace {

namespace json = boost::json;
using ltf::opensearch::document_source;
using ltf::opensearch::index_name;
using ltf::telemetry::Category;
using ltf::telemetry::Event;

const ltf::telemetry::FunctionIdentity kFunction{"eu-west-1", "orders", "7"};

Event event(std::string raw, std::string type, std::string time, std::string request_id = {}) {
  Event e;
  e.raw = std::move(raw);
  e.type = std::move(type);
  e.time = std::move(time);
  e.request_id = std::move(request_id);
  e.id = "0123456789abcdef0123456789abcdef";
  e.sequence = 42;
  return e;
}

json::object document_of(const Event& e) {
  std::string why;
  const auto source = document_source(e, kFunction, &why);
  EXPECT_TRUE(source) << why;
  if (!source) return {};
  EXPECT_EQ(source->find('\n'), std::string::npos) << "a bulk source line must be one line";
  return json::parse(*source).as_object();
}

TEST(OpenSearchDocument, ObjectRecordGoesUnderRecordWithTheEnvelopeAndIdentity) {
  const Event e = event(
      R"({"time":"2024-05-01T10:00:00.123Z","type":"platform.report","record":{"requestId":"r-1","status":"success","metrics":{"durationMs":2.5,"billedDurationMs":3}}})",
      "platform.report", "2024-05-01T10:00:00.123Z", "r-1");
  const json::object doc = document_of(e);
  EXPECT_EQ(doc.at("@timestamp"), "2024-05-01T10:00:00.123Z");
  EXPECT_EQ(doc.at("time"), "2024-05-01T10:00:00.123Z");
  EXPECT_EQ(doc.at("type"), "platform.report");
  EXPECT_EQ(doc.at("requestId"), "r-1");
  EXPECT_EQ(doc.at("event_id"), "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(doc.at("sequence").to_number<std::uint64_t>(), 42u);
  EXPECT_EQ(doc.at("function_name"), "orders");
  EXPECT_EQ(doc.at("function_version"), "7");
  EXPECT_EQ(doc.at("region"), "eu-west-1");
  ASSERT_TRUE(doc.at("record").is_object());
  EXPECT_EQ(doc.at("record").at("metrics").at("durationMs").to_number<double>(), 2.5);
  EXPECT_EQ(doc.at("record").at("status"), "success");
  EXPECT_FALSE(doc.contains("message"));
  EXPECT_FALSE(doc.contains("doc")) << "no wrapper: the mapping must apply to these fields";
}

TEST(OpenSearchDocument, StringRecordGoesUnderMessageAsIs) {
  const Event e = event(
      R"({"time":"2024-05-01T10:00:01.000Z","type":"function","record":"2024-05-01 INFO line one\nline \"two\"\n"})",
      "function", "2024-05-01T10:00:01.000Z");
  const json::object doc = document_of(e);
  EXPECT_EQ(doc.at("message"), "2024-05-01 INFO line one\nline \"two\"\n");
  EXPECT_FALSE(doc.contains("record"));
  EXPECT_FALSE(doc.contains("requestId")) << "text logs carry no request id of their own";
}

TEST(OpenSearchDocument, JsonFunctionLogStaysAnObject) {
  const Event e = event(
      R"({"time":"2024-05-01T10:00:02.000Z","type":"function","record":{"timestamp":"2024-05-01T10:00:02Z","level":"INFO","requestId":"r-2","message":{"order":17}}})",
      "function", "2024-05-01T10:00:02.000Z", "r-2");
  const json::object doc = document_of(e);
  EXPECT_EQ(doc.at("record").at("message").at("order").to_number<int>(), 17);
  EXPECT_EQ(doc.at("requestId"), "r-2");
}

TEST(OpenSearchDocument, JsonFormatLogLineLiftsLevelMessageRequestAndTenantBesideItsRecord) {
  const std::string record =
      R"({"timestamp":"2024-05-01T10:00:02Z","level":"WARN","requestId":"r-2","tenantId":"blue","message":"card declined"})";
  const Event e = event(R"({"time":"2024-05-01T10:00:02.000Z","type":"function","record":)" + record + "}",
                        "function", "2024-05-01T10:00:02.000Z", "r-2");
  const json::object doc = document_of(e);
  EXPECT_EQ(doc.at("level"), "WARN");
  EXPECT_EQ(doc.at("message"), "card declined");
  EXPECT_EQ(doc.at("requestId"), "r-2");
  EXPECT_EQ(doc.at("tenantId"), "blue");
  EXPECT_EQ(doc.at("record"), json::parse(record)) << "the record itself is kept whole";
}

TEST(OpenSearchDocument, ALineTheFunctionWroteAsJsonKeepsItsKeysAndLiftsOnlyStrings) {
  // No level, a message that is an object: nothing to lift; `message` must stay text.
  const Event e = event(
      R"({"time":"2024-05-01T10:00:02.000Z","type":"function","record":{"service":"orders","message":{"order":17},"level":3}})",
      "function", "2024-05-01T10:00:02.000Z");
  const json::object doc = document_of(e);
  EXPECT_FALSE(doc.contains("message"));
  EXPECT_FALSE(doc.contains("level"));
  EXPECT_FALSE(doc.contains("tenantId"));
  EXPECT_EQ(doc.at("record").at("service"), "orders");
  EXPECT_EQ(doc.at("record").at("message").at("order").to_number<int>(), 17);
}

TEST(OpenSearchDocument, TenantOfAPlatformEventIsAFieldButItsRecordHasNoLogFields) {
  const Event e = event(
      R"({"time":"2024-05-01T10:00:00.100Z","type":"platform.start","record":{"requestId":"r-1","version":"$LATEST","tenantId":"blue","level":"x","message":"y"}})",
      "platform.start", "2024-05-01T10:00:00.100Z", "r-1");
  const json::object doc = document_of(e);
  EXPECT_EQ(doc.at("tenantId"), "blue");
  EXPECT_FALSE(doc.contains("level")) << "only log lines have a level";
  EXPECT_FALSE(doc.contains("message"));
  EXPECT_EQ(doc.at("record").at("tenantId"), "blue");
}

TEST(OpenSearchDocument, JsonLineUnderTheOldSchemaIsATextLine) {
  // Schema 2022-07-01: Lambda sends even JSON-format lines as strings.
  const std::string text = R"({"timestamp":"2024-05-01T10:00:02Z","level":"ERROR","tenantId":"blue","message":"x"})";
  const Event e = event(R"({"time":"2024-05-01T10:00:02.000Z","type":"function","record":)" +
                            json::serialize(json::value(text)) + "}",
                        "function", "2024-05-01T10:00:02.000Z");
  const json::object doc = document_of(e);
  EXPECT_EQ(doc.at("message").as_string(), text);
  EXPECT_FALSE(doc.contains("record"));
  EXPECT_FALSE(doc.contains("level"));
  EXPECT_FALSE(doc.contains("tenantId"));
}

TEST(OpenSearchDocument, OtherRecordValuesBecomeTheirJsonTextUnderMessage) {
  const Event number = event(R"({"time":"2024-05-01T10:00:03Z","type":"extension","record":17})",
                             "extension", "2024-05-01T10:00:03Z");
  EXPECT_EQ(document_of(number).at("message"), "17");
  const Event array = event(R"({"time":"2024-05-01T10:00:03Z","type":"extension","record":[1,"a"]})",
                            "extension", "2024-05-01T10:00:03Z");
  EXPECT_EQ(document_of(array).at("message"), R"([1,"a"])");
  const Event null = event(R"({"time":"2024-05-01T10:00:03Z","type":"extension","record":null})",
                           "extension", "2024-05-01T10:00:03Z");
  EXPECT_FALSE(document_of(null).contains("message"));
  EXPECT_FALSE(document_of(null).contains("record"));
  const Event none = event(R"({"time":"2024-05-01T10:00:03Z","type":"platform.x"})", "platform.x",
                           "2024-05-01T10:00:03Z");
  EXPECT_FALSE(document_of(none).contains("record"));
}

TEST(OpenSearchDocument, RawThatIsNotAnObjectIsRefusedWithAReason) {
  std::string why;
  EXPECT_FALSE(document_source(event("[1,2]", "function", "t"), kFunction, &why));
  EXPECT_NE(why.find("not a JSON object"), std::string::npos) << why;
  EXPECT_FALSE(document_source(event("{\"time\":", "function", "t"), kFunction, &why));
  EXPECT_NE(why.find("not JSON"), std::string::npos) << why;
}

TEST(OpenSearchDocument, DeadLetterKeepsTheOriginalAsAStringWithTheReason) {
  const Event e = event(R"({"time":"2024-05-01T10:00:00Z","type":"function","record":{"a":1}})",
                        "function", "2024-05-01T10:00:00Z");
  const ltf::opensearch::Refusal refusal{"lambda-function", 400, "mapper_parsing_exception",
                                         "failed to parse field [record.a]"};
  const json::object doc = json::parse(ltf::opensearch::dead_letter_source(
                                           e, kFunction, refusal, "2030-01-01T00:00:00.000Z"))
                               .as_object();
  EXPECT_EQ(doc.at("original").as_string(), e.raw);
  EXPECT_EQ(doc.at("@timestamp"), "2024-05-01T10:00:00Z");
  EXPECT_EQ(doc.at("index"), "lambda-function");
  EXPECT_EQ(doc.at("status").to_number<int>(), 400);
  EXPECT_EQ(doc.at("error_type"), "mapper_parsing_exception");
  EXPECT_EQ(doc.at("reason"), "failed to parse field [record.a]");
  EXPECT_EQ(doc.at("event_id").as_string(), e.id);
  EXPECT_EQ(doc.at("function_name"), "orders");

  // A time no date field could take is replaced by the send time (the original keeps it).
  const Event bad = event(R"({"time":"yesterday","type":"function","record":"x"})", "function",
                          "yesterday");
  const json::object bad_doc = json::parse(ltf::opensearch::dead_letter_source(
                                               bad, kFunction, refusal, "2030-01-01T00:00:00.000Z"))
                                   .as_object();
  EXPECT_EQ(bad_doc.at("@timestamp"), "2030-01-01T00:00:00.000Z");
}

TEST(OpenSearchIndexName, FixedNamesIgnoreTheTime) {
  EXPECT_EQ(index_name("lambda-function", "2024-05-01T10:00:00Z"), "lambda-function");
  EXPECT_EQ(index_name("lambda-function", "not a time"), "lambda-function");
}

TEST(OpenSearchIndexName, DateFieldsComeFromTheEventTimeInUtc) {
  EXPECT_EQ(index_name("lambda-function-%Y.%m.%d", "2024-05-01T10:00:00.000Z"),
            "lambda-function-2024.05.01");
  EXPECT_EQ(index_name("logs-%Y-%m-%d-%H", "2024-12-31T23:59:59.999Z"), "logs-2024-12-31-23");
  // An offset is converted: 01:30 at +02:00 is 23:30 the day before in UTC.
  EXPECT_EQ(index_name("logs-%Y.%m.%d.%H", "2024-03-01T01:30:00+02:00"), "logs-2024.02.29.23");
  EXPECT_EQ(index_name("logs-%Y.%m.%d", "2024-02-29T22:30:00-02:00"), "logs-2024.03.01");
}

TEST(OpenSearchIndexName, ADatedPatternNeedsAnRfc3339Time) {
  for (const char* time : {"", "2024-05-01", "2024-05-01T10:00:00", "2024-13-01T10:00:00Z",
                           "2024-02-30T10:00:00Z", "2024-05-01T25:00:00Z", "1714557600",
                           "2024-05-01T10:00:00Zjunk", "2024-05-01T10:00:00.Z"})
    EXPECT_FALSE(index_name("logs-%Y.%m.%d", time)) << time;
}

TEST(OpenSearchIndexName, PrefixIsTheTextBeforeTheFirstDateField) {
  EXPECT_EQ(ltf::opensearch::index_name_prefix("lambda-function-%Y.%m.%d"), "lambda-function-");
  EXPECT_EQ(ltf::opensearch::index_name_prefix("lambda-function"), "lambda-function");
  EXPECT_TRUE(ltf::opensearch::has_date_fields("x-%Y"));
  EXPECT_FALSE(ltf::opensearch::has_date_fields("x"));
}

TEST(OpenSearchIndexName, EachCategoryHasItsIndexAndUnknownTypesGoWithPlatform) {
  const ltf::opensearch::IndexPatterns indices{"p", "f", "e"};
  EXPECT_EQ(indices.for_category(Category::platform), "p");
  EXPECT_EQ(indices.for_category(Category::function), "f");
  EXPECT_EQ(indices.for_category(Category::extension), "e");
  EXPECT_EQ(indices.for_category(Category::unknown), "p");
}

}  // namespace
