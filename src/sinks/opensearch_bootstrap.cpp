// Before the first documents: index templates, so that every index the sink writes to (dated,
// rolled over, auto-created) gets the mapping, then the indices that have a fixed name.
#include "ltf/opensearch.hpp"

#include "ltf/http_status.hpp"
#include "ltf/log.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace ltf::opensearch {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

constexpr int dead_letter_priority = 1000;  // above every data template that may cover its name
constexpr std::string_view no_query;
constexpr std::string_view json_type = "application/json";
constexpr std::string_view no_flat_object = "bootstrap:no flat_object";

json::object typed(std::string_view type) {
  json::object field;
  field["type"] = type;
  return field;
}

json::object keyword() {
  json::object field = typed("keyword");
  field["ignore_above"] = 1024;
  return field;
}

// The fields add_identity (opensearch_document.cpp) writes into documents and dead letters.
void identity_properties(json::object& properties) {
  properties["type"] = keyword();  // bounded: a dead letter's event may carry any type
  properties["event_id"] = typed("keyword");
  properties["sequence"] = typed("long");
  properties["sandbox"] = typed("keyword");
  properties["function_name"] = typed("keyword");
  properties["function_version"] = typed("keyword");
  properties["region"] = typed("keyword");
}

json::object data_mappings(RecordMapping record) {
  json::object properties;
  properties["@timestamp"] = typed("date");
  properties["time"] = typed("date");
  properties["requestId"] = typed("keyword");
  properties["tenantId"] = typed("keyword");
  properties["level"] = typed("keyword");
  identity_properties(properties);
  properties["message"] = typed("text");
  if (record == RecordMapping::flat_object) {
    properties["record"] = typed("flat_object");
  } else {
    json::object object = typed("object");
    object["dynamic"] = true;
    properties["record"] = std::move(object);
  }

  // Platform metrics are numbers with or without a fraction (durationMs 3 or 2.5): double
  // throughout, so the first one seen cannot make the field a long. Other strings in records
  // are keywords, for exact filters and aggregations.
  json::object metrics_mapping;
  metrics_mapping["path_match"] = "record.metrics.*";
  metrics_mapping["mapping"] = typed("double");
  json::object metrics;
  metrics["metrics_as_doubles"] = std::move(metrics_mapping);
  json::object strings_mapping;
  strings_mapping["match_mapping_type"] = "string";
  strings_mapping["mapping"] = keyword();
  json::object strings;
  strings["strings_as_keywords"] = std::move(strings_mapping);

  json::object mappings;
  mappings["dynamic_templates"] = json::array{std::move(metrics), std::move(strings)};
  mappings["properties"] = std::move(properties);
  return mappings;
}

json::object dead_letter_mappings() {
  json::object properties;
  properties["@timestamp"] = typed("date");
  identity_properties(properties);
  properties["index"] = typed("keyword");
  properties["status"] = typed("integer");
  properties["error_type"] = typed("keyword");
  properties["reason"] = typed("text");
  // Stored, never indexed: no value of any size or shape can fail it.
  json::object original = typed("text");
  original["index"] = false;
  properties["original"] = std::move(original);
  json::object mappings;
  mappings["dynamic"] = false;
  mappings["properties"] = std::move(properties);
  return mappings;
}

std::string trimmed_prefix(std::string_view pattern) {
  std::string prefix = index_name_prefix(pattern);
  while (!prefix.empty() && (prefix.back() == '-' || prefix.back() == '.' || prefix.back() == '_'))
    prefix.pop_back();
  return prefix;
}

// A Bulk-like answer's status classes, for the bootstrap's requests.
enum class Step { ok, refused, failed, skipped };

