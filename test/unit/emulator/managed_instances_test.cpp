// Lambda Managed Instances as the fake Lambda emulates them: SHUTDOWN-only registration, schema
// 2025-01-29 only, concurrent invocations whose lines interleave, no freeze, no runtimeDone, the
// reduced platform.report, Sequence-Id on every POST, and the per-line delivery latency.
#include "telemetry_api_fixture.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <map>
#include <set>

namespace ltf::emulator {
namespace {

using namespace emutest;

constexpr const char* shutdown_only = R"({"events":["SHUTDOWN"]})";

class ManagedInstances : public TelemetryApi {
 protected:
  ManagedInstances() {
    scenario.managed_instances = true;
    scenario.max_concurrency = 4;
    scenario.invocations = 12;
    scenario.log_lines_per_invocation = 5;
    scenario.function_duration = 20ms;
  }

  // An extension as Managed Instances want one: SHUTDOWN only, schema 2025-01-29. Its first and
  // only event must be SHUTDOWN; it exits once every platform.report is in.
  asio::awaitable<void> shutdown_only_extension(std::string* first_event) {
    auto ext = script();
    EXPECT_EQ((co_await ext.register_as("ext", shutdown_only)).status, 200u);
    const std::string types = R"(["platform","function","extension"])";
    EXPECT_EQ((co_await ext.subscribe_to(listener.port(), 25, types, "2025-01-29")).status, 200u);
    auto event = co_await ext.next();
    *first_event = event.field("eventType");
    co_await listener.wait_until([&] {
      return listener.events_of_type("platform.report") == lambda->report().invocations.size();
    });
    lambda->extension_exited("ext", 0);
  }
};

// Base64 of SHA-256, computed here independently of the emulator's own helper.
std::string base64_sha256(const std::string& body) {
  unsigned char digest[32];
  unsigned int size = 0;
  EVP_Digest(body.data(), body.size(), digest, &size, EVP_sha256(), nullptr);
  unsigned char text[45];
  EVP_EncodeBlock(text, digest, 32);
  return reinterpret_cast<const char*>(text);
}

// "inv-000012 line-0003 ..." -> 12
int invocation_of(const std::string& line) { return std::stoi(line.substr(4, 6)); }

TEST_F(ManagedInstances, RegisteringForInvokeIsRefusedAsTheRieRefusesIt) {
  start();
  run([&]() -> asio::awaitable<void> {
    auto ext = script();
    for (const char* body : {R"({"events":["INVOKE","SHUTDOWN"]})", R"({"events":["INVOKE"]})"}) {
      auto answer = co_await ext.register_as("ext", body);
      EXPECT_EQ(answer.status, 403u) << body;
      EXPECT_EQ(answer.error_type(), "Extension.InvalidEventType") << body;
      EXPECT_EQ(answer.error_message(), "INVOKE: ErrorInvalidEventType") << body;
    }
    EXPECT_EQ((co_await ext.register_as("ext", shutdown_only)).status, 200u);
  }());
  EXPECT_EQ(lambda->report().api_errors_of_type("Extension.InvalidEventType"), 2u);
  EXPECT_EQ(lambda->report().extension("ext")->events, std::vector<std::string>{"SHUTDOWN"});
}

TEST_F(ManagedInstances, OnlySchema20250129IsAccepted) {
  start();
  run([&]() -> asio::awaitable<void> {
    auto ext = script();
    EXPECT_EQ((co_await ext.register_as("ext", shutdown_only)).status, 200u);
    const std::string types = R"(["platform"])";
    for (const char* old : {"2022-07-01", "2022-12-13"}) {
      auto answer = co_await ext.subscribe_to(listener.port(), 25, types, old);
      EXPECT_EQ(answer.status, 400u) << old;
      EXPECT_EQ(answer.error_type(), "ValidationError") << old;
      EXPECT_NE(answer.error_message().find("2025-01-29"), std::string::npos) << old;
    }
    EXPECT_EQ((co_await ext.subscribe_to(listener.port(), 25, types, "2025-01-29")).status, 200u);
  }());
  EXPECT_EQ(lambda->report().extension("ext")->schema_version, "2025-01-29");
}

TEST_F(ManagedInstances, ConcurrentInvocationsInterleaveWithoutFreezeOrRuntimeDone) {
  auto& fake = start();
  int freezes = 0;
  fake.on_freeze = [&] { ++freezes; };
  std::string first_event;
  run([&]() -> asio::awaitable<void> {
    auto report = co_await (fake.run() && shutdown_only_extension(&first_event));
    EXPECT_EQ(report.init_status, "success");
    EXPECT_EQ(report.invocations.size(), 12u);
    EXPECT_TRUE(report.extension("ext")->exited_before_deadline);
  }());
  EXPECT_EQ(first_event, "SHUTDOWN");  // no INVOKE ever reaches an extension
  EXPECT_EQ(freezes, 0);

  // In stream order: invocations open at platform.start and close at platform.report.
  std::set<std::string> open;
  std::size_t most_open = 0, switches = 0, runtime_dones = 0, reports = 0;
  int last_invocation = -1;
  for (const auto& event : events_received(listener)) {
    const auto type = type_of(event);
    if (type == "platform.runtimeDone") ++runtime_dones;
    if (type == "platform.start")
      open.insert(std::string(event.at("record").as_object().at("requestId").as_string()));
    if (type == "function") {
      const int invocation = invocation_of(std::string(event.at("record").as_string()));
      if (last_invocation != -1 && invocation != last_invocation) ++switches;
      last_invocation = invocation;
    }
    if (type == "platform.report") {
      ++reports;
      const auto& record = event.at("record").as_object();
      open.erase(std::string(record.at("requestId").as_string()));
      const auto& metrics = record.at("metrics").as_object();
      EXPECT_EQ(metrics.size(), 1u);
      EXPECT_TRUE(metrics.contains("durationMs"));
      std::vector<std::string> spans;
      for (const auto& span : record.at("spans").as_array())
        spans.emplace_back(span.as_object().at("name").as_string());
      EXPECT_EQ(spans, (std::vector<std::string>{"responseLatency", "responseDuration"}));
    }
    most_open = std::max(most_open, open.size());
  }
  EXPECT_EQ(runtime_dones, 0u);
  EXPECT_EQ(reports, 12u);
  EXPECT_EQ(most_open, 4u);  // --concurrency: never more in flight, and that many at once
  // 12 invocations written one after another would switch 11 times; interleaved, far more.
  EXPECT_GT(switches, 11u * 3);
  EXPECT_EQ(listener.account(lambda->report().function_lines).lost, 0u);

  for (const auto& request : listener.received()) {
    EXPECT_FALSE(request.sequence_id.empty());
    EXPECT_EQ(request.sequence_id, base64_sha256(request.body));
  }
}

TEST_F(ManagedInstances, OnDemandPostsCarryNoSequenceId) {
  scenario.managed_instances = false;
  scenario.invocations = 1;
  auto& fake = start();
  run([&]() -> asio::awaitable<void> { co_await (fake.run() && patient_extension()); }());
  ASSERT_FALSE(listener.received().empty());
  for (const auto& request : listener.received()) EXPECT_EQ(request.sequence_id, "");
}

TEST_F(ManagedInstances, EveryLineHasADeliveryLatencyOrderedP50P99Max) {
  auto& fake = start();
  std::string first_event;
  run([&]() -> asio::awaitable<void> {
    co_await (fake.run() && shutdown_only_extension(&first_event));
  }());
  const auto summary = summarize(listener, lambda->report());
  const auto& latency = summary.line_latency;
  EXPECT_EQ(latency.count, 12u * 5);
  EXPECT_LE(latency.median_ms, latency.p99_ms);
  EXPECT_LE(latency.p99_ms, latency.max_ms);
  // A batch leaves 25 ms (the subscription's window; a timer never fires early) after its oldest
  // event, and the workers write a line every 4 ms or so: some line queued within the first 5 ms
  // of a window waited at least 20 ms.
  EXPECT_GE(latency.max_ms, 20.0);
  Summary whole;
  whole.report = lambda->report();
  whole.sink = summary;
  const auto report = report_json(whole);
  const auto& figures = report.at("sink").at("line_latency").as_object();
  EXPECT_EQ(figures.at("count").to_number<std::uint64_t>(), 60u);
  EXPECT_EQ(figures.at("p99_ms").to_number<double>(), latency.p99_ms);
}

}  // namespace
}  // namespace ltf::emulator
