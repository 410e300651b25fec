// The _bulk wire format (NDJSON body, the answer's items) and the index templates.
#include "ltf/opensearch.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <gtest/gtest.h>

#include <set>
#include <sstream>

namespace {

namespace json = boost::json;
using ltf::opensearch::BulkAction;
using ltf::opensearch::BulkItem;
using ltf::opensearch::ItemFate;
using ltf::opensearch::OpType;
using ltf::opensearch::fate_of;
using ltf::opensearch::parse_bulk_response;

std::vector<std::string> lines_of(const std::string& body) {
  std::vector<std::string> lines;
  std::stringstream in(body);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

TEST(OpenSearchBulkBody, OneMetadataLineAndOneSourceLinePerActionEndingInANewline) {
  const std::vector<BulkAction> actions{
      {"lambda-platform", "aaaa", R"({"type":"platform.start","message":"a\nb"})"},
      {"lambda-function-2024.05.01", "bbbb", R"({"type":"function"})"}};
  const std::string body = ltf::opensearch::bulk_body(actions, OpType::create);
  ASSERT_FALSE(body.empty());
  EXPECT_EQ(body.back(), '\n') << "OpenSearch refuses a bulk body not ending in a newline";
  const auto lines = lines_of(body);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], R"({"create":{"_index":"lambda-platform","_id":"aaaa"}})");
  EXPECT_EQ(lines[1], actions[0].source);
  EXPECT_EQ(lines[2], R"({"create":{"_index":"lambda-function-2024.05.01","_id":"bbbb"}})");
  EXPECT_EQ(lines[3], actions[1].source);
  for (const auto& line : lines) EXPECT_TRUE(json::parse(line).is_object()) << line;
}

TEST(OpenSearchBulkBody, WithoutIdsTheServerMakesThem) {
  const std::vector<BulkAction> actions{{"logs", "", R"({"a":1})"}};
  EXPECT_EQ(ltf::opensearch::bulk_body(actions, OpType::index),
            "{\"index\":{\"_index\":\"logs\"}}\n{\"a\":1}\n");
}

TEST(OpenSearchBulkBody, NamesAreJsonEscaped) {
  const std::vector<BulkAction> actions{{"we\"ird", "i\\d", "{}"}};
  const auto lines = lines_of(ltf::opensearch::bulk_body(actions, OpType::create));
  const json::value meta = json::parse(lines.at(0));
  EXPECT_EQ(meta.at("create").at("_index"), "we\"ird");
  EXPECT_EQ(meta.at("create").at("_id"), "i\\d");
}

constexpr const char* kMixedAnswer = R"json({"took":35,"errors":true,"items":[
  {"create":{"_index":"lambda-platform","_id":"a","_version":1,"result":"created","status":201}},
  {"create":{"_index":"lambda-platform","_id":"b","status":409,"error":{"type":"version_conflict_engine_exception","reason":"[b]: version conflict, document already exists (current version [1])"}}},
  {"create":{"_index":"lambda-function","_id":"c","status":400,"error":{"type":"mapper_parsing_exception","reason":"object mapping for [record] tried to parse field [record] as object, but found a concrete value"}}},
  {"create":{"_index":"lambda-function","_id":"d","status":429,"error":{"type":"rejected_execution_exception","reason":"rejected execution"}}},
  {"create":{"_index":"lambda-function","_id":"e","status":503,"error":{"type":"unavailable_shards_exception","reason":"primary shard is not active"}}},
  {"create":{"_index":"x-2024","_id":"f","status":404,"error":{"type":"index_not_found_exception","reason":"no such index [x-2024]"}}},
  {"create":{"_index":"y","_id":"g","status":403,"error":{"type":"cluster_block_exception","reason":"index [y] blocked by: [FORBIDDEN/8/index write (api)]"}}},
  {"index":{"_index":"z","_id":"h","status":200,"result":"updated"}}
]})json";

TEST(OpenSearchBulkAnswer, EveryItemIsReadInRequestOrder) {
  std::string why;
  const auto items = parse_bulk_response(kMixedAnswer, 8, &why);
  ASSERT_TRUE(items) << why;
  ASSERT_EQ(items->size(), 8u);
  EXPECT_EQ((*items)[0].status, 201u);
  EXPECT_TRUE((*items)[0].error_type.empty());
  EXPECT_EQ((*items)[2].status, 400u);
  EXPECT_EQ((*items)[2].error_type, "mapper_parsing_exception");
  EXPECT_NE((*items)[2].reason.find("tried to parse field [record] as object"), std::string::npos);
  EXPECT_EQ((*items)[7].status, 200u);
}

