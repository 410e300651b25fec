#pragma once
// Runs telemetry-forwarder in-process on the in-process fake Lambda, both as coroutines on one
// io_context, delivering to a RecordingSink: the arrangement every integration test starts from.

#include "ltf/config.hpp"
#include "ltf/emulator.hpp"
#include "ltf/forwarder.hpp"

#include <boost/asio/io_context.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>

namespace ltf::test {

inline constexpr const char* kExtensionName = "telemetry-forwarder";

// A TCP port that was free a moment ago, for the forwarder's listener.
std::uint16_t free_port();

struct Outcome {
  emulator::Report report;
  std::optional<int> exit_code;  // nullopt: the forwarder had not returned when Lambda finished
};

class Harness {
 public:
  Harness();
  ~Harness();

  boost::asio::io_context io;
  emulator::Scenario scenario;
  emulator::RecordingSink sink;
  Environment env;  // completed with AWS_LAMBDA_RUNTIME_API when run() starts
  // Called before invocation `index` starts (after the emulator's own bookkeeping).
  std::function<void(int index)> before_invocation;

  // Runs Init -> scenario.invocations -> Shutdown with the forwarder in-process.
  Outcome run();

  emulator::FakeLambda* fake() { return fake_.get(); }
  // This sandbox's /tmp for spilled events (LTF_SPILL_DIR), removed with the harness.
  const std::string& spill_dir() const { return spill_dir_; }

 private:
  std::string spill_dir_;
  std::unique_ptr<emulator::FakeLambda> fake_;
};

// Sets process environment variables for one test and puts the old values back: the AWS
// credentials providers read the process environment, not the forwarder's Environment map.
class ScopedProcessEnv {
 public:
  void set(const std::string& name, const std::string& value);
  ~ScopedProcessEnv();

 private:
  std::map<std::string, std::optional<std::string>> saved_;
};

// The function role's (fake) credentials, as Lambda puts them in the environment; the fake AWS
// services expect them.
void give_role_credentials(ScopedProcessEnv& env, const std::string& region);

}  // namespace ltf::test
