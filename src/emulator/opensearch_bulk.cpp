// _bulk for FakeOpenSearch: the NDJSON rules, validation and per-item outcomes of contract
// sections 1.2, 1.3, 1.7 and 2, with the error types and reasons OpenSearch gives.
#include "opensearch_bulk.hpp"

#include <boost/json/parse.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <vector>

namespace ltf::emulator::opensearch {

namespace {

constexpr std::size_t kMaxIdBytes = 512;

struct Action {
  std::string op;  // index, create, update, delete
  std::size_t line = 0;
  std::optional<std::string> index;
  std::optional<std::string> id;
  std::string source_text;  // index/create: the raw source line, parsed per item
  json::object update;      // update: {doc, upsert, doc_as_upsert, script, ...}
};

Failure request_failure(std::string type, std::string reason) {
  return Failure{400, std::move(type), std::move(reason), {}};
}

Failure malformed(std::size_t line, const std::string& what) {
  return request_failure("illegal_argument_exception",
                         "Malformed action/metadata line [" + std::to_string(line) + "], " + what);
}

// The parser token OpenSearch names when a line does not start the way it expects.
std::string token_of(const json::value& value) {
  switch (value.kind()) {
    case json::kind::object: return "START_OBJECT";
    case json::kind::array: return "START_ARRAY";
    case json::kind::string: return "VALUE_STRING";
    case json::kind::bool_: return "VALUE_BOOLEAN";
    case json::kind::null: return "VALUE_NULL";
    default: return "VALUE_NUMBER";
  }
}

bool is_blank(std::string_view line) {
  return std::all_of(line.begin(), line.end(), [](char c) { return c == ' ' || c == '\t'; });
}

const std::vector<std::string>& allowed_parameters(const std::string& op) {
  static const std::vector<std::string> write{
      "_index",   "_id",     "routing",      "pipeline",         "require_alias", "if_seq_no",
      "if_primary_term", "version", "version_type", "dynamic_templates", "op_type"};
  static const std::vector<std::string> update{
      "_index",  "_id",          "routing",   "require_alias",     "if_seq_no",
      "if_primary_term", "version", "version_type", "retry_on_conflict", "_source"};
  static const std::vector<std::string> remove{"_index",  "_id",          "routing",  "if_seq_no",
                                               "if_primary_term", "version", "version_type"};
  return op == "update" ? update : op == "delete" ? remove : write;
}

// _index and _id: strings, or numbers taken as their text (as OpenSearch does).
std::optional<std::string> simple_value(const json::value& value) {
  if (value.is_string()) return std::string(value.get_string());
  if (value.is_int64()) return std::to_string(value.get_int64());
  if (value.is_uint64()) return std::to_string(value.get_uint64());
  return std::nullopt;
}

// Splits the body into lines, parses every action line and pairs it with its source line.
// Returns the first malformation, which refuses the whole request.
std::optional<Failure> parse_actions(std::string_view body, std::vector<Action>& actions) {
  std::vector<std::string_view> lines;
  for (std::size_t start = 0; start < body.size();) {
    const auto end = body.find('\n', start);
    auto line = body.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    start = end + 1;
  }
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::size_t number = i + 1;
    if (is_blank(lines[i])) continue;
    boost::system::error_code ec;
    auto parsed = json::parse(lines[i], ec);
    if (ec) return malformed(number, "expected a JSON object but the line does not parse: " + ec.message());
    if (!parsed.is_object())
      return malformed(number, "expected START_OBJECT but found [" + token_of(parsed) + "]");
    const auto& line = parsed.get_object();
    if (line.empty()) return malformed(number, "expected FIELD_NAME but found [END_OBJECT]");
    if (line.size() > 1) return malformed(number, "expected END_OBJECT but found [FIELD_NAME]");
    Action action;
    action.line = number;
    action.op = std::string(line.begin()->key());
    if (action.op != "index" && action.op != "create" && action.op != "update" &&
        action.op != "delete")
      return malformed(number, "expected field [create], [delete], [index] or [update] but found [" +
                                   action.op + "]");
    const auto& meta = line.begin()->value();
    if (!meta.is_object())
      return malformed(number, "expected START_OBJECT but found [" + token_of(meta) + "]");
    const auto& allowed = allowed_parameters(action.op);
    for (const auto& [key, value] : meta.get_object()) {
      const std::string name(key);
      if (std::find(allowed.begin(), allowed.end(), name) == allowed.end())
        return request_failure("illegal_argument_exception",
                               "Action/metadata line [" + std::to_string(number) +
                                   "] contains an unknown parameter [" + name + "]");
      if (name != "_index" && name != "_id") continue;
      auto text = simple_value(value);
      if (!text)
        return malformed(number, "expected a simple value for field [" + name + "] but found [" +
                                     token_of(value) + "]");
      (name == "_index" ? action.index : action.id) = std::move(text);
    }
    if (action.op != "delete") {
      if (i + 1 >= lines.size())
        return request_failure("illegal_argument_exception",
                               "Action/metadata line [" + std::to_string(number) + "] [" +
                                   action.op + "] is not followed by its source line");
      ++i;
      if (action.op == "update") {
        auto update = json::parse(lines[i], ec);
        if (ec || !update.is_object())
          return request_failure("x_content_parse_exception",
                                 "[" + std::to_string(i + 1) +
                                     ":1] [UpdateRequest] expected a JSON object");
        static const std::vector<std::string> update_keys{
            "doc", "upsert", "doc_as_upsert", "script", "scripted_upsert", "detect_noop",
            "_source", "if_seq_no", "if_primary_term", "lang"};
        for (const auto& [key, _] : update.get_object())
          if (std::find(update_keys.begin(), update_keys.end(), std::string(key)) ==
              update_keys.end())
            return request_failure("x_content_parse_exception",
                                   "[" + std::to_string(i + 1) + ":1] [UpdateRequest] unknown field [" +
                                       std::string(key) + "]");
        action.update = std::move(update.get_object());
      } else {
        action.source_text = std::string(lines[i]);
      }
    }
    actions.push_back(std::move(action));
  }
  return std::nullopt;
}

// What OpenSearch's BulkRequest.validate() reports, all problems numbered in one reason.
std::optional<Failure> validate(std::vector<Action>& actions, const BulkSettings& settings) {
  std::vector<std::string> problems;
  if (actions.empty()) problems.push_back("no requests added");
  for (auto& action : actions) {
    if (!action.index) action.index = settings.path_index;
    if (!action.index || action.index->empty()) problems.push_back("index is missing");
    if (action.id && action.id->size() > kMaxIdBytes)
      problems.push_back("id [" + *action.id + "] is too long, must be no longer than 512 bytes but was: " +
                         std::to_string(action.id->size()));
    if (action.id && action.id->empty() && action.op != "delete" && action.op != "update")
      problems.push_back("if _id is specified it must not be empty");
    if ((action.op == "update" || action.op == "delete") && (!action.id || action.id->empty()))
      problems.push_back("id is missing");
    if (action.op == "update" && !action.update.contains("doc") && !action.update.contains("script"))
      problems.push_back("script or doc is missing");
  }
  if (problems.empty()) return std::nullopt;
  std::string reason = "Validation Failed: ";
  for (std::size_t i = 0; i < problems.size(); ++i)
    reason += std::to_string(i + 1) + ": " + problems[i] + ";";
  return request_failure("action_request_validation_exception", reason);
}

std::string generated_id(std::mt19937_64& ids) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string id;
  for (int i = 0; i < 20; ++i) id += alphabet[ids() % 64];
  return id;
}

