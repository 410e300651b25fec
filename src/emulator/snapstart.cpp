// SnapStart (spec 2.4): Init runs once and the frozen sandbox is the snapshot; each restore brings
// it back. What a restore does here, with real processes that cannot be copied:
// - it happens while the extensions are stopped (SIGSTOP since the last freeze), as a snapshot is
//   not running;
// - every connection they had is gone: the Extensions API's (the parked /event/next too), the
//   Telemetry API's to their listeners, and, through on_restore, their destinations';
// - the wall clock of events jumps by restore_clock_jump: the snapshot's clock resumes where it
//   was while the world moved on (INVOKE deadlines stay on the machine's clock, which the
//   extension reads);
// - platform.restoreStart, then the thaw; platform.restoreRuntimeDone and restoreReport once every
//   extension is back in /event/next (the runtime's after-restore hooks cost nothing here), within
//   restore_timeout, or the sandbox resets with Sandbox.Timeout.
// Restoring one snapshot into several environments would need the processes copied; with
// snapstart_restores > 1 the same processes are restored again, which exercises the restore path
// each time but is not a clone. That clones never share event ids is the extension's own test.
#include "sandbox.hpp"

namespace ltf::emulator {

bool FakeLambda::Sandbox::restore_due(int index) const {
  const int restores = scenario.snapstart_restores;
  if (restores <= 0 || scenario.invocations <= 0) return false;
  // Restore k (0-based) comes before invocation k * invocations / restores.
  for (int k = 0; k < restores; ++k)
    if (index == static_cast<int>(static_cast<long long>(k) * scenario.invocations / restores))
      return true;
  return false;
}

void FakeLambda::Sandbox::cut_connections() {
  for (auto& extension : extensions) {
    ++extension->long_polls_cut;
    extension->parked = false;  // its /event/next is gone with the connection
    // A POST in flight is left to finish: cutting it would only show what a redelivery does,
    // which the event ids are for, not what a restore does.
    if (extension->subscriber && !extension->subscriber->sending)
      extension->subscriber->client->close();
  }
  if (server) server->close_connections();
  notify();
}

asio::awaitable<bool> FakeLambda::Sandbox::restore_phase() {
  freeze();  // already, unless the scenario never freezes
  phase = Phase::restore;
  ++report.restores;
  wall_offset += scenario.restore_clock_jump;
  const auto started = Clock::now();
  cut_connections();
  call(owner ? owner->on_restore : std::function<void()>{});
  emit(platform("platform.restoreStart",
                {{"runtimeVersion", "fake-lambda.v1"},
                 {"runtimeVersionArn", "arn:aws:lambda:" + scenario.region + "::runtime:fake-lambda"},
                 {"functionName", scenario.function_name},
                 {"functionVersion", scenario.function_version},
                 {"instanceId", instance_id},
                 {"instanceMaxMemory", scenario.memory_mb}}));
  thaw();

  auto back_in_next = [&] {
    for (const auto& e : extensions)
      if (e->registered && e->alive() && !e->failed && !e->parked) return false;
    return true;
  };
  const bool in_time = co_await changed->wait_until(
      [&] { return stopping || fatal_error.has_value() || back_in_next(); },
      started + scenario.restore_timeout);
  if (stopping) co_return false;
  const std::string status = fatal_error ? "error" : in_time ? "success" : "timeout";
  json::object done{{"status", status}};
  if (fatal_error) done["errorType"] = *fatal_error;
  emit(platform("platform.restoreRuntimeDone", done));
  const double duration_ms = to_ms(Clock::now() - started);
  json::object record = std::move(done);
  record["metrics"] = json::object{{"durationMs", duration_ms}};
  emit(platform("platform.restoreReport", std::move(record)));
  if (status == "timeout")
    fail("Sandbox.Timeout", "restore " + std::to_string(report.restores) +
                                ": the extensions were not back in /event/next within " +
                                std::to_string(scenario.restore_timeout.count()) + " ms");
  if (fatal_error) co_return false;
  restore_duration_ms = duration_ms;
  co_return true;
}

}  // namespace ltf::emulator