Step classify(const Reply& reply, bool creating_index) {
  if (!reply.sent() || !reply.exchange.ok()) return Step::failed;
  const unsigned status = reply.status();
  switch (net::meaning_of_status(status)) {
    case net::StatusMeaning::success: return Step::ok;
    case net::StatusMeaning::reauthenticate: return Step::refused;
    case net::StatusMeaning::retry: return Step::failed;
    case net::StatusMeaning::too_large:
    case net::StatusMeaning::refused: break;
  }
  // An index that exists already (or an alias or data stream by that name) is what we wanted;
  // any other 400 (an invalid name, a bad setting) is a refusal, reported.
  if (creating_index && status == 400) {
    const std::string_view body = reply.exchange.response.body();
    if (body.find("already_exists") != std::string_view::npos ||
        body.find("already exists") != std::string_view::npos)
      return Step::ok;
  }
  return Step::skipped;
}

}  // namespace

std::vector<TemplateSpec> data_templates(const IndexPatterns& indices, bool data_streams) {
  std::vector<TemplateSpec> out;
  auto add = [&](const std::string& pattern, bool platform) {
    for (auto& spec : out) {
      if (spec.index_patterns.front() != (has_date_fields(pattern) ? index_name_prefix(pattern) + "*"
                                                                   : pattern))
        continue;
      // Shared with platform events: their records need real fields (numbers for dashboards).
      if (platform) spec.record = RecordMapping::dynamic_object;
      return;
    }
    TemplateSpec spec;
    const bool dated = has_date_fields(pattern);
    const std::string prefix = index_name_prefix(pattern);
    if (dated) spec.index_patterns = {prefix + "*"};
    else spec.index_patterns = {pattern, pattern + "-*"};  // and rolled-over names
    // A longer prefix is more specific; a fixed name beats a dated pattern with the same prefix.
    // Distinct priorities also keep OpenSearch from refusing overlapping patterns.
    spec.priority = 100 + 2 * static_cast<int>(prefix.size()) + (dated ? 0 : 1);
    spec.record = platform ? RecordMapping::dynamic_object : RecordMapping::flat_object;
    spec.data_stream = data_streams;
    spec.name = "telemetry-forwarder-" + trimmed_prefix(pattern) + (dated ? "-dated" : "");
    for (const auto& other : out)
      if (other.name == spec.name) spec.name += "-" + std::to_string(out.size());
    out.push_back(std::move(spec));
  };
  add(indices.platform, true);
  add(indices.function, false);
  add(indices.extension, false);
  return out;
}

TemplateSpec dead_letter_template(std::string_view dead_letter_index) {
  TemplateSpec spec;
  spec.name = "telemetry-forwarder-" + std::string(dead_letter_index);
  spec.index_patterns = {std::string(dead_letter_index)};
  spec.priority = dead_letter_priority;
  return spec;
}

std::string template_body(const TemplateSpec& spec) {
  json::array patterns;
  for (const auto& pattern : spec.index_patterns) patterns.emplace_back(pattern);
  json::object inner;
  const bool dead_letter = spec.priority == dead_letter_priority;
  inner["mappings"] = dead_letter ? dead_letter_mappings() : data_mappings(spec.record);
  json::object body;
  body["index_patterns"] = std::move(patterns);
  body["priority"] = spec.priority;
  body["template"] = std::move(inner);
  if (spec.data_stream) body["data_stream"] = json::object();
  return json::serialize(body);
}

