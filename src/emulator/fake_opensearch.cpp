// FakeOpenSearch's HTTP side: the front door (faults, size limit, auth, Content-Encoding and
// Content-Type), the router, and the small REST handlers. The bulk semantics live in
// opensearch_bulk.cpp and the cluster state in opensearch_cluster.cpp.
//
// Auth failure bodies are not in our contract; these follow what servers are reported to send:
// the security plugin answers a missing or wrong basic login 401 "Unauthorized" with
// WWW-Authenticate: Basic realm="OpenSearch Security"; AWS answers a refused signature 403 with
// {"message": "..."} and the error code in X-Amzn-ErrorType.
#include "ltf/fake_opensearch.hpp"

#include "ltf/aws.hpp"
#include "ltf/net.hpp"
#include "ltf/notifier.hpp"
#include "opensearch_bulk.hpp"
#include "opensearch_cluster.hpp"
#include "util.hpp"

#include <boost/asio/ip/address_v4.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <random>
#include <set>

namespace ltf::emulator {

namespace asio = boost::asio;
namespace json = boost::json;
namespace http = net::http;
using opensearch::Failure;

// ---------------------------------------------------------------------------------------------
// Routes

namespace {

enum class Route { info, bulk, index_bulk, index, templates, index_template, data_stream };

struct RouteSpec {
  Route route;
  std::string_view path;
  std::vector<http::verb> verbs;
};

// Most specific first: "{index}" never matches a segment starting with '_'.
const std::vector<RouteSpec>& routes() {
  using v = http::verb;
  static const std::vector<RouteSpec> table{
      {Route::info, "/", {v::get, v::head}},
      {Route::bulk, "/_bulk", {v::post, v::put}},
      {Route::templates, "/_index_template", {v::get}},
      {Route::index_template, "/_index_template/{name}", {v::put, v::post, v::get, v::head, v::delete_}},
      {Route::data_stream, "/_data_stream/{name}", {v::put, v::get, v::delete_}},
      {Route::index_bulk, "/{index}/_bulk", {v::post, v::put}},
      {Route::index, "/{index}", {v::put, v::head, v::get, v::delete_}},
  };
  return table;
}

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  for (std::size_t start = 1; start <= path.size();) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (end > start) out.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// The route whose template fits `segments`, with the values of its {placeholders} in order.
const RouteSpec* match(const std::vector<std::string>& segments, std::vector<std::string>& values) {
  for (const auto& spec : routes()) {
    const auto pattern = split_path(spec.path);
    if (pattern.size() != segments.size()) continue;
    std::vector<std::string> found;
    bool fits = true;
    for (std::size_t i = 0; i < pattern.size() && fits; ++i) {
      if (pattern[i].front() == '{') {
        fits = !segments[i].empty() && (pattern[i] != "{index}" || segments[i].front() != '_');
        found.push_back(segments[i]);
      } else {
        fits = pattern[i] == segments[i];
      }
    }
    if (fits) {
      values = std::move(found);
      return &spec;
    }
  }
  return nullptr;
}

std::string lowercase(std::string text) {
  for (char& c : text)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return text;
}

// "application/x-ndjson; charset=UTF-8" -> "application/x-ndjson"
std::string media_type(const std::string& content_type) {
  auto type = lowercase(content_type.substr(0, content_type.find(';')));
  const auto first = type.find_first_not_of(" \t");
  const auto last = type.find_last_not_of(" \t");
  return first == std::string::npos ? "" : type.substr(first, last - first + 1);
}

std::optional<std::string> base64_decode(std::string_view text) {
  auto value_of = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  std::string out;
  unsigned bits = 0;
  int count = 0;
  for (char c : text) {
    const int v = value_of(c);
    if (v < 0) return std::nullopt;
    bits = (bits << 6) | static_cast<unsigned>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> count) & 0xff);
    }
  }
  return out;
}

// filter_path: comma-separated dotted patterns, `*` within a segment. What no pattern keeps is
// dropped, and so are objects and array elements that end up empty.
using PathPatterns = std::vector<std::vector<std::string>>;

