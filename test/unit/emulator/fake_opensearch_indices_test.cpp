// FakeOpenSearch's indices, templates, mappings, data streams and Serverless ids, its router and
// filter_path, and its summary.
#include "fake_opensearch_fixture.hpp"

#include <algorithm>

namespace ltf::emulator {
namespace {

using namespace ostest;

// --- indices, templates, mappings

TEST_F(FakeOpenSearchTest, IndicesAreCreatedOnceAndAnswerHead) {
  EXPECT_EQ(call(request(http::verb::head, "/lambda-platform", "", "")).status, 404u);
  const auto created = call(request(http::verb::put, "/lambda-platform",
                                    R"({"settings":{"number_of_shards":3},"mappings":{"properties":{"time":{"type":"date"},"record":{"type":"object","dynamic":true}}}})",
                                    "application/json"));
  ASSERT_EQ(created.status, 200u);
  EXPECT_EQ(created.body.at("acknowledged"), true);
  EXPECT_EQ(created.body.at("index"), "lambda-platform");
  EXPECT_EQ(call(request(http::verb::head, "/lambda-platform", "", "")).status, 200u);

  const auto again = call(request(http::verb::put, "/lambda-platform", "", ""));
  EXPECT_EQ(again.status, 400u);
  EXPECT_EQ(error_type(again), "resource_already_exists_exception");
  EXPECT_EQ(os->mapping("lambda-platform")->at("properties").at("record").at("type"), "object");

  const auto upper = call(request(http::verb::put, "/Lambda", "", ""));
  EXPECT_EQ(upper.status, 400u);
  EXPECT_EQ(error_type(upper), "invalid_index_name_exception");
  EXPECT_EQ(os->create_index("direct"), "");
  EXPECT_TRUE(os->has_index("direct"));
  EXPECT_NE(os->create_index("direct"), "");
}

TEST_F(FakeOpenSearchTest, TemplatesArePutGotAndTested) {
  const std::string body =
      R"({"index_patterns":["lambda-telemetry-*"],"priority":100,)"
      R"("template":{"mappings":{"properties":{"record":{"type":"flat_object"},"message":{"type":"text"}}}}})";
  EXPECT_EQ(call(request(http::verb::head, "/_index_template/lambda-telemetry", "", "")).status, 404u);
  const auto put = call(request(http::verb::put, "/_index_template/lambda-telemetry", body,
                                "application/json"));
  ASSERT_EQ(put.status, 200u);
  EXPECT_EQ(put.body.at("acknowledged"), true);
  EXPECT_EQ(call(request(http::verb::head, "/_index_template/lambda-telemetry", "", "")).status, 200u);
  const auto got = call(request(http::verb::get, "/_index_template/lambda-telemetry", "", ""));
  ASSERT_EQ(got.status, 200u);
  EXPECT_EQ(got.body.at("index_templates").at(0).at("name"), "lambda-telemetry");
  EXPECT_EQ(got.body.at("index_templates").at(0).at("index_template").at("priority"), 100);
  const auto missing = call(request(http::verb::get, "/_index_template/other", "", ""));
  EXPECT_EQ(missing.status, 404u);
  const auto no_patterns = call(request(http::verb::put, "/_index_template/bad",
                                        R"({"priority":1})", "application/json"));
  EXPECT_EQ(no_patterns.status, 400u);
  EXPECT_EQ(error_reason(no_patterns), "Validation Failed: 1: index patterns are missing;");
  EXPECT_TRUE(os->has_index_template("lambda-telemetry"));
  EXPECT_FALSE(os->has_index_template("bad"));
}

TEST_F(FakeOpenSearchTest, TemplateMappingAppliesAndAConcreteValueForAnObjectFailsTheItem) {
  ASSERT_EQ(os->put_index_template(
                "lambda", json::parse(R"({"index_patterns":["lambda-*"],"template":{"mappings":
                  {"properties":{"record":{"type":"object"},"time":{"type":"date"}}}}})").as_object()),
            "");
  const auto answer = bulk(R"({"index":{"_index":"lambda-function","_id":"e5f6"}})" "\n"
                           R"({"type":"function","record":"a text line"})" "\n"
                           R"({"index":{"_index":"lambda-function","_id":"ok"}})" "\n"
                           R"({"type":"platform.start","record":{"requestId":"r"}})" "\n"
                           R"({"index":{"_index":"other","_id":"free"}})" "\n"
                           R"({"record":"a text line"})" "\n");
  ASSERT_EQ(answer.status, 200u);
  EXPECT_EQ(answer.body.at("errors"), true);
  const auto& failed = item(answer, 0, "index");
  EXPECT_EQ(failed.at("status"), 400);
  EXPECT_EQ(failed.at("error").at("type"), "mapper_parsing_exception");
  EXPECT_EQ(failed.at("error").at("reason"),
            "object mapping for [record] tried to parse field [record] as object, but found a "
            "concrete value");
  EXPECT_EQ(item(answer, 1, "index").at("status"), 201);
  EXPECT_EQ(item(answer, 2, "index").at("status"), 201);  // no template: dynamic mapping
  EXPECT_EQ(os->document_count("lambda-function"), 1u);
  EXPECT_EQ(os->mapping("lambda-function")->at("properties").at("time").at("type"), "date");
  EXPECT_EQ(os->mapping("other")->at("properties").at("record").at("type"), "text");
}

TEST_F(FakeOpenSearchTest, DynamicMappingIsFixedByTheFirstDocument) {
  const auto answer = bulk(R"({"create":{"_index":"objects-first"}})" "\n"
                           R"({"record":{"requestId":"r"}})" "\n"
                           R"({"create":{"_index":"objects-first"}})" "\n"
                           R"({"record":"text"})" "\n"
                           R"({"create":{"_index":"text-first"}})" "\n"
                           R"({"record":"text"})" "\n"
                           R"({"create":{"_index":"text-first","_id":"obj"}})" "\n"
                           R"({"record":{"requestId":"r"}})" "\n"
                           R"({"create":{"_index":"text-first"}})" "\n"
                           R"({"record":"more text","extra":[1,2]})" "\n");
  EXPECT_EQ(item(answer, 0, "create").at("status"), 201);
  EXPECT_EQ(item(answer, 1, "create").at("status"), 400);
  EXPECT_EQ(item(answer, 1, "create").at("error").at("reason"),
            "object mapping for [record] tried to parse field [record] as object, but found a "
            "concrete value");
  EXPECT_EQ(item(answer, 3, "create").at("status"), 400);
  EXPECT_EQ(item(answer, 3, "create").at("error").at("type"), "mapper_parsing_exception");
  EXPECT_TRUE(std::string(item(answer, 3, "create").at("error").at("reason").as_string())
                  .starts_with("failed to parse field [record] of type [text]"));
  EXPECT_EQ(item(answer, 4, "create").at("status"), 201);
  EXPECT_EQ(os->mapping("text-first")->at("properties").at("extra").at("type"), "long");
  EXPECT_EQ(os->document_count("objects-first"), 1u);
  EXPECT_EQ(os->document_count("text-first"), 2u);
}

TEST_F(FakeOpenSearchTest, FlatObjectFieldsTakeObjectsOnly) {
  ASSERT_EQ(os->create_index("flat", json::parse(R"({"mappings":{"properties":
                {"record":{"type":"flat_object"},"message":{"type":"text"}}}})").as_object()),
            "");
  const auto answer = bulk(R"({"create":{"_index":"flat"}})" "\n" R"({"record":{"a":{"b":1}}})" "\n"
                           R"({"create":{"_index":"flat"}})" "\n" R"({"message":"text"})" "\n"
                           R"({"create":{"_index":"flat","_id":"s"}})" "\n" R"({"record":"text"})" "\n");
  EXPECT_EQ(item(answer, 0, "create").at("status"), 201);
  EXPECT_EQ(item(answer, 1, "create").at("status"), 201);
  EXPECT_EQ(item(answer, 2, "create").at("status"), 400);
  EXPECT_TRUE(std::string(item(answer, 2, "create").at("error").at("reason").as_string())
                  .starts_with("failed to parse field [record] of type [flat_object]"));
  // A flat_object's inner keys are not mapped one by one.
  EXPECT_FALSE(os->mapping("flat")->at("properties").at("record").as_object().contains("properties"));
}