class Executor {
 public:
  Executor(Cluster& cluster, const BulkSettings& settings, std::mt19937_64& draws,
           std::mt19937_64& ids, BulkTally& tally)
      : cluster_(cluster), settings_(settings), draws_(draws), ids_(ids), tally_(tally) {}

  json::object run(Action& action) {
    ++tally_.items;
    const double draw = static_cast<double>(draws_() >> 11) * 0x1.0p-53;
    item_ = json::object{{"_index", *action.index}};
    if (action.id) item_["_id"] = *action.id;
    if (draw < settings_.rejection_rate) {
      ++tally_.rejected;
      return fail(Failure{429, "rejected_execution_exception",
                          "rejected execution of primary operation [shard_detail=[" +
                              *action.index +
                              "][0][P], shard_operation_bytes=0, shard_max_coordinating_and_primary_bytes=0] "
                              "on OpenSearchThreadPoolExecutor[name = fake-node/write, queue "
                              "capacity = 10000, task count = 10000]",
                          {}});
    }
    Index* index = cluster_.find(*action.index);
    if (!index) {
      if (auto invalid = check_index_name(*action.index)) return fail(*invalid);
      if (action.op == "delete" || !settings_.auto_create_index)
        return fail(Failure{404, "index_not_found_exception", "no such index [" + *action.index + "]",
                            json::object{{"index", *action.index}, {"index_uuid", "_na_"}}});
      if (auto refused = cluster_.auto_create(*action.index)) return fail(*refused);
      index = cluster_.find(*action.index);
    }
    item_["_index"] = index->write_name;
    if (index->timestamp_field && (action.op == "index" || action.op == "update"))
      return fail(Failure{400, "illegal_argument_exception",
                          "only write ops with an op_type of create are allowed in data streams",
                          {}});
    if (settings_.refuse_custom_ids && action.id && (action.op == "index" || action.op == "create"))
      return fail(Failure{400, "illegal_argument_exception",
                          "Document ID is not supported in create/index operation request", {}});
    if (action.op == "delete") return remove(*index, *action.id);
    if (action.op == "update") return update(*index, *action.id, action.update);
    return write(*index, action);
  }

