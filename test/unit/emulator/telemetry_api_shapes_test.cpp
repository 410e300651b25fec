// What subscribers receive as records: Lambda's JSON log format (the runtime's objects and the
// function's own JSON), a tenant-isolated function's tenantId, and how each schemaVersion shapes
// them; and which schemaVersions a Lambda that knows only older ones accepts.
#include "telemetry_api_fixture.hpp"

#include <algorithm>
#include <iterator>

namespace ltf::emulator::emutest {
namespace {

std::vector<json::object> of_type(const RecordingSink& sink, const std::string& type) {
  auto events = events_received(sink);
  std::vector<json::object> out;
  std::copy_if(events.begin(), events.end(), std::back_inserter(out),
               [&](const json::object& e) { return type_of(e) == type; });
  return out;
}

TEST_F(TelemetryApi, JsonLogsAreTheRuntimesObjectsAndTheFunctionsOwnJsonAsItWroteIt) {
  scenario.log_format = LogFormat::json;
  scenario.log_lines_per_invocation = 10;
  scenario.invocations = 1;
  scenario.tenant_id = "t1";
  auto& fake = start();
  std::vector<std::string> ids;
  run([&]() -> asio::awaitable<void> { co_await (fake.run() && patient_extension(&ids)); }());
  ASSERT_EQ(ids.size(), 1u);
  const auto& produced = lambda->report().function_lines;
  const auto lines = of_type(listener, "function");
  ASSERT_EQ(lines.size(), 10u);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    ASSERT_TRUE(lines[i].at("record").is_object()) << i;
    const auto& record = lines[i].at("record").as_object();
    EXPECT_EQ(record.at("message").as_string(), produced[i]) << i;
    if (i % 5 == 4) {  // written as JSON by the function itself: its own keys, nothing added
      EXPECT_EQ(record.at("level"), "WARN");
      EXPECT_EQ(record.at("service").as_string(), scenario.function_name);
      EXPECT_TRUE(record.at("line").is_int64());
      EXPECT_FALSE(record.contains("requestId")) << i;
      EXPECT_FALSE(record.contains("tenantId")) << i;
    } else {  // formatted by the runtime, in its order
      std::vector<std::string> keys;
      for (const auto& member : record) keys.emplace_back(member.key());
      EXPECT_EQ(keys, (std::vector<std::string>{"timestamp", "level", "requestId", "message",
                                                "tenantId"}));
      EXPECT_EQ(record.at("level"), "INFO");
      EXPECT_EQ(record.at("requestId").as_string(), ids[0]);
      EXPECT_EQ(record.at("tenantId"), "t1");
      EXPECT_TRUE(is_utc_millis(record.at("timestamp").as_string()));
    }
  }
  EXPECT_EQ(listener.account(produced).lost, 0u);
  EXPECT_EQ(listener.account(produced).duplicated, 0u);
}

TEST_F(TelemetryApi, TenantIdIsOnInvocationPlatformEventsForSchema2025AndInTheLinesForAll) {
  scenario.log_format = LogFormat::json;
  scenario.log_lines_per_invocation = 1;
  scenario.tenant_id = "blue";
  scenario.external_extensions = {"ext", "old"};
  auto& fake = start();
  RecordingSink old_listener(io.get_executor());
  ASSERT_FALSE(old_listener.listen());
  run([&]() -> asio::awaitable<void> {
    auto old = [&]() -> asio::awaitable<void> {
      auto ext = script();
      co_await ext.register_as("old", R"({"events":["SHUTDOWN"]})");
      co_await ext.subscribe_to(old_listener.port(), 25, R"(["platform","function"])", "2022-12-13");
      co_await ext.next();
      fake.extension_exited("old", 0);
    };
    auto modern = [&]() -> asio::awaitable<void> {
      auto ext = script();
      co_await ext.register_as("ext");
      co_await ext.subscribe_to(listener.port(), 25, R"(["platform","function"])", "2025-01-29");
      while ((co_await ext.next()).field("eventType") == "INVOKE") {
      }
      co_await listener.wait_until([&] { return listener.events_of_type("platform.report") == 1; });
      fake.extension_exited("ext", 0);
    };
    co_await (fake.run() && modern() && old());
  }());
  for (const char* type : {"platform.start", "platform.runtimeDone", "platform.report"}) {
    const auto modern = of_type(listener, type);
    ASSERT_EQ(modern.size(), 1u) << type;
    EXPECT_EQ(modern[0].at("record").at("tenantId"), "blue") << type;
    for (const auto& event : of_type(old_listener, type))
      EXPECT_FALSE(event.at("record").as_object().contains("tenantId")) << type << " for 2022-12-13";
  }
  ASSERT_EQ(of_type(old_listener, "platform.start").size(), 1u);
  for (const auto* sink : {&listener, &old_listener}) {
    const auto lines = of_type(*sink, "function");
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0].at("record").at("tenantId"), "blue") << "the runtime wrote it into the line";
  }
}

TEST_F(TelemetryApi, ALambdaThatKnowsOnlyOlderSchemasRefusesTheNewestWithAValidationError) {
  scenario.schema_versions = {"2022-07-01", "2022-12-13"};
  auto& fake = start();
  Answer newest, previous;
  run([&]() -> asio::awaitable<void> {
    auto ext = [&]() -> asio::awaitable<void> {
      auto e = script();
      co_await e.register_as("ext");
      newest = co_await e.subscribe_to(listener.port(), 25, R"(["platform"])", "2025-01-29");
      previous = co_await e.subscribe_to(listener.port(), 25, R"(["platform"])", "2022-12-13");
      while ((co_await e.next()).field("eventType") == "INVOKE") {
      }
      fake.extension_exited("ext", 0);
    };
    co_await (fake.run() && ext());
  }());
  EXPECT_EQ(newest.status, 400u);
  EXPECT_EQ(newest.error_type(), "ValidationError");
  EXPECT_NE(newest.error_message().find("2022-07-01, 2022-12-13"), std::string::npos)
      << newest.error_message();
  EXPECT_EQ(previous.status, 200u);
  EXPECT_EQ(lambda->report().extension("ext")->schema_version, "2022-12-13");
}

}  // namespace
}  // namespace ltf::emulator::emutest