TEST_F(FakeOpenSearchTest, WithoutAutoCreateAMissingIndexIsAnItem404) {
  FakeOpenSearchOptions options;
  options.auto_create_index = false;
  start(options);
  const std::string body = R"({"create":{"_index":"absent","_id":"1"}})" "\n{}\n";
  const auto missing = bulk(body);
  EXPECT_EQ(item(missing, 0, "create").at("status"), 404);
  EXPECT_EQ(item(missing, 0, "create").at("error").at("type"), "index_not_found_exception");
  EXPECT_FALSE(os->has_index("absent"));
  EXPECT_EQ(call(request(http::verb::put, "/absent", "", "")).status, 200u);
  EXPECT_EQ(item(bulk(body), 0, "create").at("status"), 201);
}

TEST_F(FakeOpenSearchTest, StrictMappingRefusesNewFields) {
  ASSERT_EQ(os->create_index("strict", json::parse(R"({"mappings":{"dynamic":"strict",
                "properties":{"type":{"type":"keyword"}}}})").as_object()),
            "");
  const auto answer = bulk(R"({"create":{"_index":"strict"}})" "\n" R"({"type":"a","new":1})" "\n");
  EXPECT_EQ(item(answer, 0, "create").at("error").at("type"), "strict_dynamic_mapping_exception");
  EXPECT_EQ(os->document_count("strict"), 0u);
}