 private:
  json::object fail(const Failure& failure) {
    ++tally_.errors;
    item_["status"] = failure.status;
    item_["error"] = error_cause(failure);
    return std::move(item_);
  }

  // A noop update has no new sequence number to report (the field is optional).
  json::object succeed(const StoredDocument& doc, std::optional<std::uint64_t> seq_no,
                       const char* result, unsigned status) {
    item_["_id"] = doc.id;
    item_["_version"] = doc.version;
    item_["result"] = result;
    item_["_shards"] = json::object{{"total", 2}, {"successful", 1}, {"failed", 0}};
    if (seq_no) item_["_seq_no"] = *seq_no;
    item_["_primary_term"] = 1;
    item_["status"] = status;
    return std::move(item_);
  }

  Failure conflict(const Index& index, const std::string& id, std::uint64_t version) {
    ++tally_.conflicts;
    return Failure{409, "version_conflict_engine_exception",
                   "[" + id + "]: version conflict, document already exists (current version [" +
                       std::to_string(version) + "])",
                   json::object{{"index", index.write_name}, {"shard", "0"},
                                {"index_uuid", index.uuid}}};
  }

  // Stores `source` under `id` (new, or replacing with the version bumped) after the mapping
  // accepted it.
  json::object store(Index& index, const std::string& id, json::object source) {
    if (auto refused = cluster_.map_document(index, id, source)) return fail(*refused);
    const auto seq_no = index.next_seq_no++;
    auto it = index.documents.find(id);
    if (it == index.documents.end()) {
      auto& doc = index.documents[id] = StoredDocument{id, std::move(source), 1};
      ++tally_.created;
      return succeed(doc, seq_no, "created", 201);
    }
    it->second.source = std::move(source);
    ++it->second.version;
    ++tally_.updated;
    return succeed(it->second, seq_no, "updated", 200);
  }