PathPatterns parse_filter_path(std::string_view text) {
  PathPatterns out;
  for (std::size_t start = 0; start <= text.size();) {
    auto end = text.find(',', start);
    if (end == std::string_view::npos) end = text.size();
    const auto pattern = text.substr(start, end - start);
    if (!pattern.empty()) {
      std::vector<std::string> segments;
      for (std::size_t s = 0; s <= pattern.size();) {
        auto dot = pattern.find('.', s);
        if (dot == std::string_view::npos) dot = pattern.size();
        segments.emplace_back(pattern.substr(s, dot - s));
        s = dot + 1;
      }
      out.push_back(std::move(segments));
    }
    start = end + 1;
  }
  return out;
}

std::optional<json::value> filter_value(const json::value& value, const PathPatterns& patterns);

std::optional<json::value> filter_object(const json::object& object, const PathPatterns& patterns) {
  json::object kept;
  for (const auto& [key, value] : object) {
    PathPatterns rest;
    bool whole = false;
    for (const auto& pattern : patterns) {
      if (!opensearch::glob_match(pattern.front(), key)) continue;
      if (pattern.size() == 1) whole = true;
      else rest.emplace_back(pattern.begin() + 1, pattern.end());
    }
    if (whole) kept[key] = value;
    else if (!rest.empty())
      if (auto inner = filter_value(value, rest)) kept[key] = std::move(*inner);
  }
  if (kept.empty()) return std::nullopt;
  return json::value(std::move(kept));
}

std::optional<json::value> filter_value(const json::value& value, const PathPatterns& patterns) {
  if (value.is_object()) return filter_object(value.get_object(), patterns);
  if (value.is_array()) {
    json::array kept;
    for (const auto& element : value.get_array())
      if (auto inner = filter_value(element, patterns)) kept.push_back(std::move(*inner));
    if (kept.empty()) return std::nullopt;
    return json::value(std::move(kept));
  }
  return std::nullopt;  // a scalar with pattern segments left over matches nothing
}

net::Response json_reply(unsigned status, const json::value& body) {
  net::Response response{static_cast<http::status>(status), 11};
  response.set(http::field::content_type, "application/json; charset=UTF-8");
  response.body() = json::serialize(body);
  return response;
}

net::Response failure_reply(const Failure& failure) {
  return json_reply(failure.status, opensearch::error_response_body(failure));
}

Failure request_failure(unsigned status, std::string type, std::string reason) {
  return Failure{status, std::move(type), std::move(reason), {}};
}

net::Response too_large_reply(std::uint64_t limit) {
  return json_reply(413, json::object{{"Message", "Request size exceeded " + std::to_string(limit) +
                                                      " bytes"}});
}

net::Response fault_reply(const OpenSearchFault& fault) {
  net::Response response;
  if (fault.status == 413) {
    response = too_large_reply(0);
  } else {
    const auto type = fault.status == 429   ? "rejected_execution_exception"
                      : fault.status == 503 ? "unavailable_shards_exception"
                      : fault.status == 500 ? "exception"
                                            : "fake_fault_exception";
    const auto reason =
        fault.status == 429
            ? std::string("rejected execution of coordinating operation [coordinating_and_primary_bytes=0, "
                          "replica_bytes=0, all_bytes=0, coordinating_operation_bytes=0, "
                          "max_coordinating_and_primary_bytes=0]")
            : "FakeOpenSearch was told to answer " + std::to_string(fault.status);
    response = failure_reply(request_failure(fault.status, type, reason));
  }
  if (fault.retry_after_seconds)
    response.set(http::field::retry_after, std::to_string(*fault.retry_after_seconds));
  return response;
}

const char* verb_name(http::verb verb) {
  switch (verb) {
    case http::verb::get: return "GET";
    case http::verb::head: return "HEAD";
    case http::verb::post: return "POST";
    case http::verb::put: return "PUT";
    case http::verb::delete_: return "DELETE";
    default: return "?";
  }
}

}  // namespace

std::vector<OpenSearchOperation> fake_opensearch_operations() {
  std::vector<OpenSearchOperation> out;
  for (const auto& spec : routes())
    for (auto verb : spec.verbs) out.push_back({verb_name(verb), std::string(spec.path)});
  return out;
}

OpenSearchAuth OpenSearchAuth::basic(std::string username, std::string password) {
  OpenSearchAuth auth;
  auth.kind = Kind::basic;
  auth.username = std::move(username);
  auth.password = std::move(password);
  return auth;
}

