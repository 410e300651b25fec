// FakeOpenSearch's HTTP vocabulary: the route table, the reply bodies, filter_path and the front
// door's small parsers (see opensearch_http.hpp).
#include "opensearch_http.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace ltf::emulator::opensearch {

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

namespace {

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

}  // namespace

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

namespace {

std::optional<json::value> filter_object(const json::object& object, const PathPatterns& patterns) {
  json::object kept;
  for (const auto& [key, value] : object) {
    PathPatterns rest;
    bool whole = false;
    for (const auto& pattern : patterns) {
      if (!glob_match(pattern.front(), key)) continue;
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

}  // namespace

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
  return json_reply(failure.status, error_response_body(failure));
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


net::Response with_filter(net::Response response, const std::optional<std::string>& filter_path) {
  if (!filter_path || response.result_int() / 100 != 2) return response;
  boost::system::error_code ec;
  auto body = json::parse(response.body(), ec);
  if (ec) return response;
  auto kept = filter_value(body, parse_filter_path(*filter_path));
  response.body() = json::serialize(kept ? *kept : json::value(json::object{}));
  return response;
}


}  // namespace ltf::emulator::opensearch
