// telemetry-forwarder: wiring only. Config comes from the environment, the work happens in
// ltf::Forwarder, on one io_context and one thread.
#include "ltf/forwarder.hpp"
#include "ltf/log.hpp"
#include "ltf/version.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <exception>
#include <filesystem>

int main(int argc, char** argv) {
  const auto help = ltf::forwarder_help();
  if (auto code = ltf::print_version_or_help(argc, argv, "telemetry-forwarder", help)) return *code;
  auto environment = ltf::process_environment();
  auto level = environment.contains("LTF_LOG_LEVEL") ? environment["LTF_LOG_LEVEL"] : "info";
  // An unreadable level logs at info; the configuration check reports it to Lambda.
  std::optional<ltf::log::Level> min_level;
  if (level != "off") min_level = ltf::log::parse_level(level).value_or(ltf::log::Level::info);
  ltf::log::init(min_level);

  // Lambda identifies an external extension by its file name.
  const std::string name =
      argc > 0 ? std::filesystem::path(argv[0]).filename().string() : "telemetry-forwarder";

  boost::asio::io_context io(1);
  int exit_code = ltf::exit_lambda_error;
  ltf::Forwarder forwarder(io.get_executor(), std::move(environment), name);
  boost::asio::co_spawn(io, forwarder.run(), [&](std::exception_ptr error, int code) {
    exit_code = code;
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
