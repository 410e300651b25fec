#pragma once
// FakeOpenSearch's HTTP vocabulary, with no I/O: the route table (what the fake serves), the reply
// bodies OpenSearch and AWS answer with, filter_path, and the small parsers of the front door.

#include "ltf/net.hpp"
#include "opensearch_cluster.hpp"

#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ltf::emulator::opensearch {

namespace http = net::http;

enum class Route { info, bulk, index_bulk, index, templates, index_template, data_stream };

struct RouteSpec {
  Route route;
  std::string_view path;
  std::vector<http::verb> verbs;
};

// Every route, most specific first: "{index}" never matches a segment starting with '_'.
const std::vector<RouteSpec>& routes();
// The route whose template fits `segments`, with the values of its {placeholders} in order.
const RouteSpec* match(const std::vector<std::string>& segments, std::vector<std::string>& values);
const char* verb_name(http::verb verb);

std::string lowercase(std::string text);
// "application/x-ndjson; charset=UTF-8" -> "application/x-ndjson"
std::string media_type(const std::string& content_type);
std::optional<std::string> base64_decode(std::string_view text);

// filter_path: comma-separated dotted patterns, `*` within a segment. What no pattern keeps is
// dropped, and so are objects and array elements that end up empty.
using PathPatterns = std::vector<std::vector<std::string>>;
PathPatterns parse_filter_path(std::string_view text);
std::optional<json::value> filter_value(const json::value& value, const PathPatterns& patterns);
// A 2xx JSON answer filtered by `filter_path` (when given); anything else as it is.
net::Response with_filter(net::Response response, const std::optional<std::string>& filter_path);

net::Response json_reply(unsigned status, const json::value& body);
net::Response failure_reply(const Failure& failure);
Failure request_failure(unsigned status, std::string type, std::string reason);
// The AWS domain's answer to a body over its limit.
net::Response too_large_reply(std::uint64_t limit);
// The answer a whole-request fault gives, with the error type OpenSearch uses for its status.
net::Response fault_reply(const OpenSearchFault& fault);

}  // namespace ltf::emulator::opensearch