  json::object write(Index& index, Action& action) {
    const auto id = action.id ? *action.id : generated_id(ids_);
    item_["_id"] = id;
    if (is_blank(action.source_text))
      return fail(Failure{400, "mapper_parsing_exception", "failed to parse, document is empty",
                          json::object{{"index", index.write_name}, {"index_uuid", index.uuid}}});
    boost::system::error_code ec;
    auto source = json::parse(action.source_text, ec);
    if (ec || !source.is_object())
      return fail(Failure{400, "mapper_parsing_exception", "failed to parse",
                          json::object{{"index", index.write_name},
                                       {"index_uuid", index.uuid},
                                       {"caused_by", json::object{{"type", "not_x_content_exception"},
                                                                  {"reason", "the source line is not a JSON object"}}}}});
    if (action.op == "create")
      if (auto it = index.documents.find(id); it != index.documents.end())
        return fail(conflict(index, id, it->second.version));
    return store(index, id, std::move(source.get_object()));
  }

  json::object update(Index& index, const std::string& id, const json::object& request) {
    if (request.contains("script"))
      return fail(Failure{400, "illegal_argument_exception",
                          "FakeOpenSearch does not run scripts: send a partial `doc`", {}});
    const auto* doc = request.if_contains("doc");
    if (doc && !doc->is_object())
      return fail(Failure{400, "illegal_argument_exception", "[doc] must be a JSON object", {}});
    auto it = index.documents.find(id);
    if (it == index.documents.end()) {
      const auto* as_upsert = request.if_contains("doc_as_upsert");
      const auto* upsert = request.if_contains("upsert");
      if (as_upsert && as_upsert->is_bool() && as_upsert->get_bool() && doc)
        return store(index, id, doc->get_object());
      if (upsert && upsert->is_object()) return store(index, id, upsert->get_object());
      return fail(Failure{404, "document_missing_exception", "[" + id + "]: document missing",
                          json::object{{"index", index.write_name}, {"shard", "0"},
                                       {"index_uuid", index.uuid}}});
    }
    auto merged = it->second.source;
    merge_into(merged, doc->get_object());
    const auto* detect_noop = request.if_contains("detect_noop");
    const bool noop_detection = !(detect_noop && detect_noop->is_bool() && !detect_noop->get_bool());
    if (noop_detection && merged == it->second.source)
      return succeed(it->second, std::nullopt, "noop", 200);
    return store(index, id, std::move(merged));
  }

  json::object remove(Index& index, const std::string& id) {
    auto it = index.documents.find(id);
    if (it == index.documents.end()) {
      const StoredDocument missing{id, {}, 1};
      return succeed(missing, std::nullopt, "not_found", 404);
    }
    StoredDocument gone = std::move(it->second);
    ++gone.version;
    index.documents.erase(it);
    ++tally_.deleted;
    return succeed(gone, index.next_seq_no++, "deleted", 200);
  }

  Cluster& cluster_;
  const BulkSettings& settings_;
  std::mt19937_64& draws_;
  std::mt19937_64& ids_;
  BulkTally& tally_;
  json::object item_;
};

}  // namespace

BulkResult run_bulk(Cluster& cluster, std::string_view body, const BulkSettings& settings,
                    std::mt19937_64& draws, std::mt19937_64& ids) {
  const auto started = std::chrono::steady_clock::now();
  BulkResult result;
  if (!body.empty() && body.back() != '\n') {
    result.request_error = request_failure("illegal_argument_exception",
                                           "The bulk request must be terminated by a newline [\\n]");
    return result;
  }
  std::vector<Action> actions;
  if (auto bad = parse_actions(body, actions)) {
    result.request_error = std::move(bad);
    return result;
  }
  if (auto invalid = validate(actions, settings)) {
    result.request_error = std::move(invalid);
    return result;
  }
  Executor executor(cluster, settings, draws, ids, result.tally);
  json::array items;
  for (auto& action : actions) {
    json::object item;
    item[action.op] = executor.run(action);
    items.push_back(std::move(item));
  }
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  result.response = json::object{{"took", took.count()},
                                 {"errors", result.tally.errors > 0},
                                 {"items", std::move(items)}};
  return result;
}

}  // namespace ltf::emulator::opensearch
