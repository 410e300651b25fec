// dashboards/lambda-telemetry.ndjson, the OpenSearch Dashboards saved objects users import, must
// stay importable and must only use fields that the documents this sink writes have (or that its
// index templates declare). A renamed document field fails here, not on a user's empty dashboard.
#include "ltf/opensearch.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <gtest/gtest.h>

#include <cctype>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace json = boost::json;
using namespace ltf;

const char* const kDashboardsFile = LTF_SOURCE_DIR "/dashboards/lambda-telemetry.ndjson";

// Telemetry API events as Lambda sends them (fields per the Telemetry API schema).
constexpr std::string_view kPlatformEvents = R"([
 {"time":"2024-05-01T10:00:00.000Z","type":"platform.initStart","record":{"initializationType":"on-demand","phase":"init","runtimeVersion":"python:3.12.v17","runtimeVersionArn":"arn:aws:lambda:eu-west-1::runtime:abc","functionName":"orders","functionVersion":"$LATEST"}},
 {"time":"2024-05-01T10:00:00.200Z","type":"platform.start","record":{"requestId":"r-1","version":"$LATEST","tracing":{"spanId":"54565fb41ac79632","type":"X-Amzn-Trace-Id","value":"Root=1-62e900b2-710d76f009d6e7785905449a;Parent=0efbd19962d95b05;Sampled=1"}}},
 {"time":"2024-05-01T10:00:00.300Z","type":"platform.runtimeDone","record":{"requestId":"r-1","status":"error","errorType":"Runtime.ExitError","metrics":{"durationMs":100.5,"producedBytes":0},"spans":[{"name":"responseLatency","start":"2024-05-01T10:00:00.250Z","durationMs":23.02}]}},
 {"time":"2024-05-01T10:00:00.310Z","type":"platform.report","record":{"requestId":"r-1","status":"error","metrics":{"durationMs":101.2,"billedDurationMs":102,"memorySizeMB":128,"maxMemoryUsedMB":68,"initDurationMs":180.3}}},
 {"time":"2024-05-01T10:01:00.000Z","type":"telemetry-forwarder.counters","record":{"reason":"shutdown","received":4,"delivered":4,"retried":0,"spilled":0,"shed":0,"rejected":0,"lost":0,"buffered":0,"requests":1,"failedRequests":0,"malformedPosts":0,"sinkLatencyMeanMs":2.5,"sinkLatencyMaxMs":2.5}}
])";
constexpr std::string_view kFunctionEvents = R"([
 {"time":"2024-05-01T10:00:00.220Z","type":"function","record":{"timestamp":"2024-05-01T10:00:00.220Z","level":"ERROR","requestId":"r-1","message":"payment refused"}},
 {"time":"2024-05-01T10:00:00.230Z","type":"function","record":"[ERROR]\t2024-05-01T10:00:00.230Z\tr-1\tpayment refused\n"}
])";

constexpr std::string_view kExtensionEvents = R"([
 {"time":"2024-05-01T10:00:00.240Z","type":"extension","record":{"timestamp":"2024-05-01T10:00:00.240Z","level":"ERROR","requestId":"r-1","message":"backend unreachable"}},
 {"time":"2024-05-01T10:00:00.250Z","type":"extension","record":"other-extension: started\n"}
])";

// The documents the sink makes of `events`, parsed.
std::vector<json::object> documents_of(std::string_view events) {
  std::vector<telemetry::Event> parsed;
  const auto outcome = telemetry::parse_batch(events, parsed);
  EXPECT_TRUE(outcome.error.empty()) << outcome.error;
  const telemetry::FunctionIdentity function{"eu-west-1", "orders", "$LATEST"};
  telemetry::assign_event_ids(function, parsed);
  std::vector<json::object> out;
  for (const auto& event : parsed) {
    std::string why;
    const auto source = opensearch::document_source(event, function, &why);
    EXPECT_TRUE(source) << why;
    if (source) out.push_back(json::parse(*source).as_object());
  }
  return out;
}

// The mapping the sink's template installs for the index named `index`.
json::object mappings_for(const std::string& index) {
  for (const auto& spec : opensearch::data_templates(opensearch::IndexPatterns{}, false))
    for (const auto& pattern : spec.index_patterns)
      if (pattern == index)
        return json::parse(opensearch::template_body(spec)).at("template").at("mappings").as_object();
  ADD_FAILURE() << "no template covers " << index;
  return {};
}

