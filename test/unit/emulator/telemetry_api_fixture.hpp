#pragma once
// The fixture of the Telemetry API tests: a FakeLambda on the test's own io_context, a hand-driven
// extension (extension_script.hpp) and a RecordingSink standing in for its telemetry listener.
#include "extension_script.hpp"
#include "support/await.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace ltf::emulator::emutest {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using namespace boost::asio::experimental::awaitable_operators;
namespace json = boost::json;

class TelemetryApi : public ::testing::Test {
 protected:
  TelemetryApi() {
    scenario.external_extensions = {"ext"};
    scenario.log_lines_per_invocation = 3;
    scenario.retry_backoff_initial = 5ms;
    scenario.retry_backoff_max = 20ms;
    EXPECT_FALSE(listener.listen());
  }

  FakeLambda& start() {
    lambda = std::make_unique<FakeLambda>(io.get_executor(), scenario);
    EXPECT_FALSE(lambda->listen());
    return *lambda;
  }
  ExtensionScript script() { return ExtensionScript(io.get_executor(), lambda->port()); }
  void run(asio::awaitable<void> body) { ltf::test::run_until_done(io, std::move(body), 20s); }

  // The listener has an event of `type` (for `request_id`, when given).
  bool arrived(const std::string& type, const std::string& request_id = "") const {
    for (const auto& event : events_received(listener)) {
      if (type_of(event) != type) continue;
      if (request_id.empty()) return true;
      const auto& record = event.at("record").as_object();
      if (record.contains("requestId") && record.at("requestId").as_string() == request_id)
        return true;
    }
    return false;
  }

  // A well-behaved extension: waits for its runtimeDone before each /next, exits on SHUTDOWN once
  // the last platform.report is in.
  asio::awaitable<void> patient_extension(std::vector<std::string>* request_ids = nullptr) {
    auto ext = script();
    co_await ext.register_as("ext");
    EXPECT_EQ((co_await ext.subscribe_to(listener.port())).status, 200u);
    for (;;) {
      auto event = co_await ext.next();
      if (event.field("eventType") != "INVOKE") break;
      const auto id = event.field("requestId");
      if (request_ids) request_ids->push_back(id);
      co_await listener.wait_until([&] { return arrived("platform.runtimeDone", id); });
    }
    co_await listener.wait_until([&] {
      return listener.events_of_type("platform.report") == lambda->report().invocations.size();
    });
    lambda->extension_exited("ext", 0);
  }

  asio::io_context io;
  Scenario scenario;
  std::unique_ptr<FakeLambda> lambda;
  RecordingSink listener{io.get_executor()};  // stands in for the extension's telemetry listener
};

inline std::string valid_subscription(const std::string& uri = "http://sandbox.localdomain:9999/t") {
  return R"({"schemaVersion":"2022-12-13","types":["platform"],"destination":{"protocol":"HTTP","URI":")" +
         uri + R"("}})";
}

}  // namespace ltf::emulator::emutest
