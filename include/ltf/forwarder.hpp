#pragma once
// The extension itself: registers, listens, subscribes, then follows Lambda's lifecycle, flushing
// each invocation's telemetry before asking for the next event. A library so that tests can run
// it in-process, as a coroutine on their own io_context, next to the fake Lambda.

#include "ltf/config.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <string>

namespace ltf {

// Exit codes of the process (and results of Forwarder::run()).
enum ExitCode : int {
  exit_ok = 0,             // SHUTDOWN handled
  exit_init_failed = 1,    // bad configuration, listener or subscription: reported to Lambda
  exit_lambda_error = 2,   // the Extensions API refused us or went away
};

class Forwarder {
 public:
  // `name` must be the executable's file name: Lambda identifies external extensions by it.
  Forwarder(boost::asio::any_io_executor executor, Environment environment, std::string name);

  // Runs the whole life of the extension and returns its exit code.
  boost::asio::awaitable<int> run();

 private:
  boost::asio::any_io_executor executor_;
  Environment environment_;
  std::string name_;
};

}  // namespace ltf