// The dead-letter documents the sink makes of `events` (refused for a mapping conflict), parsed.
std::vector<json::object> dead_letters_of(std::string_view events) {
  std::vector<telemetry::Event> parsed;
  EXPECT_TRUE(telemetry::parse_batch(events, parsed).error.empty());
  const telemetry::FunctionIdentity function{"eu-west-1", "orders", "$LATEST", "0123456789abcdef"};
  telemetry::assign_event_ids(function, parsed);
  const opensearch::Refusal refusal{"lambda-function", 400, "mapper_parsing_exception", "bad"};
  std::vector<json::object> out;
  for (const auto& event : parsed)
    out.push_back(json::parse(opensearch::dead_letter_source(event, function, refusal,
                                                             "2024-05-01T10:00:01.000Z"))
                      .as_object());
  return out;
}

json::object dead_letter_mappings(const std::string& index) {
  return json::parse(opensearch::template_body(opensearch::dead_letter_template(index)))
      .at("template")
      .at("mappings")
      .as_object();
}

// Dashboards' field type for a mapping type.
std::string mapping_kind(std::string_view mapping_type) {
  if (mapping_type == "date") return "date";
  if (mapping_type == "keyword" || mapping_type == "text") return "string";
  if (mapping_type == "long" || mapping_type == "integer" || mapping_type == "double" ||
      mapping_type == "float")
    return "number";
  if (mapping_type == "object") return "object";
  return "unknown";  // flat_object: the field itself is not a value
}

// Dashboards' field type for a JSON value in a document (dynamically mapped).
std::string value_kind(const json::value& value) {
  if (value.is_number()) return "number";
  if (value.is_string()) return "string";
  if (value.is_object()) return "object";
  return "unknown";
}

const json::value* value_at(const json::object& document, std::string_view path) {
  const json::object* at = &document;
  while (true) {
    const auto dot = path.find('.');
    const json::value* next = at->if_contains(path.substr(0, dot));
    if (!next || dot == std::string_view::npos) return next;
    at = next->if_object();
    if (!at) return nullptr;
    path.remove_prefix(dot + 1);
  }
}

bool has_path(const json::object& document, std::string_view path) {
  const json::object* at = &document;
  while (true) {
    const auto dot = path.find('.');
    const json::value* next = at->if_contains(path.substr(0, dot));
    if (!next) return false;
    if (dot == std::string_view::npos) return true;
    at = next->if_object();
    if (!at) return false;
    path.remove_prefix(dot + 1);
  }
}

bool is_number_at(const json::object& document, std::string_view path) {
  const json::value* v = &document.at(path.substr(0, path.find('.')));
  while (path.find('.') != std::string_view::npos) {
    path.remove_prefix(path.find('.') + 1);
    v = &v->as_object().at(path.substr(0, path.find('.')));
  }
  return v->is_number();
}

// Field names a Lucene query names: `name:` and `_exists_:name`, outside quoted values.
std::vector<std::string> query_fields(std::string_view query) {
  std::vector<std::string> out;
  bool exists_next = false;
  for (std::size_t i = 0; i < query.size();) {
    if (query[i] == '"') {
      i = query.find('"', i + 1);
      i = i == std::string_view::npos ? query.size() : i + 1;
      continue;
    }
    std::size_t end = i;
    while (end < query.size() && (std::isalnum(static_cast<unsigned char>(query[end])) ||
                                  query[end] == '_' || query[end] == '.' || query[end] == '@'))
      ++end;
    if (end == i) {
      ++i;
      continue;
    }
    const std::string token(query.substr(i, end - i));
    if (exists_next) out.push_back(token);
    exists_next = false;
    if (end < query.size() && query[end] == ':') {
      if (token == "_exists_") exists_next = true;
      else out.push_back(token);
    }
    i = end;
  }
  return out;
}

struct Use {
  std::string field;
  std::string index_pattern;  // the id of the index pattern the query runs on
  bool numeric = false;       // a metric aggregation (avg, max, percentiles, ...)
};