TEST_F(FakeOpenSearchTest, DataStreamsTakeCreateOnlyWithATimestamp) {
  ASSERT_EQ(os->put_index_template("logs-ds", json::parse(R"({"index_patterns":["logs-ds-*"],
                "data_stream":{}})").as_object()),
            "");
  const auto answer = bulk(R"({"create":{"_index":"logs-ds-app"}})" "\n"
                           R"({"@timestamp":"2024-01-01T00:00:00Z","m":1})" "\n"
                           R"({"index":{"_index":"logs-ds-app"}})" "\n"
                           R"({"@timestamp":"2024-01-01T00:00:00Z","m":2})" "\n"
                           R"({"create":{"_index":"logs-ds-app"}})" "\n"
                           R"({"m":3})" "\n");
  EXPECT_EQ(item(answer, 0, "create").at("status"), 201);
  EXPECT_EQ(item(answer, 0, "create").at("_index"), ".ds-logs-ds-app-000001");
  EXPECT_EQ(item(answer, 1, "index").at("status"), 400);
  EXPECT_EQ(item(answer, 1, "index").at("error").at("reason"),
            "only write ops with an op_type of create are allowed in data streams");
  EXPECT_EQ(item(answer, 2, "create").at("status"), 400);
  EXPECT_EQ(item(answer, 2, "create").at("error").at("type"), "mapper_parsing_exception");
  EXPECT_TRUE(os->is_data_stream("logs-ds-app"));
  EXPECT_EQ(os->document_count("logs-ds-app"), 1u);
  EXPECT_EQ(os->document_count(".ds-logs-ds-app-000001"), 1u);
  const auto direct = call(request(http::verb::put, "/logs-ds-other", "", ""));
  EXPECT_EQ(direct.status, 400u);  // the template claims the name for a data stream
}

