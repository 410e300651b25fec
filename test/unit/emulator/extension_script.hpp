#pragma once
// A hand-driven extension for the emulator's tests: it speaks HTTP to the fake Lambda exactly as a
// real extension does (two connections: one for the long-poll, one for everything else), so each
// test can script the calls and look at the raw answers.

#include "ltf/emulator.hpp"
#include "ltf/net.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <string_view>

// ASSERT_* returns, which a coroutine may not do: this one co_returns.
#define CO_ASSERT_EQ(a, b)  \
  do {                      \
    if (!((a) == (b))) {    \
      EXPECT_EQ(a, b);      \
      co_return;            \
    }                       \
  } while (false)

namespace ltf::emulator::emutest {

namespace asio = boost::asio;
namespace json = boost::json;
namespace http = boost::beast::http;

struct Answer {
  unsigned status = 0;  // 0: no response at all
  json::value body;     // null when the body is not JSON
  net::Response raw;

  std::string error_type() const {
    if (!body.is_object()) return {};
    auto* type = body.get_object().if_contains("errorType");
    return type && type->is_string() ? std::string(type->get_string()) : std::string();
  }
  std::string error_message() const {
    if (!body.is_object()) return {};
    auto* message = body.get_object().if_contains("errorMessage");
    return message && message->is_string() ? std::string(message->get_string()) : std::string();
  }
  std::string field(const char* name) const {
    if (!body.is_object()) return {};
    auto* value = body.get_object().if_contains(name);
    return value && value->is_string() ? std::string(value->get_string()) : std::string();
  }
};

using Headers = std::vector<std::pair<std::string, std::string>>;

// Built outside coroutine calls: GCC 12 miscompiles nested braced lists in co_await arguments.
inline Headers identified_as(std::string id) {
  Headers headers;
  headers.emplace_back("Lambda-Extension-Identifier", std::move(id));
  return headers;
}

inline Answer to_answer(net::Exchange exchange) {
  Answer answer;
  if (!exchange.ok()) return answer;
  answer.status = exchange.response.result_int();
  boost::system::error_code ec;
  answer.body = json::parse(exchange.response.body(), ec);
  if (ec) answer.body = nullptr;
  answer.raw = std::move(exchange.response);
  return answer;
}

class ExtensionScript {
 public:
  ExtensionScript(asio::any_io_executor executor, std::uint16_t port)
      : control_(executor, "127.0.0.1", std::to_string(port)),
        poll_(executor, "127.0.0.1", std::to_string(port)) {}

  std::string id;  // set by a successful register

  asio::awaitable<Answer> call(http::verb method, std::string target, std::string body,
                               Headers headers = {}) {
    net::Request request{method, target, 11};
    request.set(http::field::content_type, "application/json");
    for (auto& [name, value] : headers) request.set(name, value);
    request.body() = std::move(body);
    co_return to_answer(co_await control_.send(std::move(request), std::chrono::seconds(10)));
  }

  asio::awaitable<Answer> register_as(std::string name,
                                      std::string body = R"({"events":["INVOKE","SHUTDOWN"]})",
                                      std::string accept_feature = "") {
    Headers headers;
    headers.emplace_back("Lambda-Extension-Name", name);
    if (!accept_feature.empty()) headers.emplace_back("Lambda-Extension-Accept-Feature", accept_feature);
    auto answer = co_await call(http::verb::post, "/2020-01-01/extension/register", body, headers);
    if (answer.status == 200)
      id = std::string(answer.raw["Lambda-Extension-Identifier"]);
    co_return answer;
  }

  // The long-poll, on its own connection and without any timeout.
  asio::awaitable<Answer> next() {
    net::Request request{http::verb::get, "/2020-01-01/extension/event/next", 11};
    request.set("Lambda-Extension-Identifier", id);
    co_return to_answer(co_await poll_.send(std::move(request), std::nullopt));
  }

  asio::awaitable<Answer> subscribe(std::string body) {
    auto headers = identified_as(id);
    co_return co_await call(http::verb::put, "/2022-07-01/telemetry", std::move(body), headers);
  }

  asio::awaitable<Answer> subscribe_to(std::uint16_t port, int timeout_ms = 25,
                                       std::string types = R"(["platform","function","extension"])",
                                       std::string schema = "2022-12-13") {
    co_return co_await subscribe(
        R"({"schemaVersion":")" + schema + R"(","types":)" + types +
        R"(,"buffering":{"maxItems":1000,"maxBytes":262144,"timeoutMs":)" +
        std::to_string(timeout_ms) + R"(},"destination":{"protocol":"HTTP","URI":"http://sandbox.localdomain:)" +
        std::to_string(port) + R"(/telemetry"}})");
  }

  asio::awaitable<Answer> report_error(const char* which, std::string error_type) {
    auto headers = identified_as(id);
    if (!error_type.empty())
      headers.emplace_back("Lambda-Extension-Function-Error-Type", error_type);
    co_return co_await call(http::verb::post, std::string("/2020-01-01/extension/") + which,
                            R"({"errorMessage":"boom","errorType":"Extension.Test"})", headers);
  }

 private:
  net::HttpClient control_;
  net::HttpClient poll_;
};

// Every event a RecordingSink accepted, in arrival order.
inline std::vector<json::object> events_received(const RecordingSink& sink) {
  std::vector<json::object> out;
  for (const auto& request : sink.received()) {
    if (request.status / 100 != 2) continue;
    const auto batch = json::parse(request.body);
    for (const auto& event : batch.as_array()) out.push_back(event.as_object());
  }
  return out;
}

// Shape checks by hand: std::regex trips GCC 12's -O2 maybe-uninitialized false positive.
inline bool matches(std::string_view text, std::string_view pattern) {
  // pattern: 'h' hex digit, 'd' decimal digit, anything else literal
  if (text.size() != pattern.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool ok = pattern[i] == 'h'   ? (std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f'))
                    : pattern[i] == 'd' ? std::isdigit(static_cast<unsigned char>(c)) != 0
                                        : c == pattern[i];
    if (!ok) return false;
  }
  return true;
}

inline bool is_uuid_v4(std::string_view text) {
  return matches(text, "hhhhhhhh-hhhh-4hhh-hhhh-hhhhhhhhhhhh") &&
         std::string_view("89ab").find(text[19]) != std::string_view::npos;
}

inline bool is_utc_millis(std::string_view text) {
  return matches(text, "dddd-dd-ddTdd:dd:dd.dddZ");
}

inline std::int64_t epoch_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline std::string type_of(const json::object& event) {
  return std::string(event.at("type").as_string());
}

}  // namespace ltf::emulator::emutest
