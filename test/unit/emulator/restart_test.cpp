// Scenario::kill_extensions_after: the extension is killed between two invocations and, as Lambda
// resets a sandbox after an extension crash, Init runs again for a new process before the next
// invocation.
#include "extension_script.hpp"
#include "support/await.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <gtest/gtest.h>

namespace ltf::emulator {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using emutest::ExtensionScript;

TEST(Restart, KilledAfterAnInvocationTheExtensionIsStartedAgainAndInitRunsAgain) {
  asio::io_context io;
  RecordingSink listener{io.get_executor()};  // the extension's telemetry listener, same port
  ASSERT_FALSE(listener.listen());             // for both of its processes
  Scenario scenario;
  scenario.external_extensions = {"ext"};
  scenario.invocations = 3;
  scenario.log_lines_per_invocation = 2;
  scenario.kill_extensions_after = 0;
  FakeLambda fake(io.get_executor(), scenario);
  ASSERT_FALSE(fake.listen());

  int launches = 0;
  std::vector<std::string> killed;
  std::vector<unsigned> last_answers;  // each process's last /next status
  bool killed_process_saw_the_end = false;
  // One extension process: registers, subscribes, serves invocations until told otherwise.
  auto process = [&]() -> asio::awaitable<void> {
    ExtensionScript ext(io.get_executor(), fake.port());
    CO_ASSERT_EQ((co_await ext.register_as("ext")).status, 200u);
    CO_ASSERT_EQ((co_await ext.subscribe_to(listener.port())).status, 200u);
    for (;;) {
      auto event = co_await ext.next();
      if (event.field("eventType") != "INVOKE") {
        last_answers.push_back(event.status);
        if (event.field("eventType") != "SHUTDOWN") {
          killed_process_saw_the_end = true;
          co_return;
        }
        // The last invocation's platform.report comes during Shutdown.
        co_await listener.wait_until([&] { return listener.events_of_type("platform.report") >= 2; });
        fake.extension_exited("ext", 0);
        co_return;
      }
      const auto id = event.field("requestId");
      co_await listener.wait_until([&] {
        for (const auto& request : listener.received())
          if (request.body.find(id) != std::string::npos &&
              request.body.find("platform.runtimeDone") != std::string::npos)
            return true;
        return false;
      });
    }
  };
  fake.on_init_start = [&] {
    ++launches;
    fake.extension_launched("ext");
    asio::co_spawn(io, process(), asio::detached);
  };
  fake.on_kill = [&](const std::string& name) {
    killed.push_back(name);
    // As the launcher would: the process's end is told once it has been reaped.
    asio::post(io, [&fake, name] { fake.extension_exited(name, 128 + 9); });
  };

  Report report = ltf::test::run_until_done(io, fake.run(), 20s);
  EXPECT_EQ(launches, 2);
  EXPECT_EQ(killed, std::vector<std::string>{"ext"});
  EXPECT_EQ(report.init_status, "success");
  ASSERT_EQ(report.invocations.size(), 3u);
  for (const auto& invocation : report.invocations) EXPECT_EQ(invocation.status, "success");
  const auto* ext = report.extension("ext");
  ASSERT_NE(ext, nullptr);
  EXPECT_EQ(ext->restarts, 1);
  EXPECT_FALSE(ext->killed);  // the new process was not
  EXPECT_TRUE(ext->received_shutdown);
  EXPECT_TRUE(ext->exited_before_deadline);
  EXPECT_TRUE(killed_process_saw_the_end);
  EXPECT_EQ(report.events_produced.at("platform.initStart"), 2u);
  // Every function line reached the listener, the first invocation's through the killed process.
  const auto lines = listener.account(report.function_lines);
  EXPECT_EQ(lines.produced, 6u);
  EXPECT_EQ(lines.lost, 0u);
  EXPECT_EQ(lines.duplicated, 0u);
  // Invocation 0's platform.report was still queued for the killed process (it is made after its
  // /next, delivered at the next thaw): it died with that subscription, as in a real reset.
  std::vector<std::string> reported;
  for (const auto& event : emutest::events_received(listener))
    if (emutest::type_of(event) == "platform.report")
      reported.emplace_back(event.at("record").as_object().at("requestId").as_string());
  EXPECT_EQ(reported, (std::vector<std::string>{report.invocations[1].request_id,
                                                report.invocations[2].request_id}));
  EXPECT_EQ(listener.events_of_type("platform.initStart"), 2u);
}

}  // namespace
}  // namespace ltf::emulator
