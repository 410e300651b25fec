// Intake: stamps and buffers accepted events, then carries out the intake policy's decision.
#include "intake.hpp"

namespace ltf::forwarder {

Intake::Intake(const telemetry::FunctionIdentity& function, pipeline::SandboxSequence& sequence,
               InvocationTracker& tracker, pipeline::Buffer& buffer,
               pipeline::Dispatcher& dispatcher, const pipeline::SpillStore* spill,
               pipeline::IntakePolicy policy, pipeline::RestoreWatch& restore,
               std::function<void()> on_restore)
    : function_(function),
      sequence_(sequence),
      tracker_(tracker),
      buffer_(buffer),
      dispatcher_(dispatcher),
      spill_(spill),
      policy_(policy),
      restore_(restore),
      on_restore_(std::move(on_restore)) {}

void Intake::stamp_and_buffer(std::vector<telemetry::Event>&& events) {
  sequence_.stamp(events);
  telemetry::assign_event_ids(function_, events);
  buffer_.push(std::move(events));
}

void Intake::accept(std::vector<telemetry::Event>&& events) {
  received_ += events.size();
  // The restore's own events already belong to the new environment: renew before numbering.
  for (const auto& event : events)
    if (restore_.on_event(event.type)) on_restore_();
  tracker_.observe(events);
  stamp_and_buffer(std::move(events));
  const pipeline::IntakePolicy::State state{dispatcher_.retry_policy().failing(), spill_ != nullptr,
                                            buffer_.bytes(), dispatcher_.busy()};
  switch (policy_.on_events(state)) {
    case pipeline::IntakeAction::keep: break;
    case pipeline::IntakeAction::spill_now: buffer_.spill_everything(); break;
    case pipeline::IntakeAction::flush_in_background: dispatcher_.request_flush(); break;
  }
}

void Intake::add_own(telemetry::Event event) {
  std::vector<telemetry::Event> events;
  events.push_back(std::move(event));
  stamp_and_buffer(std::move(events));
}

}  // namespace ltf::forwarder
