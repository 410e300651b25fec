#pragma once
// The OpenSearch sink tests' fixture: the sink against a scripted server on loopback, events and
// answers.
#include "ltf/opensearch.hpp"
#include "support/await.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

namespace ltf::test::opensearch_sink {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;
using ltf::net::Request;
using ltf::net::Response;
using ltf::opensearch::OpenSearchSink;
using ltf::sinks::Delivery;
using ltf::sinks::Outcome;
using ltf::telemetry::Event;
using namespace std::chrono_literals;

inline Event event(int n, std::string type = "function", std::string time = "2024-05-01T10:00:00.000Z") {
  Event e;
  e.type = std::move(type);
  e.time = std::move(time);
  e.raw = R"({"time":")" + e.time + R"(","type":")" + e.type + R"(","record":"line )" +
          std::to_string(n) + R"("})";
  e.id = "id-" + std::to_string(n);
  e.sequence = static_cast<std::uint64_t>(n);
  return e;
}

inline std::vector<Event> events(int count) {
  std::vector<Event> out;
  for (int i = 0; i < count; ++i) out.push_back(event(i));
  return out;
}

inline std::vector<std::string> lines_of(const std::string& body) {
  std::vector<std::string> lines;
  std::stringstream in(body);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

// The ids (or, without ids, the event_id fields) in a bulk body, in order.
inline std::vector<std::string> bulk_ids(const std::string& body) {
  std::vector<std::string> ids;
  const auto lines = lines_of(body);
  for (std::size_t i = 1; i < lines.size(); i += 2)
    ids.emplace_back(json::parse(lines[i]).at("event_id").as_string());
  return ids;
}

inline Response respond(unsigned status, std::string body = "{}") {
  Response response{static_cast<http::status>(status), 11};
  response.set(http::field::content_type, "application/json");
  response.body() = std::move(body);
  return response;
}

// 2xx for every item of a bulk body (gzip or not).
inline std::string all_created(const std::string& body) {
  std::string items;
  const auto inflated = ltf::net::gunzip(body, 1 << 24);
  const auto lines = lines_of(inflated.ok() ? inflated.data : body);
  for (std::size_t i = 0; i < lines.size(); i += 2)
    items += std::string(items.empty() ? "" : ",") + R"({"create":{"status":201}})";
  return R"({"errors":false,"items":[)" + items + "]}";
}

inline bool is_bulk(const Request& r) { return r.target().find("/_bulk") != std::string_view::npos; }

// Records what the sink's source hands out and how often it is told to forget.
struct CountingAuth final : ltf::opensearch::BasicAuthSource {
  int gets = 0;
  int invalidations = 0;
  asio::awaitable<ltf::opensearch::BasicAuthFetch> get() override {
    ++gets;
    co_return ltf::opensearch::BasicAuthFetch{ltf::aws::BasicAuth{"ingest", "s3cr3t-pa55"}, {}};
  }
  void invalidate() override { ++invalidations; }
  std::string describe() const override { return "counting"; }
};

struct OpenSearchSinkTest : ::testing::Test {
  OpenSearchSinkTest()
      : server(io.get_executor(), [this](Request& request) -> asio::awaitable<Response> {
          received.push_back(request);
          co_return co_await answer(request);
        }) {}

  void SetUp() override {
    ASSERT_FALSE(server.listen({asio::ip::make_address("127.0.0.1"), 0}));
    server.start();
    function = {"eu-west-1", "orders", "7"};
  }
  void TearDown() override { server.stop(); }

  ltf::opensearch::TransportOptions transport(std::string target = "/") {
    ltf::opensearch::TransportOptions t;
    t.url = {"http", "127.0.0.1", std::to_string(server.port()), std::move(target)};
    t.timeout = 5s;
    return t;
  }
  ltf::opensearch::SinkOptions options() {
    ltf::opensearch::SinkOptions o;
    o.function = function;
    return o;
  }
  Delivery deliver(OpenSearchSink& sink, const std::vector<Event>& batch) {
    return ltf::test::run_until_done(io, sink.deliver(batch));
  }
  std::vector<Request> bulks() const {
    std::vector<Request> out;
    std::copy_if(received.begin(), received.end(), std::back_inserter(out), is_bulk);
    return out;
  }

  asio::io_context io;
  std::vector<Request> received;
  ltf::telemetry::FunctionIdentity function;
  std::function<asio::awaitable<Response>(Request&)> answer =
      [](Request& r) -> asio::awaitable<Response> {
    co_return is_bulk(r) ? respond(200, all_created(r.body())) : respond(200, R"({"acknowledged":true})");
  };
  ltf::net::HttpServer server;
};


}  // namespace ltf::test::opensearch_sink
