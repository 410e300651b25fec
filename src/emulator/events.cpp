// The platform's event stream: the shapes of spec section 4, produced once and fanned out to every
// subscriber that asked for that stream.
#include "log_records.hpp"
#include "sandbox.hpp"

#include <boost/json/serialize.hpp>

#include <cstdio>

namespace ltf::emulator {

namespace {

// "inv-000012 line-0003 " padded to `bytes`: unique and recognisable when it arrives at a sink.
std::string function_line(int invocation, int line, std::size_t bytes) {
  char prefix[64];
  const int n = std::snprintf(prefix, sizeof prefix, "inv-%06d line-%04d ", invocation, line);
  std::string text(prefix, static_cast<std::size_t>(n));
  static constexpr std::string_view filler = "abcdefghijklmnopqrstuvwxyz0123456789";
  for (std::size_t i = 0; text.size() < bytes; ++i) text.push_back(filler[i % filler.size()]);
  return text;
}

}  // namespace

GeneratedEvent FakeLambda::Sandbox::platform(std::string type, json::object record) const {
  return GeneratedEvent{std::move(type), iso_time(wall_now()), json::value(std::move(record)), {}};
}

void FakeLambda::Sandbox::emit(GeneratedEvent event) {
  if (delivery_stopped) return;
  ++report.events_produced[event.type];
  if (phase == Phase::created || phase == Phase::init) init_events.push_back(event);
  for (auto& extension : extensions) {
    auto* subscriber = extension->subscriber.get();
    if (subscriber && !extension->exited && !extension->killed && subscriber->wants(event.type))
      enqueue(*subscriber, event);
  }
  notify();
}

void FakeLambda::Sandbox::emit_function_lines(const CurrentInvoke& current) {
  for (int line = 0; line < scenario.log_lines_per_invocation; ++line)
    emit_function_line(current, line);
}

void FakeLambda::Sandbox::emit_function_line(const CurrentInvoke& current, int line) {
  auto text = function_line(current.index, line, scenario.log_line_bytes);
  report.function_lines.push_back(text);
  report.function_line_times.push_back(Clock::now());
  const auto now = iso_time(wall_now());
  auto record = function_record(scenario, RuntimeLine{text, now, current.request_id, line});
  emit(GeneratedEvent{"function", now, std::move(record), {}});
}

void FakeLambda::Sandbox::emit_extension_line(const Extension& extension, const std::string& line) {
  (void)extension;  // Lambda does not say which extension wrote a line; neither do we
  const auto now = iso_time(wall_now());
  emit(GeneratedEvent{"extension", now, extension_record(scenario, line, now), {}});
}

std::string FakeLambda::Sandbox::invoke_event(const CurrentInvoke& current) const {
  json::object event{
      {"eventType", "INVOKE"},
      {"deadlineMs", current.deadline_ms},
      {"requestId", current.request_id},
      {"invokedFunctionArn", "arn:aws:lambda:" + scenario.region + ":" + scenario.account_id +
                                 ":function:" + scenario.function_name}};
  if (current.tracing)
    event["tracing"] = json::object{{"type", "X-Amzn-Trace-Id"}, {"value", current.tracing->at("value")}};
  return json::serialize(event);
}

std::string FakeLambda::Sandbox::shutdown_event(const std::string& reason,
                                             std::int64_t deadline_ms) const {
  return json::serialize(json::object{
      {"eventType", "SHUTDOWN"}, {"deadlineMs", deadline_ms}, {"shutdownReason", reason}});
}

}  // namespace ltf::emulator
