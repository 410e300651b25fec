#pragma once
// The fixture of FakeOpenSearch's tests: a FakeOpenSearch on the test's own io_context and a client
// that sends it one request and returns the answer, parsed. Every expectation in those tests is
// from shared/spec/opensearch-and-aws-auth.md or the OpenAPI bundle next to it.
#include "ltf/fake_opensearch.hpp"
#include "ltf/net.hpp"
#include "support/await.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

namespace ltf::emulator::ostest {

namespace asio = boost::asio;
namespace json = boost::json;
namespace http = boost::beast::http;
using namespace std::chrono_literals;

inline const std::string kNdjson = "application/x-ndjson";

inline std::string base64(const std::string& text) {
  std::string out(4 * ((text.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

inline std::string shared_file(const std::string& relative) {
  std::ifstream file(std::filesystem::path(LTF_SHARED_DIR) / relative);
  return std::string((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
}

class FakeOpenSearchTest : public ::testing::Test {
 protected:
  FakeOpenSearchTest() { start({}); }

  void start(FakeOpenSearchOptions options) {
    os.reset();
    os.emplace(io.get_executor(), std::move(options));
    EXPECT_FALSE(os->listen());
  }

  net::Request request(http::verb verb, const std::string& target, std::string body = "",
                       const std::string& content_type = kNdjson) {
    net::Request r{verb, target, 11};
    if (!content_type.empty()) r.set(http::field::content_type, content_type);
    r.body() = std::move(body);
    r.prepare_payload();
    return r;
  }

  asio::awaitable<net::Exchange> send(net::Request r, std::chrono::milliseconds timeout = 5s) {
    net::HttpClient client(io.get_executor(), "127.0.0.1", std::to_string(os->port()));
    co_return co_await client.send(std::move(r), timeout);
  }

  // Sends and returns status and parsed JSON body (null when the body is not JSON).
  struct Answer {
    unsigned status = 0;
    json::value body;
    net::Response response;
  };
  Answer call(net::Request r) {
    Answer answer;
    ltf::test::run_until_done(io, [&]() -> asio::awaitable<void> {
      auto exchange = co_await send(std::move(r));
      EXPECT_TRUE(exchange.ok()) << exchange.error.message();
      answer.status = exchange.response.result_int();
      boost::system::error_code ec;
      answer.body = json::parse(exchange.response.body(), ec);
      answer.response = std::move(exchange.response);
    }(), 20s);
    return answer;
  }
  Answer bulk(const std::string& body, const std::string& target = "/_bulk") {
    return call(request(http::verb::post, target, body));
  }

  static const json::object& item(const Answer& answer, std::size_t i, const std::string& op) {
    return answer.body.at("items").at(i).at(op).as_object();
  }
  static std::string error_type(const Answer& answer) {
    return std::string(answer.body.at("error").at("type").as_string());
  }
  static std::string error_reason(const Answer& answer) {
    return std::string(answer.body.at("error").at("reason").as_string());
  }

  asio::io_context io;
  std::optional<FakeOpenSearch> os;
};


}  // namespace ltf::emulator::ostest
