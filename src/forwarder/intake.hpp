#pragma once
// The intake stage: what happens to events the listener accepted, in order: numbered (sandbox
// sequence), given their ids, noted by the invocation tracker, buffered; then the intake policy
// says whether they go to disk at once or a background flush starts. Also where the extension's
// own events (its counters) join the stream, the same way.

#include "invocation_tracker.hpp"

#include "ltf/pipeline.hpp"
#include "ltf/policies.hpp"
#include "ltf/sequence.hpp"
#include "ltf/spill_store.hpp"
#include "ltf/telemetry.hpp"

#include <cstdint>
#include <functional>
#include <vector>

namespace ltf::forwarder {

class Intake {
 public:
  Intake(const telemetry::FunctionIdentity& function, pipeline::SandboxSequence& sequence,
         InvocationTracker& tracker, pipeline::Buffer& buffer, pipeline::Dispatcher& dispatcher,
         const pipeline::SpillStore* spill, pipeline::IntakePolicy policy,
         pipeline::RestoreWatch& restore, std::function<void()> on_restore);

  // The events of one accepted POST.
  void accept(std::vector<telemetry::Event>&& events);
  // One event of our own (the counters): numbered, given an id and buffered like any other.
  void add_own(telemetry::Event event);

  std::uint64_t received() const { return received_; }

 private:
  void stamp_and_buffer(std::vector<telemetry::Event>&& events);

  const telemetry::FunctionIdentity& function_;
  pipeline::SandboxSequence& sequence_;
  InvocationTracker& tracker_;
  pipeline::Buffer& buffer_;
  pipeline::Dispatcher& dispatcher_;
  const pipeline::SpillStore* spill_;
  pipeline::IntakePolicy policy_;
  pipeline::RestoreWatch& restore_;
  std::function<void()> on_restore_;  // a SnapStart restore shows: a new identity first
  std::uint64_t received_ = 0;
};

}  // namespace ltf::forwarder