OpenSearchAuth OpenSearchAuth::sigv4(std::string service, std::string region,
                                     std::string access_key_id, std::string secret_access_key,
                                     std::string session_token) {
  OpenSearchAuth auth;
  auth.kind = Kind::sigv4;
  auth.service = std::move(service);
  auth.region = std::move(region);
  auth.access_key_id = std::move(access_key_id);
  auth.secret_access_key = std::move(secret_access_key);
  auth.session_token = std::move(session_token);
  return auth;
}

// ---------------------------------------------------------------------------------------------
// Core

struct FakeOpenSearch::Core : std::enable_shared_from_this<FakeOpenSearch::Core> {
  Core(asio::any_io_executor ex, FakeOpenSearchOptions o)
      : executor(ex),
        options(std::move(o)),
        draws(options.seed),
        ids(options.seed ^ 0x9e3779b97f4a7c15ULL),
        changed(std::make_shared<async::Notifier>(ex)) {}

  asio::any_io_executor executor;
  FakeOpenSearchOptions options;
  OpenSearchFault fault;
  double rejection_rate = 0;
  std::mt19937_64 draws, ids;
  std::shared_ptr<async::Notifier> changed;
  opensearch::Cluster cluster;
  OpenSearchCounters counters;
  std::vector<OpenSearchRequest> received;

  std::uint16_t port = 0;
  bool listening = false;
  std::unique_ptr<net::HttpServer> server;
  std::uint64_t generation = 0;  // bumped whenever the listener closes: releases hung requests

  boost::system::error_code open();
  void close();
  boost::system::error_code apply_fault();

  OpenSearchFault take_fault();
  asio::awaitable<void> hang_until_closed();
  asio::awaitable<net::Response> handle(net::Request& request);
  net::Response serve(net::Request& request, std::size_t entry);
  std::optional<net::Response> check_auth(const net::Request& request);
  net::Response route(const net::Request& request, const std::string& body);
  net::Response bulk(const net::Request& request, const std::string& body,
                     std::optional<std::string> index);
  net::Response index_api(http::verb verb, const std::string& name, const net::Request& request,
                          const std::string& body);
  net::Response template_api(http::verb verb, const std::string& name,
                             const net::Request& request, const std::string& body);
  net::Response templates_listing();
  net::Response data_stream_api(http::verb verb, const std::string& name);
  std::optional<net::Response> json_body(const net::Request& request, const std::string& body,
                                         bool required, json::object& out);
  const opensearch::Index* find(const std::string& name) const;
};

namespace {

net::Response with_filter(net::Response response, const std::optional<std::string>& filter_path) {
  if (!filter_path || response.result_int() / 100 != 2) return response;
  boost::system::error_code ec;
  auto body = json::parse(response.body(), ec);
  if (ec) return response;
  auto kept = filter_value(body, parse_filter_path(*filter_path));
  response.body() = json::serialize(kept ? *kept : json::value(json::object{}));
  return response;
}

}  // namespace

