// FakeOpenSearch's REST handlers: the router, _bulk (handed to opensearch_bulk.cpp), indices,
// index templates and data streams, each answering as OpenSearch does.
#include "opensearch_server.hpp"

#include "opensearch_bulk.hpp"
#include "opensearch_http.hpp"
#include "util.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <set>

namespace ltf::emulator {

using namespace opensearch;

net::Response FakeOpenSearch::Server::route(const net::Request& request, const std::string& body) {
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

net::Response FakeOpenSearch::Server::bulk(const net::Request& request, const std::string& body,
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
std::optional<net::Response> FakeOpenSearch::Server::json_body(const net::Request& request,
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

const opensearch::Index* FakeOpenSearch::Server::find(const std::string& name) const {
  if (const auto* index = cluster.find(name)) return index;
  for (const auto& each : cluster.names())
    if (const auto* index = cluster.find(each); index->write_name == name) return index;
  return nullptr;
}

net::Response FakeOpenSearch::Server::index_api(http::verb verb, const std::string& name,
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

net::Response FakeOpenSearch::Server::templates_listing() {
  json::array listed;
  for (const auto& name : cluster.template_names()) {
    const auto* t = cluster.find_template(name);
    listed.push_back(json::object{{"name", t->name}, {"index_template", t->body}});
  }
  return json_reply(200, json::object{{"index_templates", std::move(listed)}});
}

net::Response FakeOpenSearch::Server::template_api(http::verb verb, const std::string& name,
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

net::Response FakeOpenSearch::Server::data_stream_api(http::verb verb, const std::string& name) {
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

}  // namespace ltf::emulator
