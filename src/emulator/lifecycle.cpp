// The story of one execution environment: Init, the invocations with a freeze between them, and
// Shutdown (spec section 2; Shutdown itself in shutdown.cpp). Timeouts and crashes end the story
// early with a reset-style Shutdown.
#include "sandbox.hpp"

#include <boost/json/value_from.hpp>

#include <algorithm>
#include <cmath>
#include <utility>

namespace ltf::emulator {

namespace {

constexpr const char* sandbox_timeout = "Sandbox.Timeout";

json::value events_of(const Extension& extension) {
  json::array events;
  if (extension.wants_invoke) events.emplace_back("INVOKE");
  if (extension.wants_shutdown) events.emplace_back("SHUTDOWN");
  return events;
}

json::object span(const std::string& name, WallClock::time_point start, double duration_ms) {
  return {{"name", name}, {"start", iso_time(start)}, {"durationMs", duration_ms}};
}

}  // namespace

void FakeLambda::Sandbox::freeze() {
  if (!scenario.freeze || frozen) return;
  frozen = true;
  phase = Phase::frozen;
  call(owner ? owner->on_freeze : std::function<void()>{});
  notify();
}

void FakeLambda::Sandbox::thaw() {
  if (!frozen) return;
  frozen = false;
  call(owner ? owner->on_thaw : std::function<void()>{});
  notify();
}

void FakeLambda::Sandbox::finish() {
  phase = Phase::done;
  delivery_stopped = true;
  notify();
}

asio::awaitable<void> FakeLambda::Sandbox::frozen_for(milliseconds idle) {
  if (idle.count() <= 0) co_return;
  co_await changed->wait_until([&] { return stopping || fatal_error.has_value(); },
                               Clock::now() + idle);
}

asio::awaitable<Report> FakeLambda::Sandbox::run() {
  auto self = shared_from_this();
  if (phase != Phase::created) throw std::logic_error("FakeLambda::run() may be called once");
  run_started = Clock::now();
  run_started_wall = WallClock::now();
  phase = Phase::init;
  for (auto& extension : extensions)
    if (!extension->launched) extension->launched_at = run_started;
  begin_init();

  if (co_await init_phase(run_started, true)) {
    if (scenario.managed_instances) {
      co_await managed_invocations();  // concurrent, never frozen: managed_instances.cpp
    } else {
      for (int i = 0; i < scenario.invocations && !stopping && !fatal_error; ++i) {
        co_await frozen_for(i == 0 ? scenario.idle_before_first_invocation
                                   : scenario.idle_between_invocations);
        if (restore_due(i) && !co_await restore_phase()) break;
        if (stopping || fatal_error || !co_await invoke_phase(i)) break;
        if (scenario.kill_extensions_after == i && !co_await restart_extensions(i)) break;
      }
    }
    if (!stopping && !fatal_error) co_await frozen_for(scenario.idle_before_shutdown);
  }
  if (!stopping) {
    const std::string reason =
        !fatal_error ? "spindown" : *fatal_error == sandbox_timeout ? "timeout" : "failure";
    co_await shutdown_phase(reason);
  }
  finish();
  co_return report;
}

void FakeLambda::Sandbox::begin_init() {
  emit(platform("platform.initStart", {{"initializationType", scenario.initialization_type},
                                       {"phase", "init"},
                                       {"runtimeVersion", "fake-lambda.v1"},
                                       {"runtimeVersionArn", "arn:aws:lambda:" + scenario.region +
                                                                 "::runtime:fake-lambda"},
                                       {"functionName", scenario.function_name},
                                       {"functionVersion", scenario.function_version},
                                       {"instanceId", instance_id},
                                       {"instanceMaxMemory", scenario.memory_mb}}));
  call(owner ? owner->on_init_start : std::function<void()>{});
}

// `first`: the sandbox's Init, whose outcome is the report's init_*; otherwise Init again after
// a reset, which only marks the report when it fails.
asio::awaitable<bool> FakeLambda::Sandbox::init_phase(Clock::time_point started, bool first) {
  const auto deadline = started + scenario.init_timeout;
  auto ended = [&] { return stopping || fatal_error.has_value(); };
  auto externals_registered = [&] {
    for (const auto& e : extensions)
      if (e->external && !e->registered) return false;
    return true;
  };
  auto everyone_in_next = [&] {
    for (const auto& e : extensions)
      if (e->registered && !e->ready) return false;
    return true;
  };

  // The runtime starts only once every external extension registered.
  bool in_time = co_await changed->wait_until([&] { return ended() || externals_registered(); },
                                              deadline);
  if (in_time && !ended()) {
    co_await changed->wait_until(
        ended, std::min(deadline, Clock::now() + scenario.runtime_init_duration));
    in_time = Clock::now() < deadline;
    if (in_time && !ended()) {
      // The runtime asks for its first invocation: internal extensions can no longer register.
      registration_closed = true;
      in_time = co_await changed->wait_until([&] { return ended() || everyone_in_next(); },
                                             deadline);
    }
  }
  if (stopping) co_return false;
  if (!in_time && !fatal_error)
    fail(sandbox_timeout, "Init did not complete within " +
                              std::to_string(scenario.init_timeout.count()) + " ms");

  // Like the RIE, the runtime's and the extensions' init events are emitted together at the end
  // of Init, which gives the documented order whatever the timing.
  const std::string status =
      !fatal_error ? "success" : *fatal_error == sandbox_timeout ? "timeout" : "error";
  auto with_error = [&](json::object record) {
    if (status == "error") record["errorType"] = *fatal_error;
    return record;
  };
  emit(platform("platform.initRuntimeDone",
                with_error({{"initializationType", scenario.initialization_type},
                            {"phase", "init"},
                            {"status", status}})));
  for (const auto& e : extensions) {
    if (!e->registered) continue;
    json::object record{{"name", e->name},
                        {"state", e->failed ? "InitError" : e->ready ? "Ready" : "Registered"},
                        {"events", events_of(*e)}};
    if (e->failed) record["errorType"] = report_of(*e).error_type;
    emit(platform("platform.extension", std::move(record)));
  }
  const auto duration = Clock::now() - started;
  emit(platform("platform.initReport", with_error({{"initializationType", scenario.initialization_type},
                                                   {"phase", "init"},
                                                   {"status", status},
                                                   {"metrics", {{"durationMs", to_ms(duration)}}}})));
  if (first || fatal_error) report.init_status = status;
  if (fatal_error) report.init_error_type = *fatal_error;
  if (first) report.init_duration = std::chrono::duration_cast<Micros>(duration);
  registration_closed = true;
  subscriptions_closed = true;
  notify();
  if (fatal_error) co_return false;
  freeze();
  co_return true;
}

// Lambda's answer to a crashed extension: the sandbox is reset and the next invocation begins
// with Init again. Every extension process is killed after invocation `after_index` and, once
// each one's end was reported, replaced by a fresh, unregistered one that on_init_start
// relaunches; Init then waits for them as at the start. What they kept in /tmp survives, as
// Lambda keeps /tmp across resets. False when the sandbox cannot go on.
asio::awaitable<bool> FakeLambda::Sandbox::restart_extensions(int after_index) {
  for (auto& e : extensions)
    if (e->alive()) kill(*e);
  // A process must be gone before its successor starts: both would own its port and its files.
  auto all_ended = [&] {
    for (const auto& e : extensions)
      if ((e->launched || e->registered) && !e->exited) return false;
    return true;
  };
  const bool ended =
      co_await changed->wait_until([&] { return stopping || all_ended(); },
                                   Clock::now() + scenario.init_timeout);
  if (stopping) co_return false;
  if (!ended) {
    fail("Extension.Crash", "after invocation " + std::to_string(after_index) +
                                " an extension did not end when killed: cannot restart it");
    co_return false;
  }
  for (auto& old : extensions) {
    auto fresh = std::make_unique<Extension>();
    fresh->name = old->name;
    fresh->external = old->external;
    fresh->report_index = old->report_index;
    fresh->launched_at = Clock::now();
    auto& entry = report_of(*fresh);
    ++entry.restarts;  // the kill is counted here; killed, exited... describe the new process
    entry.killed = false;
    entry.exited = false;
    entry.exit_status.reset();
    retired_extensions.push_back(std::exchange(old, std::move(fresh)));
  }
  init_events.clear();  // a new subscriber is replayed this Init's events, not the first one's
  registration_closed = false;
  subscriptions_closed = false;
  thaw();
  phase = Phase::init;
  const auto started = Clock::now();
  begin_init();
  co_return co_await init_phase(started, false);
}

// One invocation: the platform starts it, the runtime and the INVOKE-subscribers work, and it
// ends when all of them are back in /next (or at deadlineMs). False when the sandbox must reset.
asio::awaitable<bool> FakeLambda::Sandbox::invoke_phase(int index) {
  if (owner && owner->on_invocation) owner->on_invocation(index);
  thaw();
  phase = Phase::invoke;
  begin_invoke(index);
  co_await fake_runtime();
  if (stopping) co_return false;
  const bool in_time = co_await extensions_finish();
  if (stopping) co_return false;
  end_invoke(in_time);
  if (fatal_error) co_return false;
  freeze();
  co_return true;
}

json::object FakeLambda::Sandbox::traced(json::object record) const {
  return traced_as(std::move(record), invoke ? &*invoke : nullptr);
}

json::object FakeLambda::Sandbox::traced_as(json::object record, const CurrentInvoke* current) const {
  if (current && current->tracing) record["tracing"] = *current->tracing;
  if (!scenario.tenant_id.empty()) record["tenantId"] = scenario.tenant_id;
  return record;
}

CurrentInvoke FakeLambda::Sandbox::new_invoke(int index) {
  CurrentInvoke current;
  current.index = index;
  current.request_id = random_uuid();
  current.start = Clock::now();
  current.start_wall = wall_now();
  current.deadline = current.start + scenario.invoke_timeout;
  // On the extension's own clock, which no restore moved.
  current.deadline_ms = epoch_ms(WallClock::now()) + scenario.invoke_timeout.count();
  if (scenario.include_tracing) {
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(
        current.start_wall.time_since_epoch()).count();
    char epoch_hex[24];
    std::snprintf(epoch_hex, sizeof epoch_hex, "%08llx", static_cast<unsigned long long>(seconds));
    const auto span_id = random_hex(rng, 16);
    current.tracing = json::object{
        {"spanId", span_id},
        {"type", "X-Amzn-Trace-Id"},
        {"value", std::string("Root=1-") + epoch_hex + "-" + random_hex(rng, 24) +
                      ";Parent=" + span_id + ";Sampled=1"}};
  }
  return current;
}

void FakeLambda::Sandbox::begin_invoke(int index) {
  const auto current = new_invoke(index);
  invoke = current;
  InvocationReport entry;
  entry.index = index;
  entry.request_id = current.request_id;
  report.invocations.push_back(entry);

  emit(platform("platform.start", traced({{"requestId", current.request_id},
                                          {"version", scenario.function_version}})));
  // Extensions are released first, then the runtime, as the RIE does.
  const auto event = invoke_event(current);
  for (auto& e : extensions) {
    if (e->registered && e->wants_invoke && e->alive() && !e->failed) {
      e->pending_event = event;
      e->busy = true;
    }
  }
  notify();
}

// The fake runtime writes its lines, works for function_duration, responds and asks for the next
// invocation: that is when platform.runtimeDone is generated.
asio::awaitable<void> FakeLambda::Sandbox::fake_runtime() {
  auto& current = *invoke;
  emit_function_lines(current);
  co_await changed->wait_until([&] { return stopping || fatal_error.has_value(); },
                               std::min(current.deadline, current.start + scenario.function_duration));
  if (stopping) co_return;
  const bool timed_out = scenario.function_duration >= scenario.invoke_timeout;
  current.runtime_done_at = Clock::now();
  const auto done_wall = wall_now();
  const auto runtime_ms = to_ms(*current.runtime_done_at - current.start);
  GeneratedEvent done = platform(
      "platform.runtimeDone",
      traced({{"requestId", current.request_id},
              {"status", timed_out ? "timeout" : "success"},
              {"metrics", {{"durationMs", runtime_ms}, {"producedBytes", 2}}},
              {"spans", json::array{span("responseLatency", current.start_wall, runtime_ms),
                                    span("responseDuration", done_wall, 0.0),
                                    span("runtimeOverhead", done_wall, 0.0)}}}));
  done.request_id = current.request_id;
  emit(std::move(done));
}

// True when every INVOKE-subscriber was back in /next before deadlineMs.
asio::awaitable<bool> FakeLambda::Sandbox::extensions_finish() {
  auto all_back = [&] {
    for (const auto& e : extensions)
      if (e->busy && e->alive()) return false;
    return true;
  };
  co_return co_await changed->wait_until(
      [&] { return stopping || fatal_error.has_value() || all_back(); }, invoke->deadline);
}

void FakeLambda::Sandbox::end_invoke(bool in_time) {
  auto& current = *invoke;
  auto& result = report.invocations.back();
  const auto end = Clock::now();
  const auto runtime_done_at = current.runtime_done_at.value_or(end);
  if (scenario.function_duration >= scenario.invoke_timeout || !in_time) {
    result.timed_out = true;
    result.status = "timeout";
    if (!fatal_error)
      fail(sandbox_timeout, "invocation " + std::to_string(current.index) + " timed out after " +
                                std::to_string(scenario.invoke_timeout.count()) + " ms");
  } else if (fatal_error) {
    result.status = "error";
  }
  result.duration = std::chrono::duration_cast<Micros>(end - current.start);
  result.post_runtime = std::chrono::duration_cast<Micros>(end - runtime_done_at);
  if (result.status == "success") {
    Micros last{0};
    for (const auto& timing : result.extensions) {
      if (timing.after_runtime_done) last = std::max(last, *timing.after_runtime_done);
      if (timing.after_runtime_done_arrived)
        result.post_runtime_after_arrival =
            std::max(result.post_runtime_after_arrival.value_or(Micros{0}),
                     *timing.after_runtime_done_arrived);
    }
    result.post_runtime = last;
  }

  // Generated now, after every extension's /next: delivered at the next thaw or in Shutdown.
  const double duration_ms = to_ms(end - current.start);
  json::object metrics{{"durationMs", duration_ms},
                       {"billedDurationMs", static_cast<std::int64_t>(std::ceil(duration_ms))},
                       {"memorySizeMB", scenario.memory_mb},
                       {"maxMemoryUsedMB", std::min(scenario.memory_mb, 48)}};
  if (current.index == 0 && scenario.snapstart_restores == 0)
    metrics["initDurationMs"] = to_ms(report.init_duration);
  if (restore_duration_ms) {  // the first invocation after a SnapStart restore
    metrics["restoreDurationMs"] = *restore_duration_ms;
    metrics["billedRestoreDurationMs"] = static_cast<std::int64_t>(std::ceil(*restore_duration_ms));
    restore_duration_ms.reset();
  }
  json::object record = traced(
      {{"requestId", current.request_id},
       {"status", result.status},
       {"metrics", std::move(metrics)},
       {"spans", json::array{span("extensionOverhead", current.start_wall +
                                                           (runtime_done_at - current.start),
                                  to_ms(end - runtime_done_at))}}});
  if (result.status == "error") record["errorType"] = *fatal_error;
  emit(platform("platform.report", std::move(record)));
  invoke.reset();
}

}  // namespace ltf::emulator
