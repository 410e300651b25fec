#pragma once
// The Lambda side as the extension sees it: the Extensions API (register, the /event/next
// long-poll, init errors) and the Telemetry API subscription.

#include "ltf/net.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ltf::lambda {

// A failed Extensions or Telemetry API call: the HTTP status (0 when no response came) and
// Lambda's {"errorType","errorMessage"} or the transport error.
struct ApiError {
  unsigned status = 0;
  std::string error_type;
  std::string message;
  std::string describe() const;
};

struct Registration {
  std::string extension_id;  // Lambda-Extension-Identifier
  std::string function_name;
  std::string function_version;
  std::string handler;
  std::string account_id;    // present because we send Accept-Feature: accountId
};

struct InvokeEvent {
  std::string request_id;
  std::int64_t deadline_ms = 0;  // epoch milliseconds
  std::string invoked_function_arn;
};

struct ShutdownEvent {
  std::string reason;            // lowercased: spindown, timeout, failure
  std::int64_t deadline_ms = 0;  // epoch milliseconds
};

using LifecycleEvent = std::variant<InvokeEvent, ShutdownEvent>;

// Parses the body of an /event/next response. nullopt with `why` when it is neither event.
std::optional<LifecycleEvent> parse_lifecycle_event(std::string_view body, std::string* why);

class ExtensionsClient {
 public:
  // runtime_api: AWS_LAMBDA_RUNTIME_API, host:port.
  ExtensionsClient(boost::asio::any_io_executor executor, const std::string& runtime_api);

  boost::asio::awaitable<std::variant<Registration, ApiError>> register_extension(
      const std::string& name, const std::vector<std::string>& events);
  // Blocks until Lambda has an event for us: no timeout, by design.
  boost::asio::awaitable<std::variant<LifecycleEvent, ApiError>> next();
  boost::asio::awaitable<std::optional<ApiError>> init_error(const std::string& error_type,
                                                             const std::string& message);

  const std::string& extension_id() const { return extension_id_; }

 private:
  boost::asio::awaitable<std::optional<ApiError>> report_error(const char* path,
                                                               const std::string& error_type,
                                                               const std::string& message);
  net::HttpClient http_;
  std::string extension_id_;
};

// Telemetry API schema versions: the latest (required by Managed Instances, recommended by AWS for
// every new extension, accepted by on-demand functions too) and the one before it, for a Lambda
// that refuses the latest.
inline constexpr std::string_view telemetry_schema_latest = "2025-01-29";
inline constexpr std::string_view telemetry_schema_previous = "2022-12-13";

struct SubscriptionRequest {
  std::vector<std::string> types;
  std::uint32_t max_items = 1000;
  std::uint32_t max_bytes = 262144;
  std::uint32_t timeout_ms = 25;
  std::uint16_t port = 0;        // our listener, reached as http://sandbox.localdomain:PORT/
  std::string schema = std::string(telemetry_schema_latest);
};

// 200: subscribed. 202: Lambda accepted but will send nothing (local emulators): not an error.
enum class Subscribed { yes, not_supported };

// Subscribes to the Telemetry API (schema `request.schema`) on its own connection.
boost::asio::awaitable<std::variant<Subscribed, ApiError>> subscribe_telemetry(
    boost::asio::any_io_executor executor, const std::string& runtime_api,
    const std::string& extension_id, const SubscriptionRequest& request);

}  // namespace ltf::lambda