TEST(OpenSearchBulkAnswer, EachStatusDecidesTheItemsFate) {
  const auto items = parse_bulk_response(kMixedAnswer, 8);
  ASSERT_TRUE(items);
  EXPECT_EQ(fate_of((*items)[0]), ItemFate::stored);         // 201
  EXPECT_EQ(fate_of((*items)[1]), ItemFate::stored);         // 409: stored by an earlier attempt
  EXPECT_EQ(fate_of((*items)[2]), ItemFate::dead_letter);    // 400 mapping
  EXPECT_EQ(fate_of((*items)[3]), ItemFate::retry);          // 429
  EXPECT_EQ(fate_of((*items)[4]), ItemFate::retry);          // 503
  EXPECT_EQ(fate_of((*items)[5]), ItemFate::missing_index);  // 404 index_not_found
  EXPECT_EQ(fate_of((*items)[6]), ItemFate::retry);          // 403 read-only block
  EXPECT_EQ(fate_of((*items)[7]), ItemFate::stored);         // 200

  EXPECT_EQ(fate_of(BulkItem{400, "illegal_argument_exception",
                             "Document ID is not supported in create/index operation request"}),
            ItemFate::dead_letter);
  EXPECT_EQ(fate_of(BulkItem{404, "document_missing_exception", ""}), ItemFate::dead_letter);
  EXPECT_EQ(fate_of(BulkItem{403, "security_exception", "no permissions"}), ItemFate::dead_letter);
  EXPECT_EQ(fate_of(BulkItem{500, "", ""}), ItemFate::retry);
}

TEST(OpenSearchBulkAnswer, FilteredAnswersAreReadToo) {
  // filter_path=errors,items.*.status,items.*.error.type,items.*.error.reason
  const auto items = parse_bulk_response(
      R"({"errors":true,"items":[{"create":{"status":201}},{"create":{"status":429,"error":{"type":"es_rejected_execution_exception"}}}]})",
      2);
  ASSERT_TRUE(items);
  EXPECT_EQ(fate_of((*items)[0]), ItemFate::stored);
  EXPECT_EQ((*items)[1].error_type, "es_rejected_execution_exception");
  EXPECT_EQ(fate_of((*items)[1]), ItemFate::retry);
}

TEST(OpenSearchBulkAnswer, AnswersThatAreNotBulkAnswersAreRefusedWithAReason) {
  std::string why;
  EXPECT_FALSE(parse_bulk_response("<html>", 1, &why));
  EXPECT_NE(why.find("not JSON"), std::string::npos) << why;
  EXPECT_FALSE(parse_bulk_response(R"({"errors":false})", 1, &why));
  EXPECT_NE(why.find("items"), std::string::npos) << why;
  EXPECT_FALSE(parse_bulk_response(R"({"items":[{"create":{"status":201}}]})", 2, &why));
  EXPECT_NE(why.find("1 items for 2 actions"), std::string::npos) << why;
  EXPECT_FALSE(parse_bulk_response(R"({"items":[{"create":{"result":"created"}}]})", 1, &why));
  EXPECT_NE(why.find("no status"), std::string::npos) << why;
  EXPECT_FALSE(parse_bulk_response(R"({"items":[{"create":{"status":7}}]})", 1, &why));
  EXPECT_FALSE(parse_bulk_response(R"({"items":[{"a":{"status":201},"b":{}}]})", 1, &why));
}

TEST(OpenSearchBulkAnswer, ReasonsAreBounded) {
  const std::string answer = R"({"items":[{"create":{"status":400,"error":{"type":"t","reason":")" +
                             std::string(5000, 'r') + R"("}}}]})";
  const auto items = parse_bulk_response(answer, 1);
  ASSERT_TRUE(items);
  EXPECT_LE((*items)[0].reason.size(), ltf::opensearch::max_reason_bytes);
}

TEST(OpenSearchErrorSummary, WholeRequestErrorsAreTypeAndReasonOnOneLine) {
  EXPECT_EQ(ltf::opensearch::error_summary(
                R"({"error":{"root_cause":[],"type":"illegal_argument_exception","reason":"The bulk request must be terminated by a newline [\n]"},"status":400})"),
            "illegal_argument_exception: The bulk request must be terminated by a newline [ ]");
  EXPECT_EQ(ltf::opensearch::error_summary(R"({"Message":"Request size exceeded 10485760 bytes"})"),
            "Request size exceeded 10485760 bytes");
  EXPECT_EQ(ltf::opensearch::error_summary("plain\ntext"), "plain text");
  EXPECT_LE(ltf::opensearch::error_summary(std::string(1000, 'x'), 64).size(), 64u);
}

