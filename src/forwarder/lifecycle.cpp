// The lifecycle coroutine: the /event/next loop. At an INVOKE it carries out the flush policy's
// decision; at SHUTDOWN it hands over to the drain (shutdown_drain.cpp) and stops the others.
#include "lifecycle.hpp"

#include "counters.hpp"
#include "stages.hpp"

#include "ltf/defaults.hpp"
#include "ltf/forwarder.hpp"
#include "ltf/log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace ltf::forwarder {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using Clock = std::chrono::steady_clock;

Clock::time_point monotonic_deadline(std::int64_t deadline_ms, Milliseconds margin) {
  using namespace std::chrono;
  const auto now_ms = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  return Clock::now() + milliseconds(deadline_ms - now_ms) - margin;
}

asio::awaitable<void> sleep_until(Clock::time_point when) {
  asio::steady_timer timer(co_await asio::this_coro::executor, when);
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

asio::awaitable<pipeline::FlushResult> flush_until(Stages& stages, Clock::time_point limit) {
  auto outcome = co_await (stages.dispatcher.flush() || sleep_until(limit));
  if (outcome.index() == 0) co_return std::get<0>(outcome);
  co_return pipeline::FlushResult::failed;  // out of time; the send, if any, goes on
}

void add_counters(Stages& stages, std::string_view reason) {
  stages.intake.add_own(
      counters_event(collect_counters(stages), reason, std::chrono::system_clock::now()));
}

namespace {

asio::awaitable<void> on_invoke(Stages& stages, pipeline::FlushPolicy& policy,
                                CountersSchedule& counters, const lambda::InvokeEvent& invoke) {
  stages.tracker.invoked(invoke.request_id);
  const auto now = Clock::now();
  // A restore without its events yet (or without platform events subscribed) shows in the clocks.
  if (stages.restore_watch.on_clocks(std::chrono::system_clock::now(), now)) renew_after_restore(stages);
  if (counters.due(now)) add_counters(stages, "periodic");
  const auto limit = monotonic_deadline(invoke.deadline_ms, stages.config.deadline_margin);
  const auto behind = stages.tracker.behind();
  auto action =
      policy.on_invoke(now, stages.buffer.size(), behind ? stages.tracker.lagging_events() : 0);
  if (action == pipeline::InvokeAction::catch_up) {
    // Bounded by the flush budget: a runtimeDone Lambda dropped must not cost every invocation.
    co_await stages.tracker.wait_runtime_done(*behind,
                                              std::min(limit, now + stages.config.flush_budget));
    action = policy.after_catching_up(Clock::now(), stages.buffer.size());
  }
  if (action == pipeline::InvokeAction::wait_for_runtime_done) {
    if (!co_await stages.tracker.wait_runtime_done(invoke.request_id, limit))
      LTF_LOG(warning) << "platform.runtimeDone for " << invoke.request_id
                       << " did not arrive before the invocation's deadline";
    action = policy.after_runtime_done(stages.buffer.size());
  }
  switch (action) {
    case pipeline::InvokeAction::flush_in_background: stages.dispatcher.request_flush(); break;
    case pipeline::InvokeAction::flush_then_next:
      co_await flush_until(stages, std::min(limit, Clock::now() + stages.config.flush_budget));
      break;
    case pipeline::InvokeAction::next_at_once:
    case pipeline::InvokeAction::wait_for_runtime_done:
    case pipeline::InvokeAction::catch_up: break;
  }
}

pipeline::FlushPolicy::Options flush_options(const Stages& stages) {
  pipeline::FlushPolicy::Options options;
  options.min_batch_size = stages.config.dispatch_min_batch_size;
  options.strategy = stages.config.flush_strategy;
  options.interval = stages.config.flush_interval;
  options.busy_below = stages.config.busy_below;
  options.runtime_done_expected = stages.runtime_done_expected;
  options.catch_up_events = defaults::catch_up_batches * std::uint64_t{stages.config.telemetry_max_items};
  return options;
}

void stop(Stages& stages) {
  stages.stopping = true;
  stages.listener.stop();
  stages.dispatcher.stop();
}

// Managed Instances: no INVOKE to flush at, no freeze, invocations side by side. A timer asks the
// flush policy every interval instead (a full batch still goes at once, by the intake policy), so
// a line reaches the destination at most about LTF_FLUSH_INTERVAL_MS after Lambda sent it.
asio::awaitable<void> flush_by_time(std::shared_ptr<Stages> stages, std::shared_ptr<pipeline::FlushPolicy> policy,
                                    std::shared_ptr<CountersSchedule> counters) {
  while (!stages->stopping) {
    co_await sleep_until(Clock::now() + stages->config.flush_interval);
    if (stages->stopping) break;
    const auto now = Clock::now();
    if (counters->due(now)) add_counters(*stages, "periodic");
    if (policy->on_tick(now, stages->buffer.size()) == pipeline::InvokeAction::flush_in_background)
      stages->dispatcher.request_flush();
  }
}

}  // namespace

bool CountersSchedule::due(Clock::time_point now) {
  if (interval_.count() == 0 || now - last_ < interval_) return false;
  last_ = now;
  return true;
}

asio::awaitable<ExitCode> lifecycle(std::shared_ptr<Stages> stages) {
  auto policy = std::make_shared<pipeline::FlushPolicy>(flush_options(*stages));
  auto counters = std::make_shared<CountersSchedule>(stages->config.counters_interval, Clock::now());
  if (stages->config.lambda_kind == LambdaKind::managed_instances)
    asio::co_spawn(stages->executor, flush_by_time(stages, policy, counters), asio::detached);
  int unanswered = 0;
  for (;;) {
    auto next = co_await stages->client->next();
    if (auto* error = std::get_if<lambda::ApiError>(&next);
        error && error->status == 0 && ++unanswered <= defaults::next_retries) {
      // No answer at all: the long-poll's connection was cut (a SnapStart restore does that).
      // Lambda still has our registration: ask again on a new connection.
      LTF_LOG(warning) << "Extensions API /event/next went unanswered (" << error->describe()
                       << "): asking again";
      continue;
    }
    if (auto* error = std::get_if<lambda::ApiError>(&next)) {
      LTF_LOG(error) << "Extensions API /event/next failed: " << error->describe();
      stop(*stages);
      co_return exit_lambda_error;
    }
    unanswered = 0;
    auto& event = std::get<lambda::LifecycleEvent>(next);
    if (auto* invoke = std::get_if<lambda::InvokeEvent>(&event)) {
      co_await on_invoke(*stages, *policy, *counters, *invoke);
      continue;
    }
    co_await drain_at_shutdown(*stages, std::get<lambda::ShutdownEvent>(event));
    stop(*stages);
    co_return exit_ok;
  }
}

}  // namespace ltf::forwarder
