// --version and --help, answered before the program looks at Lambda's environment.
#include "ltf/version.hpp"

#include <cstdio>
#include <string>

namespace ltf {

std::optional<int> print_version_or_help(int argc, char** argv, std::string_view program,
                                         std::string_view help) {
  if (argc < 2 || argv[1] == nullptr) return std::nullopt;
  const std::string_view option = argv[1];
  std::string text;
  if (option == "--version" || option == "-V") {
    text.append(program).append(" ").append(version()).append("\n");
  } else if (option == "--help" || option == "-h") {
    text.append(help);
    if (!text.empty() && text.back() != '\n') text.push_back('\n');
  } else {
    return std::nullopt;
  }
  std::fwrite(text.data(), 1, text.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}

std::string_view forwarder_help() {
  return R"(usage: telemetry-forwarder [--version | --help]

An AWS Lambda extension: Lambda starts it from /opt/extensions/telemetry-forwarder (layer or
container image) with no arguments. It registers with the Extensions API
(AWS_LAMBDA_RUNTIME_API), subscribes to the Telemetry API and forwards platform events, function
logs and extension logs to an HTTP endpoint or to OpenSearch.

Configuration is read from the environment, among them:
  DISPATCH_POST_URI        HTTP(S) endpoint that receives JSON arrays of events
  URL                      OpenSearch endpoint (with AUTH_SECRET, PLATFORM_INDEX, FUNCTION_INDEX,
                           EXTENSION_INDEX)
  LTF_FLUSH_STRATEGY       auto | end-of-invocation | periodic (default auto)
  LTF_LOG_LEVEL            trace | debug | info | warn | error | off (default info)
Every setting, its default and range: docs/configuration.md.
To run it locally without Lambda: fake-lambda --extension ./telemetry-forwarder --sink

  --version, -V   print "telemetry-forwarder VERSION" and exit
  --help, -h      print this text and exit
)";
}

}  // namespace ltf
