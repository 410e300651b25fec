#pragma once
// fake-lambda's command line (cli_options.cpp), the environment its extensions get
// (cli_environment.cpp) and what its run ends with: the exit status and the printed summary
// (cli_outcome.cpp). fake_lambda_main.cpp only wires them to the emulator.

#include "ltf/emulator.hpp"
#include "ltf/fake_aws.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ltf::emulator::cli {

// The exit statuses, most serious first (a run gets the first that applies); usage() lists them.
enum Exit : int {
  completed = 0,
  usage_error = 1,
  emulator_error = 2,
  init_failed = 3,
  extension_failed = 4,
  not_subscribed = 5,  // an extension never subscribed to the Telemetry API
  lines_lost = 6,      // function lines never reached the sink, or the platform dropped some
};

// A command line that cannot run; what() says why, in the words of the flag.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct CommandLine {
  enum class Action { run, help, version };
  Action action = Action::run;
  Scenario scenario;
  std::vector<std::string> paths;
  std::vector<std::string> env;
  bool verbose = false;
  bool sink = false;
  std::uint16_t sink_port = 0;  // 0: any free port
  std::optional<std::string> otlp_protocol;  // --otlp: "protobuf" or "json"
  std::optional<std::pair<int, int>> sink_down;  // 1-based, inclusive
  double sink_fail_rate = 0;
  std::optional<SinkFault> sink_fault;
  std::optional<std::pair<int, int>> sink_fault_during;  // 1-based, inclusive
  std::optional<long long> kill_extension_at;            // 1-based
  std::uint64_t seed = 1;
  std::uint16_t port = 0;
  std::string report_file;
  bool opensearch = false;
  std::optional<std::pair<std::string, std::string>> opensearch_login;  // --opensearch-auth
  double opensearch_429_rate = 0;
  std::vector<std::pair<std::string, std::string>> secrets;  // --secret: name, SecretString
  struct TimedHeader {  // --sink-require-header [N:]NAME=VALUE
    int from = 1;       // 1-based invocation
    std::string name;
    std::string value;
  };
  std::vector<TimedHeader> sink_required_headers;
  struct SecretRotation {  // --rotate-secret N:ID=JSON
    int at = 1;
    std::string id;
    std::string secret_string;
  };
  std::vector<SecretRotation> secret_rotations;
  std::optional<int> concurrency;       // --concurrency, with --managed-instances only
  std::vector<int> rss_at{10, 50, 100};  // --rss-at: percentages of the run
};

const char* usage();
// The arguments after the program name. Throws UsageError.
CommandLine parse(const std::vector<std::string>& args);

// The value --env gives `key`, if any (the last one wins, as in child_environment()).
std::optional<std::string> env_option(const CommandLine& command, const std::string& key);
// What the fake Secrets Manager expects: the credentials and region the extensions are given.
FakeSecretsManager::Options fake_secrets_options(const CommandLine& command);
// The parent's environment, then Lambda's variables, then the caller's extras (later wins).
std::vector<std::string> child_environment(const CommandLine& command,
                                           const std::string& runtime_api,
                                           const std::string& sink_url,
                                           const FakeSecretsManager* secrets);

// An extension's output line as --verbose echoes it: "[name] line", unless the extension already
// starts its lines with its own "[name]" (ours does), which is not repeated.
std::string echo_line(const std::string& name, const std::string& line);

// The exit status of a finished run, and the sentence that explains it (empty for `completed`).
std::pair<Exit, std::string> outcome(const Summary& summary);

}  // namespace ltf::emulator::cli
