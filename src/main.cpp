// telemetry-forwarder: DESIGN.md's diagram as code. The configuration, one io_context on one
// thread, and the three coroutines side by side: the listener (Lambda's Telemetry API POSTs),
// the dispatcher (to the destination) and the lifecycle (the /event/next loop).
#include "ltf/config.hpp"
#include "ltf/forwarder.hpp"
#include "ltf/log.hpp"
#include "ltf/version.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <exception>
#include <filesystem>

namespace asio = boost::asio;
namespace forwarder = ltf::forwarder;

namespace {

std::optional<ltf::log::Level> log_level(ltf::LogLevel level) {
  using L = ltf::log::Level;
  switch (level) {
    case ltf::LogLevel::trace: return L::trace;
    case ltf::LogLevel::debug: return L::debug;
    case ltf::LogLevel::info: return L::info;
    case ltf::LogLevel::warning: return L::warning;
    case ltf::LogLevel::error: return L::error;
    case ltf::LogLevel::off: return std::nullopt;
  }
  return L::info;
}

}  // namespace

int main(int argc, char** argv) {
  const auto help = ltf::forwarder_help();
  if (auto code = ltf::print_version_or_help(argc, argv, "telemetry-forwarder", help)) return *code;
  // Configuration: every variable read once; bad values are reported to Lambda after registering.
  auto loaded = ltf::read_config(ltf::process_environment());
  ltf::log::init(log_level(loaded.config.log_level));
  // Lambda identifies an external extension by its file name.
  const std::string name =
      argc > 0 ? std::filesystem::path(argv[0]).filename().string() : "telemetry-forwarder";

  asio::io_context io(1);
  int exit_code = ltf::exit_lambda_error;
  auto extension = [&]() -> asio::awaitable<void> {
    auto prepared = co_await forwarder::prepare(io.get_executor(), std::move(loaded), name);
    if (auto* failed = std::get_if<ltf::ExitCode>(&prepared)) {
      exit_code = *failed;
      co_return;
    }
    auto stages = std::get<std::shared_ptr<forwarder::Stages>>(std::move(prepared));
    // The listener first: subscribing points Lambda at it.
    if (auto failed = co_await forwarder::listen_and_subscribe(stages)) {
      exit_code = *failed;
      co_return;
    }
    asio::co_spawn(io, forwarder::dispatch(stages), asio::detached);
    exit_code = co_await forwarder::lifecycle(stages);
  };
  asio::co_spawn(io, extension(), [&](std::exception_ptr error) {
    if (error) {
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        LTF_LOG(fatal) << "unexpected failure: " << e.what();
      }
      exit_code = ltf::exit_lambda_error;
    }
    // Whatever is still in flight (a send to a hung sink) must not keep us past the deadline.
    io.stop();
  });
  io.run();
  return exit_code;
}