TEST_F(FakeOpenSearchTest, ServerlessTimeSeriesRefusesCustomIdsPerItem) {
  FakeOpenSearchOptions time_series;
  time_series.serverless = true;
  time_series.collection = CollectionType::time_series;
  start(time_series);
  const auto answer = bulk(R"({"index":{"_index":"x","_id":"mine"}})" "\n" R"({"a":1})" "\n"
                           R"({"create":{"_index":"x"}})" "\n" R"({"a":2})" "\n");
  ASSERT_EQ(answer.status, 200u);
  EXPECT_EQ(answer.body.at("errors"), true);
  const auto& refused = item(answer, 0, "index");
  EXPECT_EQ(refused.at("status"), 400);
  EXPECT_EQ(refused.at("_id"), "mine");
  EXPECT_EQ(refused.at("error").at("type"), "illegal_argument_exception");
  EXPECT_EQ(refused.at("error").at("reason"),
            "Document ID is not supported in create/index operation request");
  EXPECT_EQ(item(answer, 1, "create").at("status"), 201);
  EXPECT_EQ(os->document_count("x"), 1u);

  FakeOpenSearchOptions search = time_series;
  search.collection = CollectionType::search;
  start(search);
  EXPECT_EQ(item(bulk(R"({"index":{"_index":"x","_id":"mine"}})" "\n{}\n"), 0, "index").at("status"),
            201);
}

// --- routing and response filtering

TEST_F(FakeOpenSearchTest, UnknownPathsAre400AndWrongMethods405) {
  const auto unknown = call(request(http::verb::get, "/_cat/nothing", "", ""));
  EXPECT_EQ(unknown.status, 400u);
  EXPECT_EQ(unknown.body.at("error"), "no handler found for uri [/_cat/nothing] and method [GET]");
  const auto wrong = call(request(http::verb::get, "/_bulk", "", ""));
  EXPECT_EQ(wrong.status, 405u);
  EXPECT_EQ(wrong.body.at("error"),
            "Incorrect HTTP method for uri [/_bulk] and method [GET], allowed: [POST, PUT]");
  EXPECT_EQ(call(request(http::verb::put, "/_bulk", R"({"create":{"_index":"p"}})" "\n{}\n")).status,
            200u);
}

TEST_F(FakeOpenSearchTest, FilterPathKeepsOnlyWhatIsAskedAndDropsEmptiedItems) {
  bulk(R"({"create":{"_index":"logs","_id":"dup"}})" "\n{}\n");
  const std::string body = R"({"create":{"_index":"logs","_id":"dup"}})" "\n{}\n"
                           R"({"create":{"_index":"logs","_id":"new"}})" "\n{}\n";
  const auto errors_only = bulk(body, "/_bulk?filter_path=took,errors,items.*.error");
  EXPECT_TRUE(errors_only.body.at("took").is_int64());
  ASSERT_EQ(errors_only.body.at("items").as_array().size(), 1u);  // positions are lost
  EXPECT_EQ(errors_only.body.at("items").at(0).at("create").as_object().size(), 1u);
  const auto statuses = bulk(R"({"create":{"_index":"logs","_id":"x"}})" "\n{}\n"
                             R"({"create":{"_index":"logs","_id":"x"}})" "\n{}\n",
                             "/_bulk?filter_path=items.*.status");
  EXPECT_EQ(statuses.body, json::parse(R"({"items":[{"create":{"status":201}},{"create":{"status":409}}]})"));
}

TEST_F(FakeOpenSearchTest, SummaryReportsDocumentsDuplicatesAndConflictsPerIndex) {
  const std::string body = R"({"create":{"_index":"lambda-function","_id":"a"}})" "\n{}\n"
                           R"({"index":{"_index":"lambda-platform"}})" "\n" R"({"event_id":"e"})" "\n";
  bulk(body);
  bulk(body);  // a resend: one 409, one duplicate
  const auto report = os->summary_json();
  EXPECT_EQ(report.at("requests"), 2);
  EXPECT_EQ(report.at("conflicts"), 1);
  EXPECT_EQ(report.at("documents"), 3);
  EXPECT_EQ(report.at("indices").at("lambda-function").at("documents"), 1);
  EXPECT_EQ(report.at("indices").at("lambda-platform").at("documents"), 2);
  EXPECT_EQ(report.at("indices").at("lambda-platform").at("duplicates"), 1);
  const auto text = os->summary();
  EXPECT_NE(text.find("1 409 (already stored)"), std::string::npos) << text;
  EXPECT_NE(text.find("lambda-platform: 2 documents, 1 duplicates"), std::string::npos) << text;
}

}  // namespace
}  // namespace ltf::emulator
