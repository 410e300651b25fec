#pragma once
// The extension's stages, as main.cpp starts them (DESIGN.md's diagram):
//
//   prepare()          register with Lambda, check the configuration, open the spill store,
//                      make the sink: the parts the three coroutines share (Stages)
//   listen_and_subscribe()   the listener, up before the subscription that points Lambda at it
//   Stages::dispatcher.run() the dispatcher coroutine
//   lifecycle()        the /event/next loop: INVOKE (flush policy), SHUTDOWN (the drain)
//
// A library, so that tests run the same stages in-process on their own io_context next to the
// fake Lambda.

#include "ltf/config.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <memory>
#include <optional>
#include <string>
#include <variant>

namespace ltf {

// Exit codes of the process.
enum ExitCode : int {
  exit_ok = 0,             // SHUTDOWN handled
  exit_init_failed = 1,    // bad configuration, listener or subscription: reported to Lambda
  exit_lambda_error = 2,   // the Extensions API refused us or went away
};

namespace forwarder {

struct Stages;  // src/forwarder/stages.hpp: the parts the coroutines share, nothing more

// Registers as `name` (Lambda identifies an external extension by its file name), then reports a
// bad configuration through /extension/init/error. Returns the stages, or the exit code.
boost::asio::awaitable<std::variant<std::shared_ptr<Stages>, ExitCode>> prepare(
    boost::asio::any_io_executor executor, LoadedConfig loaded, std::string name);

// Starts the listener and subscribes to the Telemetry API; from here on Lambda's POSTs are served.
// Returns an exit code when either fails (reported to Lambda as an init error).
boost::asio::awaitable<std::optional<ExitCode>> listen_and_subscribe(std::shared_ptr<Stages> stages);

// The dispatcher coroutine: sends what the lifecycle and the intake ask for, until stopped.
boost::asio::awaitable<void> dispatch(std::shared_ptr<Stages> stages);

// The lifecycle coroutine: serves INVOKE and SHUTDOWN until SHUTDOWN is handled; then stops the
// listener and the dispatcher and returns the exit code.
boost::asio::awaitable<ExitCode> lifecycle(std::shared_ptr<Stages> stages);

}  // namespace forwarder
}  // namespace ltf
