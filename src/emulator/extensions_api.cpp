// The Extensions API: register, the /event/next long-poll, init/error and exit/error, with the
// status codes and errorType strings of spec 1.2-1.5.
#include "managed_instances.hpp"
#include "sandbox.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <sstream>

namespace ltf::emulator {

namespace {

constexpr std::size_t max_extensions = 10;

bool accepts_feature(const std::string& header_value, std::string_view feature) {
  std::stringstream list(header_value);
  std::string item;
  while (std::getline(list, item, ',')) {
    const auto first = item.find_first_not_of(" \t");
    const auto last = item.find_last_not_of(" \t");
    if (first != std::string::npos && item.substr(first, last - first + 1) == feature)
      return true;
  }
  return false;
}

}  // namespace

net::Response FakeLambda::Sandbox::on_register(const net::Request& request) {
  const auto name = header(request, "Lambda-Extension-Name");
  if (name.empty())
    return api_error(request, 403, "Extension.InvalidExtensionName", "Empty extension name");

  boost::system::error_code ec;
  const auto body = json::parse(request.body(), ec);
  if (ec || !body.is_object())
    return api_error(request, 403, "InvalidRequestFormat",
                     ec ? "Request body is not valid JSON: " + ec.message()
                        : std::string("Request body must be a JSON object"));
  const auto& fields = body.get_object();
  if (const auto* keys = fields.if_contains("configurationKeys");
      keys && keys->is_array() && !keys->get_array().empty())
    return api_error(request, 403, "InvalidRequestFormat",
                     "configurationKeys are deprecated; use environment variables instead");

  std::vector<std::string> events;
  if (const auto* list = fields.if_contains("events"); list && !list->is_null()) {
    if (!list->is_array())
      return api_error(request, 403, "InvalidRequestFormat", "events must be an array");
    for (const auto& event : list->get_array()) {
      if (!event.is_string() || (event.get_string() != "INVOKE" && event.get_string() != "SHUTDOWN"))
        return api_error(request, 403, "Extension.InvalidEventType",
                         "Unknown event type: " + json::serialize(event));
      if (scenario.managed_instances && event.get_string() == "INVOKE")  // SHUTDOWN only there
        return api_error(request, 403, "Extension.InvalidEventType",
                         invoke_registration_refused);
      if (std::find(events.begin(), events.end(), event.get_string()) == events.end())
        events.emplace_back(event.get_string());
    }
  }
  const bool wants_shutdown = std::find(events.begin(), events.end(), "SHUTDOWN") != events.end();

  auto* existing = find_by_name(name);
  const bool external = existing && existing->external;
  if (subscriptions_closed)  // Init is over: nobody registers any more
    return api_error(request, 403, "Extension.RegistrationClosed", "Extension registration closed");
  if (external) {
    if (existing->registered)
      return api_error(request, 403, "Extension.InvalidExtensionState",
                       "State transition from Registered to Registered failed for extension " +
                           name + ". Error: State transition is not allowed",
                       existing);
  } else {
    // A name Lambda did not launch from /opt/extensions: an internal extension (spec 1.1).
    if (wants_shutdown)
      return api_error(request, 403, "Extension.InvalidEventType",
                       "Internal extension " + name + " cannot register for SHUTDOWN");
    if (registration_closed)
      return api_error(request, 403, "Extension.RegistrationClosed",
                       "Extension registration closed");
    if (existing && existing->registered)
      return api_error(request, 403, "Extension.InvalidExtensionState",
                       "Extension with this name already registered", existing);
  }
  const auto registered = std::count_if(extensions.begin(), extensions.end(),
                                        [](const auto& e) { return e->registered; });
  if (static_cast<std::size_t>(registered) >= max_extensions)
    return api_error(request, 403, "Extension.TooManyExtensions", "Extension limit (10) reached");

  auto& extension = existing ? *existing : add_extension(name, false);
  extension.registered = true;
  extension.id = random_uuid();
  extension.wants_invoke = std::find(events.begin(), events.end(), "INVOKE") != events.end();
  extension.wants_shutdown = wants_shutdown;
  if (!extension.launched) extension.launched_at = phase == Phase::created ? Clock::now() : run_started;
  auto& entry = report_of(extension);
  entry.registered = true;
  entry.events = events;

  json::object response_body{{"functionName", scenario.function_name},
                             {"functionVersion", scenario.function_version},
                             {"handler", scenario.handler}};
  if (accepts_feature(header(request, "Lambda-Extension-Accept-Feature"), "accountId"))
    response_body["accountId"] = scenario.account_id;
  auto response = json_response(200, response_body);
  response.set("Lambda-Extension-Identifier", extension.id);
  notify();
  return response;
}

asio::awaitable<net::Response> FakeLambda::Sandbox::on_next(const net::Request& request) {
  auto who = identify(request);
  if (auto* refusal = std::get_if<net::Response>(&who)) co_return std::move(*refusal);
  auto& extension = *std::get<Extension*>(who);
  if (extension.failed)
    co_return api_error(request, 403, "Extension.InvalidExtensionState",
                        "Extension " + extension.name + " reported an error and may not call next",
                        &extension);
  if (extension.shutdown_sent && !extension.pending_event)
    co_return api_error(request, 403, "Extension.InvalidExtensionState",
                        "Extension " + extension.name + " already received SHUTDOWN", &extension);
  if (extension.parked)
    co_return api_error(request, 403, "Extension.InvalidExtensionState",
                        "Extension " + extension.name + " is already waiting in event/next",
                        &extension);

  const auto now = Clock::now();
  if (!extension.ready) {
    extension.ready = true;
    report_of(extension).init_time = std::chrono::duration_cast<Micros>(now - extension.launched_at);
  }
  if (extension.busy) finished_invoke(extension, now);
  extension.parked = true;
  notify();

  const auto cuts = extension.long_polls_cut;
  co_await changed->wait_until([&] {
    return extension.pending_event || stopping || extension.killed || extension.exited ||
           extension.long_polls_cut != cuts;
  });
  // A SnapStart restore cut this long-poll's connection, and unparked the extension then: its
  // next /event/next may already be parked, and is not this one's to touch.
  if (extension.long_polls_cut != cuts)
    co_return error_response(500, "InternalServerError", "The connection was cut by a restore");
  extension.parked = false;
  if (!extension.pending_event)
    co_return error_response(500, "InternalServerError", "The sandbox is shutting down");
  auto response = net::Response{net::http::status::ok, 11};
  response.set(net::http::field::content_type, "application/json");
  response.set("Lambda-Extension-Event-Identifier", random_uuid());
  response.body() = std::move(*extension.pending_event);
  extension.pending_event.reset();
  if (extension.shutdown_sent) report_of(extension).received_shutdown = true;
  notify();
  co_return response;
}

void FakeLambda::Sandbox::finished_invoke(Extension& extension, Clock::time_point now) {
  extension.busy = false;
  if (!invoke || report.invocations.empty()) return;
  ExtensionInvokeTiming timing;
  timing.name = extension.name;
  if (invoke->runtime_done_at)
    timing.after_runtime_done =
        std::chrono::duration_cast<Micros>(std::max(now - *invoke->runtime_done_at, Clock::duration{}));
  if (extension.subscriber) {
    auto& arrived = extension.subscriber->runtime_done_arrived;
    if (auto it = arrived.find(invoke->request_id); it != arrived.end())
      timing.after_runtime_done_arrived = std::chrono::duration_cast<Micros>(now - it->second);
  }
  report.invocations.back().extensions.push_back(std::move(timing));
}

net::Response FakeLambda::Sandbox::on_error_report(const net::Request& request, bool init_error) {
  auto who = identify(request);
  if (auto* refusal = std::get_if<net::Response>(&who)) return std::move(*refusal);
  auto& extension = *std::get<Extension*>(who);
  const auto error_type = header(request, "Lambda-Extension-Function-Error-Type");
  if (error_type.empty())
    return api_error(request, 403, "Extension.MissingHeader",
                     "Lambda-Extension-Function-Error-Type not found", &extension);
  if (!extension.failed) {
    extension.failed = true;
    report_of(extension).error_type = error_type;
    // The body is {"errorMessage", "errorType", "stackTrace"}; the message is what a user needs
    // to see, whether or not the extension's own output is shown.
    boost::system::error_code ec;
    const auto body = json::parse(request.body(), ec);
    if (!ec && body.is_object())
      if (const auto* message = body.get_object().if_contains("errorMessage");
          message && message->is_string())
        report_of(extension).error_message = std::string(message->get_string());
    // init/error after Init is as fatal as exit/error: the sandbox is reset either way.
    const bool fails_init = init_error && (phase == Phase::init || phase == Phase::created);
    fail(fails_init ? "Extension.InitError" : "Extension.ExitError",
         "extension " + extension.name + " reported " + (init_error ? "init" : "exit") +
             " error " + error_type);
  }
  return json_response(202, json::object{{"status", "OK"}});
}

}  // namespace ltf::emulator
