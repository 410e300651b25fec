#include "ltf/lambda.hpp"

#include "ltf/defaults.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cctype>

namespace ltf::lambda {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

constexpr const char* kBase = "/2020-01-01/extension";

std::string_view string_field(const json::object& object, std::string_view key) {
  const json::value* v = object.if_contains(key);
  if (!v || !v->is_string()) return {};
  return v->get_string();
}

std::pair<std::string, std::string> split_host_port(const std::string& runtime_api) {
  auto colon = runtime_api.rfind(':');
  if (colon == std::string::npos) return {runtime_api, "80"};
  return {runtime_api.substr(0, colon), runtime_api.substr(colon + 1)};
}

// Lambda's error bodies are {"errorType","errorMessage"}; anything else is quoted as it came.
ApiError api_error(const net::Exchange& exchange) {
  ApiError error;
  if (!exchange.ok()) {
    error.message = exchange.error.message();
    return error;
  }
  error.status = exchange.response.result_int();
  boost::system::error_code ec;
  auto body = json::parse(exchange.response.body(), ec);
  if (!ec && body.is_object()) {
    error.error_type = string_field(body.get_object(), "errorType");
    error.message = string_field(body.get_object(), "errorMessage");
  }
  if (error.error_type.empty() && error.message.empty())
    error.message = exchange.response.body().substr(0, 256);
  return error;
}

net::Request make_request(http::verb verb, std::string target) {
  net::Request request{verb, target, 11};
  request.set(http::field::content_type, "application/json");
  return request;
}

}  // namespace

std::string ApiError::describe() const {
  std::string out = status ? "HTTP " + std::to_string(status) : "no response";
  if (!error_type.empty()) out += " " + error_type;
  if (!message.empty()) out += ": " + message;
  return out;
}

std::optional<LifecycleEvent> parse_lifecycle_event(std::string_view body, std::string* why) {
  boost::system::error_code ec;
  auto value = json::parse(body, ec);
  if (ec || !value.is_object()) {
    if (why) *why = "event body is not a JSON object";
    return std::nullopt;
  }
  const auto& object = value.get_object();
  auto deadline = [&]() -> std::int64_t {
    const json::value* d = object.if_contains("deadlineMs");
    if (!d) return 0;
    if (d->is_int64()) return d->get_int64();
    if (d->is_uint64()) return static_cast<std::int64_t>(d->get_uint64());
    if (d->is_double()) return static_cast<std::int64_t>(d->get_double());
    return 0;
  };
  const auto type = string_field(object, "eventType");
  if (type == "INVOKE") {
    InvokeEvent invoke;
    invoke.request_id = string_field(object, "requestId");
    invoke.deadline_ms = deadline();
    invoke.invoked_function_arn = string_field(object, "invokedFunctionArn");
    return invoke;
  }
  if (type == "SHUTDOWN") {
    ShutdownEvent shutdown;
    // The docs spell reasons in upper case, the wire in lower case.
    shutdown.reason = string_field(object, "shutdownReason");
    std::transform(shutdown.reason.begin(), shutdown.reason.end(), shutdown.reason.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    shutdown.deadline_ms = deadline();
    return shutdown;
  }
  if (why) *why = "unknown eventType '" + std::string(type) + "'";
  return std::nullopt;
}

ExtensionsClient::ExtensionsClient(asio::any_io_executor executor, const std::string& runtime_api)
    : http_(executor, split_host_port(runtime_api).first, split_host_port(runtime_api).second) {}

asio::awaitable<std::variant<Registration, ApiError>> ExtensionsClient::register_extension(
    const std::string& name, const std::vector<std::string>& events) {
  auto request = make_request(http::verb::post, std::string(kBase) + "/register");
  request.set("Lambda-Extension-Name", name);
  request.set("Lambda-Extension-Accept-Feature", "accountId");
  json::array list;
  for (const auto& e : events) list.emplace_back(e);
  request.body() = json::serialize(json::object{{"events", std::move(list)}});
  auto exchange = co_await http_.send(std::move(request), std::nullopt);
  if (!exchange.ok() || exchange.response.result() != http::status::ok) co_return api_error(exchange);

  Registration registration;
  registration.extension_id = std::string(exchange.response["Lambda-Extension-Identifier"]);
  if (registration.extension_id.empty())
    co_return ApiError{exchange.response.result_int(), "", "register answered without an identifier"};
  boost::system::error_code ec;
  auto body = json::parse(exchange.response.body(), ec);
  if (!ec && body.is_object()) {
    const auto& object = body.get_object();
    registration.function_name = string_field(object, "functionName");
    registration.function_version = string_field(object, "functionVersion");
    registration.handler = string_field(object, "handler");
    registration.account_id = string_field(object, "accountId");
  }
  extension_id_ = registration.extension_id;
  co_return registration;
}

asio::awaitable<std::variant<LifecycleEvent, ApiError>> ExtensionsClient::next() {
  auto request = make_request(http::verb::get, std::string(kBase) + "/event/next");
  request.set("Lambda-Extension-Identifier", extension_id_);
  auto exchange = co_await http_.send(std::move(request), std::nullopt);
  if (!exchange.ok() || exchange.response.result() != http::status::ok) co_return api_error(exchange);
  std::string why;
  if (auto event = parse_lifecycle_event(exchange.response.body(), &why)) co_return *event;
  co_return ApiError{exchange.response.result_int(), "", why};
}

asio::awaitable<std::optional<ApiError>> ExtensionsClient::report_error(
    const char* path, const std::string& error_type, const std::string& message) {
  auto request = make_request(http::verb::post, std::string(kBase) + path);
  request.set("Lambda-Extension-Identifier", extension_id_);
  request.set("Lambda-Extension-Function-Error-Type", error_type);
  request.body() = json::serialize(
      json::object{{"errorMessage", message}, {"errorType", error_type}, {"stackTrace", json::array{}}});
  auto exchange = co_await http_.send(std::move(request), defaults::lambda_api_timeout);
  if (exchange.ok() && exchange.response.result_int() / 100 == 2) co_return std::nullopt;
  co_return api_error(exchange);
}

asio::awaitable<std::optional<ApiError>> ExtensionsClient::init_error(const std::string& error_type,
                                                                      const std::string& message) {
  return report_error("/init/error", error_type, message);
}

asio::awaitable<std::variant<Subscribed, ApiError>> subscribe_telemetry(
    asio::any_io_executor executor, const std::string& runtime_api, const std::string& extension_id,
    const SubscriptionRequest& subscription) {
  auto [host, port] = split_host_port(runtime_api);
  net::HttpClient http(executor, host, port);
  auto request = make_request(http::verb::put, "/2022-07-01/telemetry");
  request.set("Lambda-Extension-Identifier", extension_id);
  json::array types;
  for (const auto& t : subscription.types) types.emplace_back(t);
  request.body() = json::serialize(json::object{
      {"schemaVersion", subscription.schema},
      {"types", std::move(types)},
      {"buffering",
       {{"maxItems", subscription.max_items},
        {"maxBytes", subscription.max_bytes},
        {"timeoutMs", subscription.timeout_ms}}},
      {"destination",
       {{"protocol", "HTTP"},
        {"URI", "http://sandbox.localdomain:" + std::to_string(subscription.port) + "/"}}}});
  auto exchange = co_await http.send(std::move(request), defaults::subscribe_timeout);
  if (exchange.ok() && exchange.response.result() == http::status::ok) co_return Subscribed::yes;
  if (exchange.ok() && exchange.response.result() == http::status::accepted)
    co_return Subscribed::not_supported;
  co_return api_error(exchange);
}

}  // namespace ltf::lambda