boost::system::error_code FakeOpenSearch::Core::open() {
  close();
  std::weak_ptr<Core> weak = shared_from_this();
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

void FakeOpenSearch::Core::close() {
  if (server) {
    server->stop();
    server.reset();
  }
  ++generation;
  changed->notify();
}

boost::system::error_code FakeOpenSearch::Core::apply_fault() {
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
OpenSearchFault FakeOpenSearch::Core::take_fault() {
  const auto now = fault;
  if (now.kind != OpenSearchFault::Kind::ok && now.times > 0 && --fault.times == 0)
    fault = OpenSearchFault::ok();
  return now;
}

asio::awaitable<void> FakeOpenSearch::Core::hang_until_closed() {
  auto self = shared_from_this();
  const auto mine = generation;
  std::function<bool()> released = [self, mine] { return self->generation != mine; };
  co_await changed->wait_until(std::move(released));
}

asio::awaitable<net::Response> FakeOpenSearch::Core::handle(net::Request& request) {
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

net::Response FakeOpenSearch::Core::serve(net::Request& request, std::size_t entry) {
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

std::optional<net::Response> FakeOpenSearch::Core::check_auth(const net::Request& request) {
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
  aws::VerifyParams params;
  params.region = auth.region;
  params.service = auth.service;
  params.now = std::chrono::system_clock::now();
  params.require_content_sha256 = auth.service == "aoss";
  const aws::Credentials expected{auth.access_key_id, auth.secret_access_key, auth.session_token};
  const auto verdict = aws::verify_signature(request, expected, params);
  if (verdict) return std::nullopt;
  auto response = json_reply(
      403, json::object{{"message", verdict.reason.empty() ? "Forbidden" : verdict.reason}});
  if (!verdict.code.empty()) response.set("X-Amzn-ErrorType", verdict.code);
  return response;
}

net::Response FakeOpenSearch::Core::route(const net::Request& request, const std::string& body) {
  const auto target = boost::urls::parse_origin_form(request.target());
  if (!target)
    return failure_reply(request_failure(400, "illegal_argument_exception",
                                         "invalid request target [" + std::string(request.target()) + "]"));
  std::vector<std::string> segments;
  for (auto segment : target->segments()) segments.push_back(segment);
  std::optional<std::string> filter_path;
  if (auto it = target->params().find("filter_path"); it != target->params().end())
    filter_path = (*it).value;
  const std::string path(target->path());
  const std::string method(request.method_string());

  std::vector<std::string> values;
  const auto* spec = match(segments, values);
  if (!spec)
    return json_reply(400, json::object{{"error", "no handler found for uri [" + path +
                                                      "] and method [" + method + "]"}});
  const auto verb = request.method();
  if (std::find(spec->verbs.begin(), spec->verbs.end(), verb) == spec->verbs.end()) {
    std::string allowed;
    for (auto v : spec->verbs) allowed += (allowed.empty() ? "" : ", ") + std::string(verb_name(v));
    return json_reply(405, json::object{{"error", "Incorrect HTTP method for uri [" + path +
                                                      "] and method [" + method +
                                                      "], allowed: [" + allowed + "]"},
                                        {"status", 405}});
  }
  switch (spec->route) {
    case Route::info:
      return json_reply(
          200, json::object{{"name", "fake-opensearch-node"},
                            {"cluster_name", "fake-opensearch"},
                            {"cluster_uuid", "fakeClusterUuid0000001"},
                            {"version", json::object{{"distribution", "opensearch"},
                                                     {"number", "2.17.0"},
                                                     {"build_type", "fake"},
                                                     {"minimum_wire_compatibility_version", "7.10.0"},
                                                     {"minimum_index_compatibility_version", "7.0.0"}}},
                            {"tagline", "The OpenSearch Project: https://opensearch.org/"}});
    case Route::bulk:
      return with_filter(bulk(request, body, std::nullopt), filter_path);
    case Route::index_bulk:
      return with_filter(bulk(request, body, values[0]), filter_path);
    case Route::index:
      return with_filter(index_api(verb, values[0], request, body), filter_path);
    case Route::templates:
      return with_filter(templates_listing(), filter_path);
    case Route::index_template:
      return with_filter(template_api(verb, values[0], request, body), filter_path);
    case Route::data_stream:
      return with_filter(data_stream_api(verb, values[0]), filter_path);
  }
  return json_reply(500, json::object{});
}

net::Response FakeOpenSearch::Core::bulk(const net::Request& request, const std::string& body,
                                         std::optional<std::string> index) {
  const auto content_type = header(request, "Content-Type");
  const auto type = media_type(content_type);
  if (type != "application/x-ndjson" && type != "application/json") {
    ++counters.malformed;
    return json_reply(406, json::object{{"error", "Content-Type header [" + content_type +
                                                      "] is not supported"},
                                        {"status", 406}});
  }
  opensearch::BulkSettings settings;
  settings.path_index = std::move(index);
  settings.refuse_custom_ids =
      options.serverless && options.collection != CollectionType::search;
  settings.auto_create_index = options.auto_create_index;
  settings.rejection_rate = rejection_rate;
  auto result = opensearch::run_bulk(cluster, body, settings, draws, ids);
  if (result.request_error) {
    ++counters.malformed;
    return failure_reply(*result.request_error);
  }
  ++counters.bulk_requests;
  counters.items += result.tally.items;
  counters.created += result.tally.created;
  counters.updated += result.tally.updated;
  counters.deleted += result.tally.deleted;
  counters.conflicts += result.tally.conflicts;
  counters.rejected_items += result.tally.rejected;
  counters.item_errors += result.tally.errors;
  return json_reply(200, result.response);
}

// A request body that must be a JSON object (or may be empty when not `required`). Returns the
// refusal, if any.
std::optional<net::Response> FakeOpenSearch::Core::json_body(const net::Request& request,
                                                             const std::string& body,
                                                             bool required, json::object& out) {
  if (body.empty()) {
    if (!required) return std::nullopt;
    return failure_reply(request_failure(400, "parse_exception", "request body is required"));
  }
  const auto content_type = header(request, "Content-Type");
  const auto type = media_type(content_type);
  if (type != "application/json" && type != "application/x-ndjson") {
    ++counters.malformed;
    return json_reply(406, json::object{{"error", "Content-Type header [" + content_type +
                                                      "] is not supported"},
                                        {"status", 406}});
  }
  boost::system::error_code ec;
  auto parsed = json::parse(body, ec);
  if (ec || !parsed.is_object())
    return failure_reply(request_failure(
        400, "parse_exception",
        "request body is not a JSON object" + (ec ? ": " + ec.message() : std::string())));
  out = std::move(parsed.get_object());
  return std::nullopt;
}

const opensearch::Index* FakeOpenSearch::Core::find(const std::string& name) const {
  if (const auto* index = cluster.find(name)) return index;
  for (const auto& each : cluster.names())
    if (const auto* index = cluster.find(each); index->write_name == name) return index;
  return nullptr;
}

net::Response FakeOpenSearch::Core::index_api(http::verb verb, const std::string& name,
                                              const net::Request& request,
                                              const std::string& body) {
  if (verb == http::verb::put) {
    json::object parsed;
    if (auto refused = json_body(request, body, false, parsed)) return std::move(*refused);
    if (auto refused = cluster.create_index(name, parsed)) return failure_reply(*refused);
    return json_reply(200, json::object{{"acknowledged", true},
                                        {"shards_acknowledged", true},
                                        {"index", name}});
  }
  if (verb == http::verb::delete_) {
    if (auto refused = cluster.delete_index(name)) return failure_reply(*refused);
    return json_reply(200, json::object{{"acknowledged", true}});
  }
  const auto* index = find(name);
  if (!index)
    return failure_reply(Failure{404, "index_not_found_exception", "no such index [" + name + "]",
                                 json::object{{"index", name}, {"index_uuid", "_na_"}}});
  if (verb == http::verb::head) return json_reply(200, json::object{});
  json::object settings{{"index", json::object{{"uuid", index->uuid},
                                               {"number_of_shards", "1"},
                                               {"number_of_replicas", "1"}}}};
  opensearch::merge_into(settings, index->settings);
  json::object described{{"aliases", json::object{}},
                         {"mappings", index->mappings},
                         {"settings", std::move(settings)}};
  return json_reply(200, json::object{{index->write_name, std::move(described)}});
}

net::Response FakeOpenSearch::Core::templates_listing() {
  json::array listed;
  for (const auto& name : cluster.template_names()) {
    const auto* t = cluster.find_template(name);
    listed.push_back(json::object{{"name", t->name}, {"index_template", t->body}});
  }
  return json_reply(200, json::object{{"index_templates", std::move(listed)}});
}

net::Response FakeOpenSearch::Core::template_api(http::verb verb, const std::string& name,
                                                 const net::Request& request,
                                                 const std::string& body) {
  if (verb == http::verb::put || verb == http::verb::post) {
    json::object parsed;
    if (auto refused = json_body(request, body, true, parsed)) return std::move(*refused);
    if (auto refused = cluster.put_template(name, parsed)) return failure_reply(*refused);
    return json_reply(200, json::object{{"acknowledged", true}});
  }
  if (verb == http::verb::delete_) {
    if (!cluster.delete_template(name))
      return failure_reply(Failure{404, "index_template_missing_exception",
                                   "index_template [" + name + "] missing", {}});
    return json_reply(200, json::object{{"acknowledged", true}});
  }
  const auto* t = cluster.find_template(name);
  if (!t)
    return failure_reply(Failure{404, "resource_not_found_exception",
                                 "index template matching [" + name + "] not found", {}});
  if (verb == http::verb::head) return json_reply(200, json::object{});
  json::array listed{json::object{{"name", t->name}, {"index_template", t->body}}};
  return json_reply(200, json::object{{"index_templates", std::move(listed)}});
}

net::Response FakeOpenSearch::Core::data_stream_api(http::verb verb, const std::string& name) {
  if (verb == http::verb::put) {
    if (auto refused = cluster.create_data_stream(name)) return failure_reply(*refused);
    return json_reply(200, json::object{{"acknowledged", true}});
  }
  const auto* stream = cluster.find(name);
  if (!stream || !stream->timestamp_field)
    return failure_reply(Failure{404, "resource_not_found_exception",
                                 "data_stream matching [" + name + "] not found", {}});
  if (verb == http::verb::delete_) {
    cluster.delete_index(name);
    return json_reply(200, json::object{{"acknowledged", true}});
  }
  json::object described{
      {"name", stream->name},
      {"timestamp_field", json::object{{"name", *stream->timestamp_field}}},
      {"indices", json::array{json::object{{"index_name", stream->write_name},
                                           {"index_uuid", stream->uuid}}}},
      {"generation", 1},
      {"status", "GREEN"}};
  return json_reply(200, json::object{{"data_streams", json::array{std::move(described)}}});
}

// ---------------------------------------------------------------------------------------------

FakeOpenSearch::FakeOpenSearch(asio::any_io_executor executor, FakeOpenSearchOptions options)
    : core_(std::make_shared<Core>(std::move(executor), std::move(options))) {}

FakeOpenSearch::~FakeOpenSearch() { stop(); }

boost::system::error_code FakeOpenSearch::listen(std::uint16_t port) {
  core_->port = port;
  // Bound first even when the fault is `refuse`, so that port 0 becomes a real port to keep.
  if (auto ec = core_->open()) return ec;
  core_->listening = true;
  return core_->apply_fault();
}

std::uint16_t FakeOpenSearch::port() const { return core_->port; }
std::string FakeOpenSearch::url() const { return "http://127.0.0.1:" + std::to_string(core_->port); }

void FakeOpenSearch::stop() {
  core_->listening = false;
  core_->close();
}

void FakeOpenSearch::set_fault(OpenSearchFault fault) {
  core_->fault = fault;
  if (auto ec = core_->apply_fault())
    throw boost::system::system_error(ec, "FakeOpenSearch: cannot reopen port " +
                                              std::to_string(core_->port));
}

OpenSearchFault FakeOpenSearch::fault() const { return core_->fault; }
void FakeOpenSearch::set_item_rejection_rate(double fraction) { core_->rejection_rate = fraction; }
void FakeOpenSearch::set_max_body_bytes(std::uint64_t bytes) { core_->options.max_body_bytes = bytes; }
void FakeOpenSearch::set_auth(OpenSearchAuth auth) { core_->options.auth = std::move(auth); }
const FakeOpenSearchOptions& FakeOpenSearch::options() const { return core_->options; }

std::string FakeOpenSearch::create_index(const std::string& index, const boost::json::object& body) {
  auto refused = core_->cluster.create_index(index, body);
  return refused ? refused->type + ": " + refused->reason : std::string();
}

std::string FakeOpenSearch::put_index_template(const std::string& name,
                                               const boost::json::object& body) {
  auto refused = core_->cluster.put_template(name, body);
  return refused ? refused->type + ": " + refused->reason : std::string();
}

bool FakeOpenSearch::has_index(const std::string& index) const { return core_->find(index); }
bool FakeOpenSearch::has_index_template(const std::string& name) const {
  return core_->cluster.find_template(name) != nullptr;
}
bool FakeOpenSearch::is_data_stream(const std::string& name) const {
  const auto* index = core_->cluster.find(name);
  return index && index->timestamp_field;
}
std::vector<std::string> FakeOpenSearch::indices() const { return core_->cluster.names(); }

std::size_t FakeOpenSearch::document_count(const std::string& index) const {
  const auto* found = core_->find(index);
  return found ? found->documents.size() : 0;
}

std::size_t FakeOpenSearch::document_count() const {
  std::size_t total = 0;
  for (const auto& name : core_->cluster.names()) total += core_->cluster.find(name)->documents.size();
  return total;
}

std::map<std::string, std::size_t> FakeOpenSearch::document_counts() const {
  std::map<std::string, std::size_t> out;
  for (const auto& name : core_->cluster.names()) out[name] = core_->cluster.find(name)->documents.size();
  return out;
}

std::optional<boost::json::object> FakeOpenSearch::document(const std::string& index,
                                                            const std::string& id) const {
  const auto* found = core_->find(index);
  if (!found) return std::nullopt;
  auto it = found->documents.find(id);
  if (it == found->documents.end()) return std::nullopt;
  return it->second.source;
}

std::vector<StoredDocument> FakeOpenSearch::documents(const std::string& index) const {
  std::vector<StoredDocument> out;
  if (const auto* found = core_->find(index))
    for (const auto& [_, doc] : found->documents) out.push_back(doc);
  return out;
}

std::optional<boost::json::object> FakeOpenSearch::mapping(const std::string& index) const {
  const auto* found = core_->find(index);
  if (!found) return std::nullopt;
  return found->mappings;
}

std::size_t FakeOpenSearch::duplicate_documents(const std::string& index) const {
  const auto* found = core_->find(index);
  if (!found) return 0;
  std::set<std::string> seen;
  std::size_t repeats = 0;
  for (const auto& [_, doc] : found->documents) {
    const auto* event_id = doc.source.if_contains("event_id");
    auto key = event_id && event_id->is_string() ? "event_id:" + std::string(event_id->get_string())
                                                 : "source:" + json::serialize(doc.source);
    if (!seen.insert(std::move(key)).second) ++repeats;
  }
  return repeats;
}

std::string FakeOpenSearch::summary() const {
  const auto& c = core_->counters;
  std::string out = "opensearch: " + std::to_string(c.requests) + " requests (" +
                    std::to_string(c.bulk_requests) + " bulk, " + std::to_string(c.malformed) +
                    " malformed, " + std::to_string(c.auth_failures) + " refused by auth, " +
                    std::to_string(c.too_large) + " too large, " + std::to_string(c.faulted) +
                    " faulted), " + std::to_string(c.items) + " items: " +
                    std::to_string(c.created) + " created, " + std::to_string(c.updated) +
                    " updated, " + std::to_string(c.conflicts) + " 409 (already stored), " +
                    std::to_string(c.rejected_items) + " 429, " +
                    std::to_string(c.item_errors - c.conflicts - c.rejected_items) +
                    " other errors\n";
  for (const auto& name : core_->cluster.names())
    out += "  " + name + ": " + std::to_string(document_count(name)) + " documents, " +
           std::to_string(duplicate_documents(name)) + " duplicates\n";
  return out;
}

boost::json::object FakeOpenSearch::summary_json() const {
  const auto& c = core_->counters;
  json::object indices;
  for (const auto& name : core_->cluster.names())
    indices[name] = json::object{{"documents", document_count(name)},
                                 {"duplicates", duplicate_documents(name)}};
  return json::object{{"requests", c.requests},
                      {"bulk_requests", c.bulk_requests},
                      {"items", c.items},
                      {"created", c.created},
                      {"updated", c.updated},
                      {"deleted", c.deleted},
                      {"conflicts", c.conflicts},
                      {"rejected_items", c.rejected_items},
                      {"item_errors", c.item_errors},
                      {"malformed", c.malformed},
                      {"auth_failures", c.auth_failures},
                      {"too_large", c.too_large},
                      {"faulted", c.faulted},
                      {"documents", document_count()},
                      {"indices", std::move(indices)}};
}

const OpenSearchCounters& FakeOpenSearch::counters() const { return core_->counters; }
const std::vector<OpenSearchRequest>& FakeOpenSearch::received() const { return core_->received; }

asio::awaitable<bool> FakeOpenSearch::wait_until(std::function<bool()> condition,
                                                 std::chrono::milliseconds limit) {
  auto changed = core_->changed;
  co_return co_await changed->wait_until(std::move(condition), std::chrono::steady_clock::now() + limit);
}

// The conditions are named before the co_await: GCC 12 destroys a closure temporary inside a
// co_await expression twice, which is fatal for one that owns a shared_ptr.
asio::awaitable<bool> FakeOpenSearch::wait_for_requests(std::uint64_t n,
                                                        std::chrono::milliseconds limit) {
  auto core = core_;
  std::function<bool()> enough = [core, n] { return core->counters.requests >= n; };
  co_return co_await core->changed->wait_until(std::move(enough), std::chrono::steady_clock::now() + limit);
}

asio::awaitable<bool> FakeOpenSearch::wait_for_documents(std::size_t n,
                                                         std::chrono::milliseconds limit) {
  auto core = core_;
  std::function<bool()> enough = [core, n] {
    std::size_t total = 0;
    for (const auto& name : core->cluster.names()) total += core->cluster.find(name)->documents.size();
    return total >= n;
  };
  co_return co_await core->changed->wait_until(std::move(enough), std::chrono::steady_clock::now() + limit);
}

}  // namespace ltf::emulator
