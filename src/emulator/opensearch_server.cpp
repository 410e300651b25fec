// FakeOpenSearch's front door: the listener, whole-request faults, the body size limit, basic and
// SigV4 auth, and Content-Encoding, before a request reaches the REST handlers.
//
// Auth failure bodies are not in our contract; these follow what servers are reported to send:
// the security plugin answers a missing or wrong basic login 401 "Unauthorized" with
// WWW-Authenticate: Basic realm="OpenSearch Security"; AWS answers a refused signature 403 with
// {"message": "..."} and the error code in X-Amzn-ErrorType.
#include "opensearch_server.hpp"

#include "ltf/fake_aws.hpp"
#include "opensearch_http.hpp"
#include "util.hpp"

#include <boost/asio/ip/address_v4.hpp>

#include <algorithm>

namespace ltf::emulator {

using namespace opensearch;

boost::system::error_code FakeOpenSearch::Server::open() {
  close();
  std::weak_ptr<Server> weak = shared_from_this();
  net::ServerLimits limits;
  // Our own limit answers 413 with the documented body; the parser's is only a backstop.
  limits.body_limit = std::max<std::uint64_t>(128 * 1024 * 1024, options.max_body_bytes + 1);
  server = std::make_unique<net::HttpServer>(
      executor,
      [weak](net::Request& request) -> asio::awaitable<net::Response> {
        auto core = weak.lock();
        if (!core) co_return json_reply(503, json::object{});
        co_return co_await core->handle(request);
      },
      limits);
  const asio::ip::tcp::endpoint endpoint{asio::ip::address_v4::loopback(), port};
  if (auto ec = server->listen(endpoint)) {
    server.reset();
    return ec;
  }
  port = server->port();
  server->start();
  return {};
}

void FakeOpenSearch::Server::close() {
  if (server) {
    server->stop();
    server.reset();
  }
  ++generation;
  changed->notify();
}

boost::system::error_code FakeOpenSearch::Server::apply_fault() {
  if (!listening) return {};
  const bool want_open = fault.kind != OpenSearchFault::Kind::refuse;
  if (want_open == static_cast<bool>(server)) return {};
  if (!want_open) {
    close();
    return {};
  }
  return open();
}

// The fault this request meets; a fault limited to some number of requests counts this one.
OpenSearchFault FakeOpenSearch::Server::take_fault() {
  const auto now = fault;
  if (now.kind != OpenSearchFault::Kind::ok && now.times > 0 && --fault.times == 0)
    fault = OpenSearchFault::ok();
  return now;
}

asio::awaitable<void> FakeOpenSearch::Server::hang_until_closed() {
  auto self = shared_from_this();
  const auto mine = generation;
  std::function<bool()> released = [self, mine] { return self->generation != mine; };
  co_await changed->wait_until(std::move(released));
}

asio::awaitable<net::Response> FakeOpenSearch::Server::handle(net::Request& request) {
  auto self = shared_from_this();
  ++counters.requests;
  OpenSearchRequest entry;
  entry.method = std::string(request.method_string());
  entry.target = std::string(request.target());
  entry.content_type = header(request, "Content-Type");
  entry.content_encoding = header(request, "Content-Encoding");
  entry.authorization = request.find(http::field::authorization) != request.end();
  entry.wire_bytes = request.body().size();
  const auto index = received.size();
  received.push_back(std::move(entry));
  changed->notify();

  const auto met = take_fault();
  using Kind = OpenSearchFault::Kind;
  if (met.kind == Kind::hang) {
    ++counters.faulted;
    co_await hang_until_closed();
    co_return json_reply(503, json::object{});  // never written: the listener is gone
  }
  net::Response response;
  if (met.kind == Kind::status) {
    ++counters.faulted;
    response = fault_reply(met);
  } else {
    response = serve(request, index);
  }
  if (met.kind == Kind::store_then_hang) {
    ++counters.faulted;
    changed->notify();
    co_await hang_until_closed();
    co_return response;  // never written: the listener is gone
  }
  if (request.method() == http::verb::head) response.body().clear();
  received[index].status = response.result_int();
  changed->notify();
  co_return response;
}

net::Response FakeOpenSearch::Server::serve(net::Request& request, std::size_t entry) {
  const auto limit = options.max_body_bytes;
  if (request.body().size() > limit) {
    ++counters.too_large;
    return too_large_reply(limit);
  }
  if (auto refused = check_auth(request)) {
    ++counters.auth_failures;
    return std::move(*refused);
  }
  std::string body;
  const auto encoding = lowercase(header(request, "Content-Encoding"));
  if (encoding == "gzip" && !request.body().empty()) {
    auto inflated = net::gunzip(request.body(), limit);
    if (inflated.status == net::Inflated::Status::too_large) {
      ++counters.too_large;
      return too_large_reply(limit);
    }
    if (!inflated.ok()) {
      ++counters.malformed;
      return failure_reply(request_failure(400, "illegal_argument_exception",
                                           "the body is not valid gzip (Content-Encoding: gzip)"));
    }
    body = std::move(inflated.data);
  } else if (encoding.empty() || encoding == "identity" || encoding == "gzip") {
    body = request.body();
  } else {
    ++counters.malformed;
    return failure_reply(request_failure(400, "illegal_argument_exception",
                                         "unsupported Content-Encoding [" + encoding + "]"));
  }
  received[entry].body = body;
  return route(request, body);
}

std::optional<net::Response> FakeOpenSearch::Server::check_auth(const net::Request& request) {
  const auto& auth = options.auth;
  if (auth.kind == OpenSearchAuth::Kind::none) return std::nullopt;
  if (auth.kind == OpenSearchAuth::Kind::basic) {
    const auto given = header(request, "Authorization");
    std::optional<std::string> login;
    if (given.size() > 6 && lowercase(given.substr(0, 6)) == "basic ")
      login = base64_decode(given.substr(6));
    if (login && *login == auth.username + ":" + auth.password) return std::nullopt;
    net::Response response{http::status::unauthorized, 11};
    response.set(http::field::www_authenticate, R"(Basic realm="OpenSearch Security")");
    response.set(http::field::content_type, "text/plain; charset=UTF-8");
    response.body() = "Unauthorized";
    return response;
  }
  sigv4::Expectation expected;
  expected.credentials = {auth.access_key_id, auth.secret_access_key, auth.session_token};
  expected.region = auth.region;
  expected.service = auth.service;
  expected.require_content_sha256 = auth.service == "aoss";
  const auto verdict = sigv4::verify(request, expected);
  if (verdict) return std::nullopt;
  auto response = json_reply(
      403, json::object{{"message", verdict.reason.empty() ? "Forbidden" : verdict.reason}});
  if (!verdict.code.empty()) response.set("X-Amzn-ErrorType", verdict.code);
  return response;
}

}  // namespace ltf::emulator
