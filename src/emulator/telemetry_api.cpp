// The Telemetry API subscription (spec 3.1): validation, the Init-only window, replay of the Init
// events to a late subscriber, and the platform.telemetrySubscription event.
#include "sandbox.hpp"

#include <boost/json/value_from.hpp>

namespace ltf::emulator {

namespace {

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const auto& part : parts) {
    if (!out.empty()) out += separator;
    out += part;
  }
  return out;
}

}  // namespace

net::Response FakeLambda::Sandbox::on_subscribe(const net::Request& request) {
  auto who = identify(request);
  if (auto* refusal = std::get_if<net::Response>(&who)) return std::move(*refusal);
  auto& extension = *std::get<Extension*>(who);
  if (subscriptions_closed)
    return api_error(request, 403, "Telemetry.SubscriptionClosed",
                     "Telemetry API subscription is closed", &extension);
  auto parsed = parse_subscription(request.body(), scenario.schema_versions);
  if (auto* problems = std::get_if<std::vector<std::string>>(&parsed))
    return api_error(request, 400, "ValidationError", join(*problems, "; "), &extension);
  auto& wanted = std::get<TelemetrySubscription>(parsed);

  if (extension.subscriber) {
    if (!scenario.duplicate_subscribe_ok)
      return api_error(request, 500, "InternalServerError", "subscriber already exists",
                       &extension);
    // Idempotent: the new settings apply from now on; what is queued stays queued.
    auto& subscriber = *extension.subscriber;
    if (subscriber.request.port != wanted.port) {
      subscriber.client = std::make_shared<net::HttpClient>(executor, "127.0.0.1",
                                                            std::to_string(wanted.port));
    }
    subscriber.request = wanted;
  } else {
    auto subscriber = std::make_unique<Subscriber>();
    subscriber->extension = &extension;
    subscriber->request = wanted;
    // sandbox.localdomain is the sandbox itself: the extension's listener is on loopback.
    subscriber->client = std::make_shared<net::HttpClient>(executor, "127.0.0.1",
                                                           std::to_string(wanted.port));
    extension.subscriber = std::move(subscriber);
    for (const auto& event : init_events)
      if (extension.subscriber->wants(event.type)) enqueue(*extension.subscriber, event);
    start_delivery(*extension.subscriber);
  }
  auto& entry = report_of(extension);
  entry.subscribed_types = wanted.types;
  entry.schema_version = wanted.schema_version;

  emit(platform("platform.telemetrySubscription",
                {{"name", extension.name},
                 {"state", "Subscribed"},
                 {"types", boost::json::value_from(wanted.types)}}));
  return json_response(200, json::string("OK"));
}

// The legacy Logs API is not emulated (the extension must use the Telemetry API). Like the RIE it
// answers 202 NotSupported, except that it refuses an extension already subscribed to the
// Telemetry API: the two are mutually exclusive (spec 3.1).
net::Response FakeLambda::Sandbox::on_logs_subscribe(const net::Request& request) {
  auto who = identify(request);
  if (auto* refusal = std::get_if<net::Response>(&who)) return std::move(*refusal);
  auto& extension = *std::get<Extension*>(who);
  if (extension.subscriber)
    return api_error(request, 400, "Logs.ValidationError",
                     "Logs API cannot be used together with the Telemetry API", &extension);
  return api_error(request, 202, "Logs.NotSupported", "Logs API is not supported", &extension);
}

}  // namespace ltf::emulator
