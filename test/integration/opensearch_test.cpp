// The forwarder, in-process on the fake Lambda, delivering to FakeOpenSearch: the seed's
// configuration, exactly-once indexing through throttling and outages, dead letters, Serverless.

#include "harness.hpp"

#include "ltf/fake_aws.hpp"
#include "ltf/fake_opensearch.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <set>

namespace {

namespace json = boost::json;
using ltf::emulator::FakeOpenSearch;
using ltf::emulator::OpenSearchFault;
using ltf::test::give_role_credentials;
using ltf::test::Harness;
using ltf::test::ScopedProcessEnv;

// The harness with OpenSearch as the destination instead of its recording sink.
void point_at(Harness& h, const FakeOpenSearch& os) {
  h.env.erase("DISPATCH_POST_URI");
  h.env["URL"] = os.url();
  h.env["AWS_REGION"] = h.scenario.region;
  h.env["AWS_LAMBDA_FUNCTION_NAME"] = h.scenario.function_name;
  h.env["AWS_LAMBDA_FUNCTION_VERSION"] = h.scenario.function_version;
}

std::map<std::string, std::uint64_t> produced_by_category(const ltf::emulator::Report& report) {
  std::map<std::string, std::uint64_t> out;
  for (const auto& [type, count] : report.events_produced)
    out[type.substr(0, type.find('.'))] += count;
  return out;
}

// Documents of `index` by category of their type, each event_id counted once, and how many
// event ids were seen more than once.
struct IndexContents {
  std::map<std::string, std::uint64_t> by_category;
  std::uint64_t repeated_ids = 0;
};
IndexContents contents(const FakeOpenSearch& os, const std::string& index) {
  IndexContents out;
  std::set<std::string> ids;
  for (const auto& doc : os.documents(index)) {
    const std::string type(doc.source.at("type").as_string());
    ++out.by_category[type.substr(0, type.find('.'))];
    if (!ids.insert(std::string(doc.source.at("event_id").as_string())).second) ++out.repeated_ids;
  }
  return out;
}

TEST(OpenSearch, TheSeedsVariablesAloneProduceTheSeedsIndicesWithCleanDocuments) {
  Harness h;
  h.scenario.invocations = 4;
  h.scenario.log_lines_per_invocation = 6;
  ScopedProcessEnv process;
  give_role_credentials(process, h.scenario.region);

  ltf::emulator::FakeSecretsManager secrets(h.io.get_executor());
  ASSERT_FALSE(secrets.listen({boost::asio::ip::make_address("127.0.0.1"), 0}));
  secrets.start();
  secrets.put_secret("opensearch-credentials", R"({"username":"ingest","password":"pw-Zx81"})");
  ltf::emulator::FakeOpenSearchOptions options;
  options.auth = ltf::emulator::OpenSearchAuth::basic("ingest", "pw-Zx81");
  FakeOpenSearch os(h.io.get_executor(), options);
  ASSERT_FALSE(os.listen());

  point_at(h, os);
  // Exactly the seed README's variables (the endpoint override only reaches the fake secret).
  h.env["AUTH_SECRET"] = ltf::emulator::fake_secret_arn(h.scenario.region, h.scenario.account_id,
                                                        "opensearch-credentials");
  h.env["PLATFORM_INDEX"] = "telemetry";
  h.env["FUNCTION_INDEX"] = "function-logs";
  h.env["EXTENSION_INDEX"] = "extension-logs";
  h.env["DISPATCH_MIN_BATCH_SIZE"] = "5";
  h.env["AWS_ENDPOINT_URL_SECRETS_MANAGER"] = secrets.url();

  const auto outcome = h.run();
  EXPECT_EQ(outcome.exit_code, 0);
  EXPECT_EQ(secrets.get_secret_value_requests(), 1u) << "fetched once, then kept";
  EXPECT_EQ(os.counters().auth_failures, 0u);

  for (const char* index : {"telemetry", "function-logs", "extension-logs"})
    EXPECT_TRUE(os.has_index(index)) << index << " is made at the first delivery, as the seed did";
  const auto produced = produced_by_category(outcome.report);
  const IndexContents platform = contents(os, "telemetry");
  const IndexContents function = contents(os, "function-logs");
  EXPECT_EQ(platform.by_category.at("platform"), produced.at("platform"));
  EXPECT_EQ(function.by_category.at("function"), produced.at("function"));
  EXPECT_EQ(function.by_category.size(), 1u);
  EXPECT_EQ(platform.repeated_ids + function.repeated_ids, 0u);

  // Documents are flat (no seed-style "doc" wrapper), with the identity, and the id is the event's.
  std::set<std::string> lines;
  for (const auto& doc : os.documents("function-logs")) {
    EXPECT_FALSE(doc.source.contains("doc"));
    EXPECT_EQ(doc.id, doc.source.at("event_id").as_string());
    EXPECT_EQ(doc.source.at("function_name"), "demo-function");
    EXPECT_EQ(doc.source.at("function_version"), "$LATEST");
    EXPECT_EQ(doc.source.at("region"), "us-east-1");
    EXPECT_EQ(doc.source.at("@timestamp"), doc.source.at("time"));
    ASSERT_TRUE(doc.source.at("message").is_string()) << "text logs go under message";
    lines.insert(std::string(doc.source.at("message").as_string()));
  }
  for (const auto& line : outcome.report.function_lines)
    EXPECT_TRUE(lines.contains(line) || lines.contains(line + "\n")) << line;
  bool saw_report = false;
  for (const auto& doc : os.documents("telemetry")) {
    if (doc.source.at("type") != "platform.report") continue;
    saw_report = true;
    EXPECT_TRUE(doc.source.at("record").is_object());
    EXPECT_TRUE(doc.source.at("record").at("metrics").is_object());
    EXPECT_TRUE(doc.source.contains("requestId"));
  }
  EXPECT_TRUE(saw_report);

  // The templates' mappings applied to the indices made from them.
  const auto mapping = os.mapping("function-logs");
  ASSERT_TRUE(mapping);
  EXPECT_EQ(mapping->at("properties").at("message").at("type"), "text");
  EXPECT_EQ(mapping->at("properties").at("record").at("type"), "flat_object");
  EXPECT_EQ(mapping->at("properties").at("@timestamp").at("type"), "date");
  os.stop();
  secrets.stop();
}

TEST(OpenSearch, ThrottledItemsAnOutageAndALostAnswerStillIndexEveryEventExactlyOnce) {
  Harness h;
  h.scenario.invocations = 200;
  h.scenario.log_lines_per_invocation = 5;
  // Time enough at SHUTDOWN for the last retries even in a slow (sanitizer) build: what is not
  // sent by the deadline is kept on disk for a later process, which this test does not run.
  h.scenario.shutdown_budget = std::chrono::milliseconds(20000);
  FakeOpenSearch os(h.io.get_executor());
  ASSERT_FALSE(os.listen());
  os.set_item_rejection_rate(0.1);
  point_at(h, os);
  h.env["FUNCTION_INDEX"] = "lambda-function-%Y.%m.%d";
  h.env["LTF_SINK_TIMEOUT_MS"] = "300";
  // A flush per invocation, so the faults below meet requests at the invocations named.
  h.env["LTF_FLUSH_STRATEGY"] = "end-of-invocation";
  h.env["LTF_RETRY_INITIAL_MS"] = "5";
  h.env["LTF_RETRY_MAX_MS"] = "50";
  h.env["LTF_CIRCUIT_COOLDOWN_MS"] = "50";
  std::size_t stored_when_down = 0;
  std::size_t stored_when_back = 0;
  h.before_invocation = [&](int index) {
    if (index == 40) {
      os.set_fault(OpenSearchFault::refuse());
      stored_when_down = os.document_count();
    }
    if (index == 120) {
      stored_when_back = os.document_count();
      os.set_fault(OpenSearchFault::ok());
    }
    // The cluster stores a bulk request but the answer never comes: the resend must not duplicate.
    if (index == 150) os.set_fault(OpenSearchFault::store_then_hang(1));
  };

  const auto outcome = h.run();
  EXPECT_EQ(outcome.exit_code, 0);
  EXPECT_GT(stored_when_down, 0u);
  EXPECT_EQ(stored_when_back, stored_when_down) << "nothing reaches a cluster that is down";
  EXPECT_GT(os.counters().rejected_items, 0u);
  EXPECT_GT(os.counters().conflicts, 0u) << "the unanswered request was sent again: 409s";

  const auto produced = produced_by_category(outcome.report);
  std::map<std::string, std::uint64_t> indexed;
  std::uint64_t repeated = 0;
  for (const auto& index : os.indices()) {
    const IndexContents c = contents(os, index);
    for (const auto& [category, count] : c.by_category) indexed[category] += count;
    repeated += c.repeated_ids;
    EXPECT_EQ(os.duplicate_documents(index), 0u) << index;
  }
  EXPECT_EQ(repeated, 0u);
  for (const char* category : {"platform", "function"})
    EXPECT_EQ(indexed[category], produced.at(category)) << category;
  EXPECT_EQ(indexed["function"], outcome.report.function_lines.size());
  EXPECT_FALSE(os.has_index("lambda-telemetry-dlq") && os.document_count("lambda-telemetry-dlq") > 0)
      << "throttling and outages are retried, never dead-lettered";
  os.stop();
}

TEST(OpenSearch, AMappingConflictSendsThoseEventsToTheDeadLetterIndexAndTheRestIsIndexed) {
  Harness h;
  h.scenario.invocations = 3;
  h.scenario.log_lines_per_invocation = 4;
  FakeOpenSearch os(h.io.get_executor());
  ASSERT_FALSE(os.listen());
  // An index someone made earlier, with `message` as an object: text log lines cannot go in.
  const json::object conflicting =
      json::parse(R"({"mappings":{"properties":{"message":{"type":"object"}}}})").as_object();
  ASSERT_EQ(os.create_index("lambda-function", conflicting), "");
  point_at(h, os);

  const auto outcome = h.run();
  EXPECT_EQ(outcome.exit_code, 0);
  const auto produced = produced_by_category(outcome.report);
  EXPECT_EQ(os.document_count("lambda-function"), 0u);
  EXPECT_EQ(contents(os, "lambda-platform").by_category.at("platform"), produced.at("platform"));

  const auto letters = os.documents("lambda-telemetry-dlq");
  ASSERT_EQ(letters.size(), outcome.report.function_lines.size());
  for (const auto& letter : letters) {
    EXPECT_EQ(letter.source.at("index"), "lambda-function");
    EXPECT_EQ(letter.source.at("error_type"), "mapper_parsing_exception");
    EXPECT_EQ(letter.source.at("status").to_number<int>(), 400);
    EXPECT_FALSE(letter.source.at("reason").as_string().empty());
    const json::value original = json::parse(letter.source.at("original").as_string());
    EXPECT_EQ(original.at("type"), "function");
    EXPECT_EQ(letter.id, letter.source.at("event_id").as_string());
  }
  os.stop();
}

TEST(OpenSearch, ServerlessTimeSeriesCollectionsGetSignedRequestsWithoutCustomIds) {
  Harness h;
  h.scenario.invocations = 3;
  h.scenario.log_lines_per_invocation = 4;
  ScopedProcessEnv process;
  give_role_credentials(process, "eu-west-1");
  ltf::emulator::FakeOpenSearchOptions options;
  options.serverless = true;
  options.collection = ltf::emulator::CollectionType::time_series;
  options.auth = ltf::emulator::OpenSearchAuth::sigv4(
      "aoss", "eu-west-1", std::string(ltf::emulator::kFakeAccessKeyId),
      std::string(ltf::emulator::kFakeSecretAccessKey),
      std::string(ltf::emulator::kFakeSessionToken));
  FakeOpenSearch os(h.io.get_executor(), options);
  ASSERT_FALSE(os.listen());
  point_at(h, os);
  // A loopback URL says nothing about the service: named explicitly, as for a custom endpoint.
  h.env["LTF_OPENSEARCH_AUTH"] = "sigv4";
  h.env["LTF_OPENSEARCH_SERVICE"] = "aoss";
  h.env["LTF_OPENSEARCH_REGION"] = "eu-west-1";
  h.env["LTF_COMPRESSION"] = "gzip";

  const auto outcome = h.run();
  EXPECT_EQ(outcome.exit_code, 0);
  EXPECT_EQ(os.counters().auth_failures, 0u);
  const auto produced = produced_by_category(outcome.report);
  const IndexContents function = contents(os, "lambda-function");
  EXPECT_EQ(function.by_category.at("function"), produced.at("function"));
  EXPECT_EQ(function.repeated_ids, 0u);
  for (const auto& doc : os.documents("lambda-function"))
    EXPECT_NE(doc.id, doc.source.at("event_id").as_string()) << "the collection made the id";
  EXPECT_EQ(os.document_count("lambda-telemetry-dlq"), 0u);
  os.stop();
}

}  // namespace
