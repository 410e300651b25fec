#include "harness.hpp"

#include "ltf/fake_aws.hpp"
#include "ltf/log.hpp"
#include "support/await.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <gtest/gtest.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>

#include <cstdlib>
#include <filesystem>

namespace ltf::test {

namespace asio = boost::asio;

std::uint16_t free_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

Harness::Harness() : sink(io.get_executor()) {
  std::string pattern = (std::filesystem::temp_directory_path() / "ltf-spill-XXXXXX").string();
  spill_dir_ = ::mkdtemp(pattern.data()) ? pattern : "";
  EXPECT_FALSE(spill_dir_.empty());
  env["LTF_SPILL_DIR"] = spill_dir_;
  scenario.external_extensions = {kExtensionName};
  scenario.invocations = 3;
  scenario.log_lines_per_invocation = 5;
  EXPECT_FALSE(sink.listen());
  env["DISPATCH_POST_URI"] = sink.url();
  env["LTF_LISTENER_PORT"] = std::to_string(free_port());
  log::init(log::Level::warning);  // the forwarder in-process logs like the real one, quieter
}

Harness::~Harness() {
  if (fake_) fake_->stop();
  sink.stop();
  std::error_code ignored;
  std::filesystem::remove_all(spill_dir_, ignored);
}

// The extension as main.cpp starts it: prepare, listener and subscription, the dispatcher beside
// the lifecycle. Returns the exit code.
asio::awaitable<int> run_extension(asio::any_io_executor executor, const Environment& env) {
  auto prepared = co_await forwarder::prepare(executor, read_config(env), kExtensionName);
  if (auto* failed = std::get_if<ExitCode>(&prepared)) co_return *failed;
  auto stages = std::get<std::shared_ptr<forwarder::Stages>>(std::move(prepared));
  if (auto failed = co_await forwarder::listen_and_subscribe(stages)) co_return *failed;
  asio::co_spawn(executor, forwarder::dispatch(stages), asio::detached);
  co_return co_await forwarder::lifecycle(stages);
}

Outcome Harness::run() {
  fake_ = std::make_unique<emulator::FakeLambda>(io.get_executor(), scenario);
  EXPECT_FALSE(fake_->listen());
  env["AWS_LAMBDA_RUNTIME_API"] = fake_->runtime_api();

  Outcome outcome;
  auto* fake = fake_.get();
  fake->on_init_start = [&, fake] {
    fake->extension_launched(kExtensionName);
    asio::co_spawn(io, run_extension(io.get_executor(), env), [&, fake](std::exception_ptr error, int code) {
      EXPECT_FALSE(error) << "the forwarder threw";
      outcome.exit_code = error ? -1 : code;
      fake->extension_exited(kExtensionName, *outcome.exit_code);
    });
  };
  if (before_invocation) fake->on_invocation = before_invocation;
  outcome.report = run_until_done(io, fake->run(), std::chrono::seconds(240));
  // Let the forwarder finish what it does after Lambda is done with it (its final log line).
  run_until_done(io, [&]() -> asio::awaitable<void> {
    co_await fake->wait_until([&] { return outcome.exit_code.has_value(); },
                              std::chrono::milliseconds(5000));
  }());
  return outcome;
}

void ScopedProcessEnv::set(const std::string& name, const std::string& value) {
  const char* old = std::getenv(name.c_str());
  saved_.emplace(name, old ? std::optional<std::string>(old) : std::nullopt);
  ::setenv(name.c_str(), value.c_str(), 1);
}

ScopedProcessEnv::~ScopedProcessEnv() {
  for (const auto& [name, value] : saved_) {
    if (value) ::setenv(name.c_str(), value->c_str(), 1);
    else ::unsetenv(name.c_str());
  }
}

void give_role_credentials(ScopedProcessEnv& env, const std::string& region) {
  env.set("AWS_ACCESS_KEY_ID", std::string(emulator::kFakeAccessKeyId));
  env.set("AWS_SECRET_ACCESS_KEY", std::string(emulator::kFakeSecretAccessKey));
  env.set("AWS_SESSION_TOKEN", std::string(emulator::kFakeSessionToken));
  env.set("AWS_REGION", region);
}

}  // namespace ltf::test