asio::awaitable<OpenSearchSink::Bootstrap> OpenSearchSink::bootstrap(sinks::Delivery& failure) {
  auto failed = [&](const Reply& reply, std::string_view what) {
    failure.outcome = sinks::Outcome::retry_later;
    failure.status = reply.status();
    if (!reply.sent()) failure.detail = reply.problem;
    else if (!reply.exchange.ok()) failure.detail = std::string(what) + ": " + reply.exchange.error.message();
    else failure.detail = std::string(what) + ": " + error_summary(reply.exchange.response.body());
  };
  auto skipped = [&](const Reply& reply, const std::string& what) {
    if (reported_.insert("bootstrap:" + what).second)
      LTF_LOG(warning) << "OpenSearch refused " << what << " (HTTP " << reply.status() << ", "
                       << error_summary(reply.exchange.response.body())
                       << "): documents are still sent, with the cluster's own mapping";
  };

  bool refused = false;
  for (std::size_t i = 0; i < templates_.size(); ++i) {
    if (templates_done_[i]) continue;
    TemplateSpec& spec = templates_[i];
    if (spec.record == RecordMapping::flat_object && reported_.contains(no_flat_object))
      spec.record = RecordMapping::dynamic_object;
    const std::string path = "/_index_template/" + spec.name;
    ++stats_.bootstrap_requests;
    Reply reply = co_await transport_.send(http::verb::put, path, no_query, template_body(spec),
                                           json_type);
    const std::string what = "index template " + spec.name;
    Step step = classify(reply, false);
    if (step == Step::skipped && spec.record == RecordMapping::flat_object &&
        reply.exchange.response.body().find("flat_object") != std::string::npos) {
      // Elasticsearch 7.x domains and OpenSearch before 2.7 have no flat_object.
      if (reported_.insert(std::string(no_flat_object)).second)
        LTF_LOG(info) << "this cluster has no flat_object field type (OpenSearch 2.7+): function "
                         "and extension records are mapped as dynamic objects";
      spec.record = RecordMapping::dynamic_object;
      ++stats_.bootstrap_requests;
      reply = co_await transport_.send(http::verb::put, path, no_query, template_body(spec),
                                       json_type);
      step = classify(reply, false);
    }
    switch (step) {
      case Step::failed: failed(reply, what); co_return Bootstrap::failed;
      case Step::refused: refused = true; continue;
      case Step::skipped: skipped(reply, what); [[fallthrough]];
      case Step::ok: templates_done_[i] = true;
    }
  }

  // Indices with a fixed name are made now, with the template's mapping. Dated names are made
  // by the cluster on the first write (or on demand after a 404, see create_index).
  std::vector<std::string> fixed;
  if (!options_.data_streams)
    for (const auto* pattern : {&options_.indices.platform, &options_.indices.function,
                                &options_.indices.extension})
      if (!has_date_fields(*pattern)) fixed.push_back(*pattern);
  if (!options_.dead_letter_index.empty()) fixed.push_back(options_.dead_letter_index);
  for (const auto& name : fixed) {
    if (indices_done_.contains(name)) continue;
    ++stats_.bootstrap_requests;
    const std::string path = "/" + name;
    const Reply reply = co_await transport_.send(http::verb::put, path, no_query, "{}", json_type);
    const std::string what = "index " + name;
    switch (classify(reply, true)) {
      case Step::failed: failed(reply, what); co_return Bootstrap::failed;
      case Step::refused: refused = true; continue;
      case Step::skipped: skipped(reply, what); [[fallthrough]];
      case Step::ok: indices_done_.insert(name);
    }
  }
  if (refused) co_return Bootstrap::refused;
  bootstrap_done_ = true;
  co_return Bootstrap::done;
}

asio::awaitable<bool> OpenSearchSink::create_index(const std::string& name) {
  // LTF_OPENSEARCH_BOOTSTRAP=false: indices are the user's to make, not even after a 404.
  if (!options_.bootstrap) {
    if (reported_.insert("bootstrap:off:" + name).second)
      LTF_LOG(warning) << "OpenSearch has no index " << name
                       << " and LTF_OPENSEARCH_BOOTSTRAP=false: it is not created, its events are "
                          "refused (create it, or allow auto-creation for its name)";
    co_return false;
  }
  // Once per name: a second 404 for it means the index cannot be made by us.
  if (!indices_done_.insert(name).second) co_return false;
  ++stats_.indices_created_on_demand;
  const std::string path = options_.data_streams ? "/_data_stream/" + name : "/" + name;
  std::string body = options_.data_streams ? "" : "{}";
  const Reply reply =
      co_await transport_.send(http::verb::put, path, no_query, std::move(body), json_type);
  const Step step = classify(reply, true);
  if (step == Step::skipped || step == Step::refused)
    LTF_LOG(warning) << "OpenSearch refused to create index " << name << " (HTTP "
                     << reply.status() << ", " << error_summary(reply.exchange.response.body())
                     << ")";
  co_return step == Step::ok;
}

}  // namespace ltf::opensearch