class Dashboards : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ifstream in(kDashboardsFile);
    ASSERT_TRUE(in) << "cannot read " << kDashboardsFile;
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
      if (line.empty()) continue;
      boost::system::error_code ec;
      json::value value = json::parse(line, ec);
      ASSERT_FALSE(ec) << "line " << number << " is not JSON: " << ec.message();
      ASSERT_TRUE(value.is_object()) << "line " << number;
      objects_.push_back(std::move(value.as_object()));
    }
  }

  const json::object* find(std::string_view type, std::string_view id) const {
    for (const auto& o : objects_)
      if (o.at("type").as_string() == type && o.at("id").as_string() == id) return &o;
    return nullptr;
  }

  // Every field a query, a column or an aggregation of a saved object names.
  std::vector<Use> panel_uses() const {
    std::vector<Use> uses;
    for (const auto& o : objects_) {
      const json::object& attributes = o.at("attributes").as_object();
      const auto* meta = attributes.if_contains("kibanaSavedObjectMeta");
      if (!meta || o.at("references").as_array().empty()) continue;
      const std::string pattern(o.at("references").as_array().front().at("id").as_string());
      const json::value source = json::parse(meta->at("searchSourceJSON").as_string());
      for (auto& field : query_fields(source.at("query").at("query").as_string()))
        uses.push_back({std::move(field), pattern});
      if (const auto* columns = attributes.if_contains("columns"))
        for (const auto& column : columns->as_array())
          uses.push_back({std::string(column.as_string()), pattern});
      if (const auto* vis_state = attributes.if_contains("visState")) {
        const json::value vis = json::parse(vis_state->as_string());
        for (const auto& agg : vis.at("aggs").as_array()) {
          const json::object& params = agg.at("params").as_object();
          const bool numeric = agg.at("schema") == "metric";
          if (const auto* field = params.if_contains("field"))
            uses.push_back({std::string(field->as_string()), pattern, numeric});
          if (const auto* filters = params.if_contains("filters"))
            for (const auto& filter : filters->as_array())
              for (auto& f : query_fields(filter.at("input").at("query").as_string()))
                uses.push_back({std::move(f), pattern});
        }
      }
    }
    return uses;
  }

  // The `fields` list an index pattern ships with, by name.
  std::map<std::string, json::object> pattern_fields(std::string_view id) const {
    std::map<std::string, json::object> out;
    const json::object* pattern = find("index-pattern", id);
    if (!pattern) return out;
    const json::value fields =
        json::parse(pattern->at("attributes").at("fields").as_string());
    for (const auto& f : fields.as_array())
      out.emplace(std::string(f.at("name").as_string()), f.as_object());
    return out;
  }

  std::vector<json::object> objects_;
};

TEST_F(Dashboards, EveryReferenceResolvesAndEveryEmbeddedJsonParses) {
  ASSERT_FALSE(objects_.empty());
  std::set<std::string> ids;
  for (const auto& o : objects_) {
    const std::string id(o.at("id").as_string());
    EXPECT_TRUE(ids.insert(id).second) << "duplicate id " << id;
    const json::object& attributes = o.at("attributes").as_object();
    EXPECT_FALSE(attributes.at("title").as_string().empty()) << id;
    std::set<std::string> names;
    for (const auto& ref : o.at("references").as_array()) {
      EXPECT_TRUE(find(ref.at("type").as_string(), ref.at("id").as_string()))
          << id << " refers to a missing " << ref.at("type") << " " << ref.at("id");
      names.insert(std::string(ref.at("name").as_string()));
    }
    for (std::string_view key : {"visState", "uiStateJSON", "panelsJSON", "optionsJSON"}) {
      if (!attributes.contains(key)) continue;
      boost::system::error_code ec;
      const json::value inner = json::parse(attributes.at(key).as_string(), ec);
      EXPECT_FALSE(ec) << id << " " << key;
      if (key != "panelsJSON" || ec) continue;
      for (const auto& panel : inner.as_array()) {
        EXPECT_TRUE(names.contains(std::string(panel.at("panelRefName").as_string()))) << id;
      }
    }
    if (const auto* meta = attributes.if_contains("kibanaSavedObjectMeta")) {
      const json::value source = json::parse(meta->at("searchSourceJSON").as_string());
      if (const auto* ref = source.as_object().if_contains("indexRefName")) {
        EXPECT_TRUE(names.contains(std::string(ref->as_string()))) << id;
      }
    }
  }
  EXPECT_TRUE(find("dashboard", "ltf-lambda-telemetry"));
}

TEST_F(Dashboards, IndexPatternsMatchTheSinksDefaultIndicesAndTimeField) {
  const opensearch::IndexPatterns defaults;
  for (const auto& [id, index] :
       {std::pair{"ltf-index-pattern-lambda-platform", defaults.platform},
        std::pair{"ltf-index-pattern-lambda-function", defaults.function}}) {
    const json::object* pattern = find("index-pattern", id);
    ASSERT_TRUE(pattern) << id;
    const json::object& attributes = pattern->at("attributes").as_object();
    // The prefix with '*' covers the fixed name, dated names and rolled-over ones alike.
    EXPECT_EQ(attributes.at("title").as_string(), index + "*");
    EXPECT_EQ(attributes.at("timeFieldName").as_string(), "@timestamp");
    EXPECT_EQ(mappings_for(index).at("properties").at("@timestamp").at("type"), "date");
  }
}

