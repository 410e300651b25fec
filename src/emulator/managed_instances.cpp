// Lambda Managed Instances in the fake Lambda: invocations run side by side on runtime workers,
// up to max_concurrency at once, with no freeze between them, no platform.runtimeDone and a
// reduced platform.report (spec 2.5). Extensions take no part in an invocation: they registered
// for SHUTDOWN only (extensions_api.cpp refuses INVOKE) and learn of invocations only from the
// telemetry.
#include "managed_instances.hpp"

#include "sandbox.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <openssl/evp.h>

#include <algorithm>

namespace ltf::emulator {

void apply_managed_instances(Scenario& scenario) {
  if (!scenario.managed_instances) return;
  scenario.initialization_type = "lambda-managed-instances";
  scenario.freeze = false;
  scenario.schema_versions = {std::string(managed_instances_schema)};
  scenario.max_concurrency = std::max(1, scenario.max_concurrency);
}

std::string sequence_id(std::string_view body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  EVP_Digest(body.data(), body.size(), digest, &digest_size, EVP_sha256(), nullptr);
  unsigned char text[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
  const int length = EVP_EncodeBlock(text, digest, static_cast<int>(digest_size));
  return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(length));
}

namespace {

// The invocations in flight, shared by the loop that starts them and the workers that end them.
struct InFlight {
  int count = 0;
};

json::object span(const std::string& name, WallClock::time_point start, double duration_ms) {
  return {{"name", name}, {"start", iso_time(start)}, {"durationMs", duration_ms}};
}

// Resumes at `when`, or at once (through the executor, so others run first) if it has passed.
asio::awaitable<void> resume_at(asio::any_io_executor executor, Clock::time_point when) {
  asio::steady_timer timer(executor, when);
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

// One invocation on one runtime worker: platform.start, its lines spread evenly over
// function_duration (the worker yields after each, so the lines of the invocations in flight
// interleave), then platform.report.
asio::awaitable<void> invocation(std::shared_ptr<FakeLambda::Sandbox> core,
                                 std::shared_ptr<InFlight> in_flight, int index) {
  auto& c = *core;
  struct Ended {  // however the worker ends, its slot is free again and the loop is told
    FakeLambda::Sandbox& c;
    InFlight& in_flight;
    ~Ended() {
      --in_flight.count;
      c.notify();
    }
  } ended{c, *in_flight};

  const auto current = c.new_invoke(index);
  const auto slot = c.report.invocations.size();
  InvocationReport entry;
  entry.index = index;
  entry.request_id = current.request_id;
  c.report.invocations.push_back(std::move(entry));
  c.emit(c.platform("platform.start", c.traced_as({{"requestId", current.request_id},
                                                   {"version", c.scenario.function_version}},
                                                  &current)));
  const int lines = c.scenario.log_lines_per_invocation;
  const auto work = std::chrono::duration_cast<Clock::duration>(c.scenario.function_duration);
  for (int line = 0; line < lines && !c.stopping; ++line) {
    c.emit_function_line(current, line);
    co_await resume_at(c.executor, current.start + work * (line + 1) / lines);
  }
  if (lines == 0) co_await resume_at(c.executor, current.start + work);
  if (c.stopping) co_return;

  // Managed Instances do not stop an invocation at its timeout; it is reported as one.
  const bool timed_out = c.scenario.function_duration >= c.scenario.invoke_timeout;
  const auto end = Clock::now();
  const auto end_wall = c.wall_now();
  auto& result = c.report.invocations[slot];
  result.timed_out = timed_out;
  result.status = timed_out ? "timeout" : "success";
  result.duration = std::chrono::duration_cast<Micros>(end - current.start);
  const double duration_ms = to_ms(end - current.start);
  c.emit(c.platform(
      "platform.report",
      c.traced_as({{"requestId", current.request_id},
                   {"status", result.status},
                   {"metrics", {{"durationMs", duration_ms}}},
                   {"spans", json::array{span("responseLatency", current.start_wall, duration_ms),
                                         span("responseDuration", end_wall, 0.0)}}},
                  &current)));
}

}  // namespace

asio::awaitable<bool> FakeLambda::Sandbox::managed_invocations() {
  auto self = shared_from_this();
  auto in_flight = std::make_shared<InFlight>();
  phase = Phase::invoke;
  for (int i = 0; i < scenario.invocations; ++i) {
    co_await changed->wait_until([&] {
      return stopping || fatal_error.has_value() || in_flight->count < scenario.max_concurrency;
    });
    if (stopping || fatal_error) break;
    if (owner && owner->on_invocation) owner->on_invocation(i);
    ++in_flight->count;
    asio::co_spawn(executor, invocation(self, in_flight, i), asio::detached);
  }
  // Those in flight end on their own within function_duration, a stopped run's too.
  co_await changed->wait_until([&] { return in_flight->count == 0; });
  co_return !stopping && !fatal_error;
}

}  // namespace ltf::emulator
