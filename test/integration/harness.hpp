#pragma once
// Runs telemetry-forwarder in-process on the in-process fake Lambda, both as coroutines on one
// io_context, delivering to a RecordingSink: the arrangement every integration test starts from.

#include "ltf/config.hpp"
#include "ltf/emulator.hpp"
#include "ltf/forwarder.hpp"

#include <boost/asio/io_context.hpp>

#include <functional>
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
  // Called at each SnapStart restore, before the restore's events (scenario.snapstart_restores).
  std::function<void()> on_restore;

  // Runs Init -> scenario.invocations -> Shutdown with the forwarder in-process.
  Outcome run();

  emulator::FakeLambda* fake() { return fake_.get(); }
  // This sandbox's /tmp for spilled events (LTF_SPILL_DIR), removed with the harness.
  const std::string& spill_dir() const { return spill_dir_; }

 private:
  std::string spill_dir_;
  std::unique_ptr<emulator::FakeLambda> fake_;
};

}  // namespace ltf::test