TEST_F(Dashboards, EveryFieldUsedIsInTheTemplateOrInTheDocumentsTheSinkWrites) {
  const std::vector<Use> uses = panel_uses();
  ASSERT_GT(uses.size(), 10u);

  const opensearch::IndexPatterns defaults;
  const std::vector<json::object> platform_docs = documents_of(kPlatformEvents);
  const std::vector<json::object> function_docs = documents_of(kFunctionEvents);
  for (const Use& use : uses) {
    const bool platform = use.index_pattern == "ltf-index-pattern-lambda-platform";
    const json::object mappings = mappings_for(platform ? defaults.platform : defaults.function);
    const auto& docs = platform ? platform_docs : function_docs;
    const json::value* declared = mappings.at("properties").as_object().if_contains(use.field);
    bool in_documents = false;
    for (const auto& doc : docs) in_documents = in_documents || has_path(doc, use.field);
    EXPECT_TRUE(declared || in_documents)
        << use.field << " (on " << use.index_pattern << ") is in no document the sink writes";
    if (!use.numeric || declared) continue;
    // Metric aggregations need numbers in the documents, mapped as numbers: platform metrics
    // are doubles by the template's dynamic template whatever the first value looked like.
    for (const auto& doc : docs) {
      if (!has_path(doc, use.field)) continue;
      EXPECT_TRUE(is_number_at(doc, use.field)) << use.field;
    }
    bool mapped_numeric = false;
    for (const auto& entry : mappings.at("dynamic_templates").as_array())
      for (const auto& [name, rule] : entry.as_object()) {
        const auto* match = rule.as_object().if_contains("path_match");
        if (!match || rule.at("mapping").at("type") != "double") continue;
        const std::string_view glob = match->as_string();
        mapped_numeric = mapped_numeric ||
                         (glob.ends_with('*') && use.field.starts_with(glob.substr(0, glob.size() - 1)));
      }
    EXPECT_TRUE(mapped_numeric) << use.field << " is aggregated as a number but not mapped as one";
  }
}

// Imported before any data arrived, a pattern has only the fields it was saved with: each ships
// with the fields of the documents written to its indices (dashboards/index_patterns.py writes
// them), each typed as the template maps it, or as the documents' values map dynamically.
TEST_F(Dashboards, IndexPatternsShipWithTheFieldsOfTheDocumentsTheSinkWrites) {
  const opensearch::IndexPatterns defaults;
  const std::string dlq = opensearch::SinkOptions{}.dead_letter_index;
  struct Case {
    std::string id;
    std::string index;
    json::object mappings;
    std::vector<json::object> documents;
  };
  const std::vector<Case> cases{
      {"ltf-index-pattern-lambda-platform", defaults.platform, mappings_for(defaults.platform),
       documents_of(kPlatformEvents)},
      {"ltf-index-pattern-lambda-function", defaults.function, mappings_for(defaults.function),
       documents_of(kFunctionEvents)},
      {"ltf-index-pattern-lambda-extension", defaults.extension, mappings_for(defaults.extension),
       documents_of(kExtensionEvents)},
      {"ltf-index-pattern-" + dlq, dlq, dead_letter_mappings(dlq), dead_letters_of(kFunctionEvents)},
  };
  for (const Case& c : cases) {
    const json::object* pattern = find("index-pattern", c.id);
    ASSERT_TRUE(pattern) << c.id;
    EXPECT_EQ(pattern->at("attributes").at("title").as_string(), c.index + "*");
    EXPECT_EQ(pattern->at("attributes").at("timeFieldName").as_string(), "@timestamp");
    const auto fields = pattern_fields(c.id);
    const json::object& properties = c.mappings.at("properties").as_object();
    for (const auto& [name, declared] : properties)
      EXPECT_TRUE(fields.contains(std::string(name))) << c.id << " lacks " << name;
    for (const auto& [name, f] : fields) {
      if (name.starts_with('_')) continue;  // _id, _index, _source, ...: every index has them
      const std::string type(f.at("type").as_string());
      if (const json::value* mapped = properties.if_contains(name)) {
        EXPECT_EQ(type, mapping_kind(mapped->at("type").as_string())) << c.id << " " << name;
        continue;
      }
      const json::value* value = nullptr;
      for (const auto& doc : c.documents) value = value ? value : value_at(doc, name);
      EXPECT_TRUE(value) << c.id << ": " << name << " is in no document the sink writes";
      if (!value) continue;
      const std::string parent = name.substr(0, name.find('.'));
      const json::value* parent_mapping = properties.if_contains(parent);
      const bool flat = parent_mapping && parent_mapping->at("type") == "flat_object";
      // A flat_object's subfields are all queried as keywords, whatever the value.
      EXPECT_EQ(type, flat ? "string" : value_kind(*value)) << c.id << " " << name;
    }
  }
}

TEST_F(Dashboards, EveryFieldAPanelUsesIsInItsIndexPatternsFields) {
  for (const Use& use : panel_uses()) {
    const auto fields = pattern_fields(use.index_pattern);
    const auto it = fields.find(use.field);
    ASSERT_NE(it, fields.end()) << use.field << " is not in " << use.index_pattern << "'s fields";
    if (use.numeric) {
      EXPECT_EQ(it->second.at("type"), "number") << use.field;
      EXPECT_EQ(it->second.at("aggregatable"), true) << use.field;
    }
  }
}

}  // namespace
