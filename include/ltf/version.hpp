#pragma once
// The one version of this project, from CMake's project(): what --version prints, the start log
// line, the User-Agent, the counters event and fake-lambda's report all say the same.
#include <optional>
#include <string_view>

namespace ltf {

// "0.2.0": semantic version of this build.
std::string_view version();

// "telemetry-forwarder/0.2.0": the User-Agent of every request the extension sends.
std::string_view user_agent();

// Answers `--version` (or `-V`) and `--help` (or `-h`) as the first argument, before anything
// reads the environment: prints "PROGRAM VERSION" or HELP to stdout and returns the exit code (0).
// Any other command line returns nullopt and the program goes on as usual (Lambda starts an
// extension without arguments).
std::optional<int> print_version_or_help(int argc, char** argv, std::string_view program,
                                         std::string_view help);

// telemetry-forwarder's --help text.
std::string_view forwarder_help();

}  // namespace ltf
