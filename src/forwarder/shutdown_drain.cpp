// The SHUTDOWN drain: the last report, the counters, every flush the deadline allows (the drain
// policy decides flush, pause or stop), then whatever is left goes to disk for a successor.
#include "lifecycle.hpp"
#include "stages.hpp"

#include "ltf/defaults.hpp"
#include "ltf/log.hpp"

namespace ltf::forwarder {

namespace asio = boost::asio;

namespace {

// Lambda keeps /tmp across resets: a successor in this sandbox can still send what we could not.
std::uint64_t keep_the_rest_on_disk(Stages& stages) {
  if (!stages.spill) return 0;
  stages.buffer.spill_everything();
  // A request still unanswered holds its batch outside the buffer. If it came from memory, a copy
  // goes to disk too: should the destination have it after all, the successor's resend carries
  // the same event ids.
  if (const auto* batch = stages.dispatcher.in_flight(); batch && !batch->spilled)
    stages.spill->append(batch->events);
  return stages.spill->events();
}

void log_summary(const Stages& stages, const lambda::ShutdownEvent& shutdown,
                 std::uint64_t left_on_disk) {
  const auto& d = stages.dispatcher.stats();
  const auto& l = stages.listener.stats();
  LTF_LOG(info) << "shutdown (" << shutdown.reason << "): received " << stages.intake.received()
                << " events, delivered " << d.delivered_events << " in " << d.requests
                << " requests (" << d.failed_requests << " failed), rejected by the sink "
                << d.rejected_events << ", dropped over the memory budget "
                << stages.buffer.stats().dropped_events << ", retried " << d.retried_events
                << ", undelivered " << stages.buffer.size() << " (" << left_on_disk
                << " kept on disk); refused POSTs: " << l.malformed_posts << " malformed, "
                << l.oversized_posts << " oversized";
}

}  // namespace

asio::awaitable<void> drain_at_shutdown(Stages& stages, const lambda::ShutdownEvent& shutdown) {
  pipeline::DrainPolicy policy(monotonic_deadline(shutdown.deadline_ms, stages.config.deadline_margin));
  stages.dispatcher.ignore_backoff();  // no later invocation will retry: use what time is left
  // The last invocation's platform.report is only produced after we called /next: give it a
  // short while to arrive, then send everything.
  if (stages.runtime_done_expected)
    co_await stages.tracker.wait_reports(
        Clock::now() + (policy.limit() - Clock::now()) / defaults::shutdown_report_wait_divisor);
  add_counters(stages, "shutdown");
  for (;;) {
    const auto step = policy.next(Clock::now(), stages.buffer.size(), stages.dispatcher.busy());
    if (step.kind == pipeline::DrainStep::Kind::stop) break;
    if (step.kind == pipeline::DrainStep::Kind::pause) {
      co_await sleep_until(step.until);
      policy.paused();
      continue;
    }
    policy.flushed(co_await flush_until(stages, policy.limit()) == pipeline::FlushResult::drained);
  }
  log_summary(stages, shutdown, keep_the_rest_on_disk(stages));
}

}  // namespace ltf::forwarder
