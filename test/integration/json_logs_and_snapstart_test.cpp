// The forwarder in-process on the fake Lambda with Lambda's JSON log format and a tenant-isolated
// function, and on a SnapStart function: what reaches the HTTP destination. (The same through
// OpenSearch: opensearch_test.cpp; with real processes under fake-lambda:
// process_lambda_kinds_test.cpp.)

#include "harness.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <string>
#include <vector>

namespace {

namespace json = boost::json;
using ltf::test::Harness;

// Every event the sink accepted, in arrival order.
std::vector<json::object> delivered(const Harness& h) {
  std::vector<json::object> out;
  for (const auto& request : h.sink.received()) {
    if (request.status / 100 != 2) continue;
    const json::value batch = json::parse(request.body);
    for (const auto& event : batch.as_array()) out.push_back(event.as_object());
  }
  return out;
}

std::string type_of(const json::object& event) { return std::string(event.at("type").as_string()); }

void expect_every_line_once(const Harness& h, const ltf::emulator::Report& report) {
  const auto lines = h.sink.account(report.function_lines);
  EXPECT_EQ(lines.produced, report.function_lines.size());
  EXPECT_GT(lines.produced, 0u);
  EXPECT_EQ(lines.lost, 0u);
  EXPECT_EQ(lines.duplicated, 0u);
  EXPECT_EQ(lines.unexpected, 0u);
}

TEST(JsonLogs, ObjectRecordsAndTheTenantReachTheHttpDestinationAsLambdaSentThem) {
  Harness h;
  h.scenario.log_format = ltf::emulator::LogFormat::json;
  h.scenario.tenant_id = "t1";
  h.scenario.invocations = 3;
  h.scenario.log_lines_per_invocation = 10;
  const auto outcome = h.run();
  ASSERT_EQ(outcome.exit_code, ltf::exit_ok);
  expect_every_line_once(h, outcome.report);

  std::size_t functions = 0, own_json = 0;
  std::set<std::string> tenant_platform_types;
  for (const auto& event : delivered(h)) {
    const auto type = type_of(event);
    if (type == "function") {
      ++functions;
      ASSERT_TRUE(event.at("record").is_object()) << "JSON-format lines stay objects";
      const auto& record = event.at("record").as_object();
      if (record.contains("service")) {  // a line the function wrote as JSON itself, untouched
        ++own_json;
        EXPECT_EQ(record.at("level"), "WARN");
        EXPECT_FALSE(record.contains("tenantId"));
      } else {
        EXPECT_EQ(record.at("tenantId"), "t1");
        EXPECT_EQ(record.at("level"), "INFO");
      }
      EXPECT_TRUE(event.contains("eventId") && event.contains("sequence") && event.contains("sandbox"));
    } else if (type.starts_with("platform.") && event.at("record").as_object().contains("tenantId")) {
      EXPECT_EQ(event.at("record").at("tenantId"), "t1");
      tenant_platform_types.insert(type);
    }
  }
  EXPECT_EQ(functions, 30u);
  EXPECT_EQ(own_json, 6u);
  EXPECT_EQ(tenant_platform_types,
            (std::set<std::string>{"platform.start", "platform.runtimeDone", "platform.report"}))
      << "the forwarder subscribes with schema 2025-01-29, which carries the tenant";
}

TEST(JsonLogs, ALambdaOfSchema2022_12_13GivesObjectsWithoutThePlatformTenant) {
  Harness h;
  h.scenario.schema_versions = {"2022-07-01", "2022-12-13"};
  h.scenario.log_format = ltf::emulator::LogFormat::json;
  h.scenario.tenant_id = "t1";
  const auto outcome = h.run();
  ASSERT_EQ(outcome.exit_code, ltf::exit_ok);
  expect_every_line_once(h, outcome.report);
  for (const auto& event : delivered(h)) {
    const auto type = type_of(event);
    if (type == "function") {
      EXPECT_TRUE(event.at("record").is_object());
    } else if (type == "platform.start") {
      EXPECT_FALSE(event.at("record").as_object().contains("tenantId"));
    }
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::string text;
  std::getline(in, text);
  return text;
}

TEST(SnapStart, TheForwarderTakesANewSandboxIdentityAtTheRestoreAndDeliversEveryLineOnce) {
  Harness h;
  h.scenario.snapstart_restores = 1;
  h.scenario.initialization_type = "snap-start";
  h.scenario.invocations = 4;
  const std::string id_file = h.spill_dir() + "/sandbox";
  std::string snapshot_id;  // what the forwarder chose at Init, shared by every clone
  h.on_restore = [&] { snapshot_id = read_file(id_file); };
  const auto outcome = h.run();
  ASSERT_EQ(outcome.exit_code, ltf::exit_ok);
  EXPECT_EQ(outcome.report.restores, 1);
  EXPECT_EQ(outcome.report.shutdown_reason, "spindown");
  EXPECT_EQ(outcome.report.invocations.size(), 4u);
  EXPECT_EQ(outcome.report.timed_out_invocations(), 0u);
  // Its parked /event/next was cut: it asked again, on a new connection, and only once.
  EXPECT_EQ(outcome.report.api_errors_of_type("Extension.InvalidExtensionState"), 0u);
  expect_every_line_once(h, outcome.report);

  // After the restore it chose a new identity: every event it sent carries it, none the
  // snapshot's, and no event id repeats.
  const std::string restored_id = read_file(id_file);
  EXPECT_EQ(snapshot_id.size(), 16u);
  EXPECT_EQ(restored_id.size(), 16u);
  EXPECT_NE(snapshot_id, restored_id);
  bool restore_arrived = false;
  std::set<std::string> ids;
  for (const auto& event : delivered(h)) {
    restore_arrived = restore_arrived || type_of(event) == "platform.restoreStart";
    EXPECT_EQ(event.at("sandbox").as_string(), restored_id) << type_of(event);
    EXPECT_TRUE(ids.insert(std::string(event.at("eventId").as_string())).second);
  }
  EXPECT_TRUE(restore_arrived);
  const auto* forwarder = outcome.report.extension(ltf::test::kExtensionName);
  ASSERT_TRUE(forwarder);
  EXPECT_EQ(forwarder->restarts, 0) << "the same process went on after the restore";
}

}  // namespace
