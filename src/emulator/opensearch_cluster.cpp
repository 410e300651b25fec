// Indices, templates, data streams and mappings for FakeOpenSearch. Error types and reasons are
// the ones OpenSearch answers (contract sections 1.2, 1.7, 1.8), so a client's handling of them
// is exercised for real.
#include "opensearch_cluster.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace ltf::emulator::opensearch {

namespace {

Failure failure(unsigned status, std::string type, std::string reason, json::object extra = {}) {
  return Failure{status, std::move(type), std::move(reason), std::move(extra)};
}

json::object index_extra(const std::string& index, const std::string& uuid) {
  return json::object{{"index", index}, {"index_uuid", uuid}};
}

Failure index_not_found(const std::string& name) {
  return failure(404, "index_not_found_exception", "no such index [" + name + "]",
                 json::object{{"index", name},
                              {"resource.type", "index_or_alias"},
                              {"resource.id", name},
                              {"index_uuid", "_na_"}});
}

const json::object* object_at(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value && value->is_object() ? &value->get_object() : nullptr;
}

// "dynamic" may be a boolean or "true", "false", "strict"; anything else keeps the parent's.
std::string dynamic_setting(const json::object& mapping, const std::string& inherited) {
  const auto* value = mapping.if_contains("dynamic");
  if (!value) return inherited;
  if (value->is_bool()) return value->get_bool() ? "true" : "false";
  if (value->is_string()) return std::string(value->get_string());
  return inherited;
}

// The type a field's mapping gives it; a mapping with properties and no type is an object.
std::string field_type(const json::object& field) {
  const auto* type = field.if_contains("type");
  if (type && type->is_string()) return std::string(type->get_string());
  return "object";
}

bool is_object_type(const std::string& type) { return type == "object" || type == "nested"; }

// strict_date_optional_time's leading "yyyy-MM-dd", which is what dynamic date detection
// recognises in practice for telemetry timestamps.
bool looks_like_date(std::string_view text) {
  if (text.size() < 10) return false;
  for (std::size_t i = 0; i < 10; ++i) {
    const bool dash = i == 4 || i == 7;
    if (dash ? text[i] != '-' : !std::isdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  return text.size() == 10 || text[10] == 'T';
}

// The mapping dynamic mapping gives a first value, as OpenSearch's defaults do.
json::object dynamic_field(const json::value& value) {
  switch (value.kind()) {
    case json::kind::object:
      return json::object{{"properties", json::object{}}};
    case json::kind::string:
      if (looks_like_date(value.get_string())) return json::object{{"type", "date"}};
      return json::object{
          {"type", "text"},
          {"fields", json::object{{"keyword", json::object{{"type", "keyword"},
                                                           {"ignore_above", 256}}}}}};
    case json::kind::bool_:
      return json::object{{"type", "boolean"}};
    case json::kind::double_:
      return json::object{{"type", "float"}};
    default:
      return json::object{{"type", "long"}};
  }
}

std::string preview(const json::value& value) {
  auto text = json::serialize(value);
  if (text.size() > 80) text = text.substr(0, 77) + "...";
  return text;
}

class Mapper {
 public:
  explicit Mapper(const std::string& id) : id_(id) {}

  // Walks `source` against `properties` (a copy the caller commits on success).
  std::optional<Failure> object(json::object& properties, const json::object& source,
                                const std::string& prefix, const std::string& dynamic) {
    for (const auto& [key, value] : source) {
      const std::string path = prefix + std::string(key);
      if (auto failed = field(properties, std::string(key), value, path, dynamic)) return failed;
    }
    return std::nullopt;
  }

 private:
  std::optional<Failure> field(json::object& properties, const std::string& key,
                               const json::value& value, const std::string& path,
                               const std::string& dynamic) {
    if (value.is_null()) return std::nullopt;
    if (value.is_array()) {
      for (const auto& element : value.get_array())
        if (auto failed = field(properties, key, element, path, dynamic)) return failed;
      return std::nullopt;
    }
    auto* mapped = properties.if_contains(key);
    if (!mapped || !mapped->is_object()) {
      if (dynamic == "strict")
        return failure(400, "strict_dynamic_mapping_exception",
                       "mapping set to strict, dynamic introduction of [" + key + "] within [" +
                           (path == key ? std::string("_doc")
                                        : path.substr(0, path.size() - key.size() - 1)) +
                           "] is not allowed");
      if (dynamic == "false") return std::nullopt;  // kept in _source, not mapped
      properties[key] = dynamic_field(value);
      mapped = properties.if_contains(key);
    }
    auto& mapping = mapped->get_object();
    const auto type = field_type(mapping);
    if (is_object_type(type)) {
      if (!value.is_object())
        return failure(400, "mapper_parsing_exception",
                       "object mapping for [" + path + "] tried to parse field [" + path +
                           "] as object, but found a concrete value");
      const auto* enabled = mapping.if_contains("enabled");
      if (enabled && enabled->is_bool() && !enabled->get_bool()) return std::nullopt;
      if (!mapping.contains("properties") || !mapping.at("properties").is_object())
        mapping["properties"] = json::object{};
      return object(mapping.at("properties").get_object(), value.get_object(), path + ".",
                    dynamic_setting(mapping, dynamic));
    }
    if (type == "flat_object") {
      if (value.is_object()) return std::nullopt;
    } else if (!value.is_object()) {
      return std::nullopt;  // concrete value, concrete field: fine at this level
    }
    return failure(400, "mapper_parsing_exception",
                   "failed to parse field [" + path + "] of type [" + type +
                       "] in document with id '" + id_ + "'. Preview of field's value: '" +
                       preview(value) + "'");
  }

  const std::string& id_;
};

std::vector<std::string> patterns_of(const json::value& value) {
  std::vector<std::string> out;
  if (value.is_string()) out.emplace_back(value.get_string());
  if (value.is_array())
    for (const auto& item : value.get_array())
      if (item.is_string()) out.emplace_back(item.get_string());
  return out;
}

std::optional<std::string> data_stream_timestamp(const IndexTemplate& t) {
  const auto* stream = object_at(t.body, "data_stream");
  if (!stream) return std::nullopt;
  if (const auto* field = object_at(*stream, "timestamp_field"))
    if (const auto* name = field->if_contains("name"); name && name->is_string())
      return std::string(name->get_string());
  return std::string("@timestamp");
}

json::object template_part(const IndexTemplate* t, std::string_view part) {
  if (!t) return {};
  const auto* body = object_at(t->body, "template");
  const auto* found = body ? object_at(*body, part) : nullptr;
  return found ? *found : json::object{};
}

}  // namespace

void merge_into(json::object& base, const json::object& overlay) {
  for (const auto& [key, value] : overlay) {
    auto* existing = base.if_contains(key);
    if (existing && existing->is_object() && value.is_object())
      merge_into(existing->get_object(), value.get_object());
    else
      base[key] = value;
  }
}

json::object error_cause(const Failure& f) {
  json::object cause{{"type", f.type}, {"reason", f.reason}};
  for (const auto& [key, value] : f.extra) cause[key] = value;
  return cause;
}

json::object error_response_body(const Failure& f) {
  auto cause = error_cause(f);
  json::object error{{"root_cause", json::array{cause}}};
  for (const auto& [key, value] : cause) error[key] = value;
  return json::object{{"error", std::move(error)}, {"status", f.status}};
}

bool glob_match(std::string_view pattern, std::string_view text) {
  const auto star = pattern.find('*');
  if (star == std::string_view::npos) return pattern == text;
  if (text.substr(0, star) != pattern.substr(0, star)) return false;
  const auto rest = pattern.substr(star + 1);
  for (std::size_t from = star; from <= text.size(); ++from)
    if (glob_match(rest, text.substr(from))) return true;
  return false;
}

std::optional<Failure> check_index_name(const std::string& name) {
  auto invalid = [&](const std::string& why) {
    return failure(400, "invalid_index_name_exception", "Invalid index name [" + name + "], " + why,
                   json::object{{"index", name}, {"index_uuid", "_na_"}});
  };
  if (name.empty()) return invalid("must not be empty");
  if (name == "." || name == "..") return invalid("must not be '.' or '..'");
  if (name.size() > 255)
    return invalid("index name is too long, (" + std::to_string(name.size()) + " > 255)");
  if (name.front() == '_' || name.front() == '-' || name.front() == '+')
    return invalid("must not start with '_', '-', or '+'");
  if (name.find_first_of("\\/*?\"<>| ,#:") != std::string::npos)
    return invalid(R"(must not contain the following characters [ , ", *, \, <, |, ,, >, /, ?, #, :])");
  if (std::any_of(name.begin(), name.end(), [](char c) { return c >= 'A' && c <= 'Z'; }))
    return invalid("must be lowercase");
  return std::nullopt;
}

const IndexTemplate* Cluster::matching_template(const std::string& name) const {
  const IndexTemplate* best = nullptr;
  for (const auto& [_, t] : templates_) {
    const bool matches = std::any_of(t.patterns.begin(), t.patterns.end(),
                                     [&](const std::string& p) { return glob_match(p, name); });
    if (matches && (!best || t.priority > best->priority)) best = &t;
  }
  return best;
}

Index& Cluster::add_index(const std::string& name, const json::object& settings,
                          const json::object& mappings) {
  Index index;
  index.name = name;
  index.write_name = name;
  char uuid[32];
  std::snprintf(uuid, sizeof uuid, "fakeUuid%014llu", static_cast<unsigned long long>(++created_));
  index.uuid = uuid;
  index.settings = settings;
  index.mappings = mappings;
  if (!index.mappings.contains("properties") || !index.mappings.at("properties").is_object())
    index.mappings["properties"] = json::object{};
  return indices_[name] = std::move(index);
}

std::optional<Failure> Cluster::create_index(const std::string& name, const json::object& body) {
  if (auto invalid = check_index_name(name)) return invalid;
  if (auto* existing = find(name))
    return failure(400, "resource_already_exists_exception",
                   "index [" + name + "/" + existing->uuid + "] already exists",
                   index_extra(name, existing->uuid));
  for (const auto& [key, value] : body) {
    if (key != "settings" && key != "mappings" && key != "aliases")
      return failure(400, "parse_exception", "unknown key [" + std::string(key) +
                                                 "] for create index");
    if (!value.is_object())
      return failure(400, "parse_exception",
                     "key [" + std::string(key) + "] must be an object for create index");
  }
  const auto* t = matching_template(name);
  if (t && data_stream_timestamp(*t))
    return failure(400, "illegal_argument_exception",
                   "cannot create index with name [" + name + "], because it matches with template [" +
                       t->name + "] that creates data streams only, use create data stream api instead");
  auto settings = template_part(t, "settings");
  auto mappings = template_part(t, "mappings");
  if (const auto* own = object_at(body, "settings")) merge_into(settings, *own);
  if (const auto* own = object_at(body, "mappings")) merge_into(mappings, *own);
  add_index(name, settings, mappings);
  return std::nullopt;
}

std::optional<Failure> Cluster::create_data_stream(const std::string& name) {
  if (auto invalid = check_index_name(name)) return invalid;
  if (find(name))
    return failure(400, "resource_already_exists_exception",
                   "data_stream [" + name + "] already exists");
  const auto* t = matching_template(name);
  const auto timestamp = t ? data_stream_timestamp(*t) : std::nullopt;
  if (!timestamp)
    return failure(400, "illegal_argument_exception",
                   "no matching index template found for data stream [" + name + "]");
  auto mappings = template_part(t, "mappings");
  auto& index = add_index(name, template_part(t, "settings"), mappings);
  auto& properties = index.mappings.at("properties").get_object();
  if (!properties.contains(*timestamp)) properties[*timestamp] = json::object{{"type", "date"}};
  index.write_name = ".ds-" + name + "-000001";
  index.timestamp_field = timestamp;
  return std::nullopt;
}

std::optional<Failure> Cluster::auto_create(const std::string& name) {
  if (auto invalid = check_index_name(name)) return invalid;
  const auto* t = matching_template(name);
  if (t && data_stream_timestamp(*t)) return create_data_stream(name);
  return create_index(name, {});
}

std::optional<Failure> Cluster::delete_index(const std::string& name) {
  if (!indices_.erase(name)) return index_not_found(name);
  return std::nullopt;
}

Index* Cluster::find(const std::string& name) {
  auto it = indices_.find(name);
  return it == indices_.end() ? nullptr : &it->second;
}

const Index* Cluster::find(const std::string& name) const {
  auto it = indices_.find(name);
  return it == indices_.end() ? nullptr : &it->second;
}

std::vector<std::string> Cluster::names() const {
  std::vector<std::string> out;
  for (const auto& [name, _] : indices_) out.push_back(name);
  return out;
}

std::optional<Failure> Cluster::put_template(const std::string& name, const json::object& body) {
  static const std::vector<std::string> known{"index_patterns", "template", "priority",
                                              "composed_of",    "version",  "_meta",
                                              "data_stream"};
  for (const auto& [key, _] : body)
    if (std::find(known.begin(), known.end(), std::string(key)) == known.end())
      return failure(400, "x_content_parse_exception",
                     "[index_template] unknown field [" + std::string(key) + "]");
  IndexTemplate t;
  t.name = name;
  t.body = body;
  if (const auto* patterns = body.if_contains("index_patterns")) t.patterns = patterns_of(*patterns);
  if (t.patterns.empty())
    return failure(400, "action_request_validation_exception",
                   "Validation Failed: 1: index patterns are missing;");
  if (const auto* priority = body.if_contains("priority")) {
    if (!priority->is_int64() && !priority->is_uint64())
      return failure(400, "x_content_parse_exception",
                     "[index_template] failed to parse field [priority]");
    t.priority = priority->is_int64() ? priority->get_int64()
                                      : static_cast<long long>(priority->get_uint64());
  }
  if (const auto* part = body.if_contains("template"); part && !part->is_object())
    return failure(400, "x_content_parse_exception",
                   "[index_template] failed to parse field [template]");
  templates_[name] = std::move(t);
  return std::nullopt;
}

const IndexTemplate* Cluster::find_template(const std::string& name) const {
  auto it = templates_.find(name);
  return it == templates_.end() ? nullptr : &it->second;
}

std::vector<std::string> Cluster::template_names() const {
  std::vector<std::string> out;
  for (const auto& [name, _] : templates_) out.push_back(name);
  return out;
}

bool Cluster::delete_template(const std::string& name) { return templates_.erase(name) > 0; }

std::optional<Failure> Cluster::map_document(Index& index, const std::string& id,
                                             const json::object& source) {
  if (index.timestamp_field && !source.contains(*index.timestamp_field))
    return failure(400, "mapper_parsing_exception",
                   "data stream timestamp field [" + *index.timestamp_field + "] is missing");
  json::object properties = index.mappings.at("properties").get_object();
  Mapper mapper(id);
  if (auto failed = mapper.object(properties, source, "", dynamic_setting(index.mappings, "true"))) {
    failed->extra = index_extra(index.write_name, index.uuid);
    return failed;
  }
  index.mappings["properties"] = std::move(properties);
  return std::nullopt;
}

}  // namespace ltf::emulator::opensearch
