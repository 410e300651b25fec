// Which handler answers which request; Lambda's 404/405 for everything else; and the one place
// where error responses are built, so every one of them lands in the report.
#include "sandbox.hpp"

namespace ltf::emulator {

namespace {

constexpr std::string_view extension_api = "/2020-01-01/extension/";
constexpr std::string_view telemetry_api = "/2022-07-01/telemetry";
constexpr std::string_view logs_api = "/2020-08-15/logs";

std::string path_of(const net::Request& request) {
  std::string target(request.target());
  return target.substr(0, target.find('?'));
}

}  // namespace

net::Response FakeLambda::Sandbox::api_error(const net::Request& request, unsigned status,
                                          std::string_view error_type,
                                          std::string_view message,
                                          const Extension* extension) {
  report.api_errors.push_back({path_of(request), status, std::string(error_type),
                               std::string(message), extension ? extension->name : ""});
  notify();
  return error_response(status, error_type, message);
}

std::variant<Extension*, net::Response> FakeLambda::Sandbox::identify(const net::Request& request) {
  const auto id = header(request, "Lambda-Extension-Identifier");
  if (id.empty())
    return api_error(request, 403, "Extension.MissingExtensionIdentifier",
                     "Missing Lambda-Extension-Identifier header");
  if (!is_uuid(id))
    return api_error(request, 403, "Extension.InvalidExtensionIdentifier",
                     "Invalid Lambda-Extension-Identifier");
  auto* extension = find_by_id(id);
  if (!extension)
    return api_error(request, 403, "Extension.UnknownExtensionIdentifier",
                     "Unknown extension " + id);
  return extension;
}

asio::awaitable<net::Response> FakeLambda::Sandbox::handle(net::Request& request) {
  using net::http::verb;
  const auto path = path_of(request);
  const auto method = request.method();
  auto wrong_method = [&] {
    report.api_errors.push_back({path, 405, "", "method not allowed", ""});
    net::Response response{net::http::status::method_not_allowed, 11};
    return response;
  };

  if (path.rfind(extension_api, 0) == 0) {
    const auto name = path.substr(extension_api.size());
    if (name == "register")
      co_return method == verb::post ? on_register(request) : wrong_method();
    if (name == "event/next") {
      if (method != verb::get) co_return wrong_method();
      co_return co_await on_next(request);
    }
    if (name == "init/error")
      co_return method == verb::post ? on_error_report(request, true) : wrong_method();
    if (name == "exit/error")
      co_return method == verb::post ? on_error_report(request, false) : wrong_method();
  } else if (path == telemetry_api) {
    co_return method == verb::put ? on_subscribe(request) : wrong_method();
  } else if (path == logs_api) {
    co_return method == verb::put ? on_logs_subscribe(request) : wrong_method();
  }
  // Lambda's router is Go's: unknown paths get its plain-text 404.
  report.api_errors.push_back({path, 404, "", "404 page not found", ""});
  net::Response response{net::http::status::not_found, 11};
  response.set(net::http::field::content_type, "text/plain; charset=utf-8");
  response.body() = "404 page not found\n";
  co_return response;
}

}  // namespace ltf::emulator