// ---------------------------------------------------------------------------------------------
// Templates

json::object template_json(const ltf::opensearch::TemplateSpec& spec) {
  return json::parse(ltf::opensearch::template_body(spec)).as_object();
}

TEST(OpenSearchTemplates, TheSeedsNamesGetATemplateEachCoveringRolledOverNames) {
  const auto templates = ltf::opensearch::data_templates({}, false);
  ASSERT_EQ(templates.size(), 3u);
  EXPECT_EQ(templates[0].index_patterns,
            (std::vector<std::string>{"lambda-platform", "lambda-platform-*"}));
  EXPECT_EQ(templates[0].record, ltf::opensearch::RecordMapping::dynamic_object);
  EXPECT_EQ(templates[1].index_patterns,
            (std::vector<std::string>{"lambda-function", "lambda-function-*"}));
  EXPECT_EQ(templates[1].record, ltf::opensearch::RecordMapping::flat_object);
  EXPECT_EQ(templates[2].record, ltf::opensearch::RecordMapping::flat_object);
  EXPECT_NE(templates[0].name, templates[1].name);

  const json::object body = template_json(templates[1]);
  EXPECT_EQ(body.at("index_patterns").as_array().size(), 2u);
  const json::value& properties = body.at("template").at("mappings").at("properties");
  EXPECT_EQ(properties.at("@timestamp").at("type"), "date");
  EXPECT_EQ(properties.at("event_id").at("type"), "keyword");
  EXPECT_EQ(properties.at("message").at("type"), "text");
  EXPECT_EQ(properties.at("record").at("type"), "flat_object");
  EXPECT_FALSE(body.contains("data_stream"));
  EXPECT_EQ(template_json(templates[0])
                .at("template").at("mappings").at("properties").at("record").at("type"),
            "object");
}

TEST(OpenSearchTemplates, DatedPatternsAreCoveredByTheirPrefix) {
  const auto templates = ltf::opensearch::data_templates(
      {"lambda-platform-%Y.%m.%d", "lambda-function-%Y.%m.%d", "lambda-function-%Y.%m.%d"}, false);
  ASSERT_EQ(templates.size(), 2u) << "one template per distinct pattern";
  EXPECT_EQ(templates[0].index_patterns, (std::vector<std::string>{"lambda-platform-*"}));
  EXPECT_EQ(templates[1].index_patterns, (std::vector<std::string>{"lambda-function-*"}));
}

TEST(OpenSearchTemplates, OverlappingPatternsGetDistinctPrioritiesTheMoreSpecificHigher) {
  const auto templates = ltf::opensearch::data_templates({"logs", "logs-fn", "logs-%Y"}, false);
  ASSERT_EQ(templates.size(), 3u);
  // "logs-*" (from logs) overlaps "logs-fn*" and "logs-*" (dated): all priorities differ.
  EXPECT_NE(templates[0].priority, templates[1].priority);
  EXPECT_NE(templates[0].priority, templates[2].priority);
  EXPECT_NE(templates[1].priority, templates[2].priority);
  EXPECT_GT(templates[1].priority, templates[0].priority);
  std::set<std::string> names;
  for (const auto& spec : templates) names.insert(spec.name);
  EXPECT_EQ(names.size(), 3u);
}

TEST(OpenSearchTemplates, ASharedIndexMapsRecordForPlatformEvents) {
  const auto templates = ltf::opensearch::data_templates({"all", "all", "all"}, false);
  ASSERT_EQ(templates.size(), 1u);
  EXPECT_EQ(templates[0].record, ltf::opensearch::RecordMapping::dynamic_object);
}

TEST(OpenSearchTemplates, DataStreamsAreDeclaredInTheTemplate) {
  const auto templates = ltf::opensearch::data_templates({}, true);
  EXPECT_TRUE(template_json(templates[0]).at("data_stream").is_object());
}

TEST(OpenSearchTemplates, TheDeadLetterTemplateIndexesNothingAValueCouldFail) {
  const auto spec = ltf::opensearch::dead_letter_template("lambda-telemetry-dlq");
  EXPECT_EQ(spec.index_patterns, (std::vector<std::string>{"lambda-telemetry-dlq"}));
  for (const auto& data : ltf::opensearch::data_templates({}, false))
    EXPECT_GT(spec.priority, data.priority);
  const json::object body = template_json(spec);
  const json::value& mappings = body.at("template").at("mappings");
  EXPECT_EQ(mappings.at("dynamic"), false);
  EXPECT_EQ(mappings.at("properties").at("original").at("index"), false);
  EXPECT_FALSE(body.contains("data_stream"));
}

}  // namespace
