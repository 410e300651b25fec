#pragma once
// The state behind FakeOpenSearch, with no I/O: indices with their mappings and documents, index
// templates, data streams, and the mapping checks a document goes through. The HTTP side
// (opensearch_server.cpp, opensearch_rest.cpp) and the bulk interpreter (opensearch_bulk.cpp)
// act on it.

#include "ltf/fake_opensearch.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ltf::emulator::opensearch {

namespace json = boost::json;

// An OpenSearch ErrorCause: what a failed item or request carries under "error".
struct Failure {
  unsigned status = 400;
  std::string type;
  std::string reason;
  json::object extra;  // index, index_uuid, shard, ...
};

// {"error":{"root_cause":[...],"type":...,"reason":...},"status":N} (ErrorResponseBase).
json::object error_response_body(const Failure& failure);
// The ErrorCause object alone, as a bulk item carries it.
json::object error_cause(const Failure& failure);

struct Index {
  std::string name;        // what clients address: the index, or the data stream's name
  std::string write_name;  // what items report as _index: the name, or the backing index
  std::string uuid;
  json::object mappings;   // {"dynamic":..., "properties":{...}}
  json::object settings;
  std::optional<std::string> timestamp_field;  // set for a data stream
  std::map<std::string, StoredDocument> documents;
  std::uint64_t next_seq_no = 0;
};

struct IndexTemplate {
  std::string name;
  json::object body;  // as put
  std::vector<std::string> patterns;
  long long priority = 0;
};

class Cluster {
 public:
  // PUT /{index}. Templates matching the name contribute settings and mappings; the body's own
  // win. Refused: an existing name, an invalid name, a name a data-stream template claims.
  std::optional<Failure> create_index(const std::string& name, const json::object& body);
  // What a bulk item does with a name that does not exist yet: a data stream when a
  // data-stream template matches, else an index shaped by the matching template.
  std::optional<Failure> auto_create(const std::string& name);
  std::optional<Failure> create_data_stream(const std::string& name);
  std::optional<Failure> delete_index(const std::string& name);  // index or data stream
  Index* find(const std::string& name);
  const Index* find(const std::string& name) const;
  std::vector<std::string> names() const;

  std::optional<Failure> put_template(const std::string& name, const json::object& body);
  const IndexTemplate* find_template(const std::string& name) const;
  std::vector<std::string> template_names() const;
  bool delete_template(const std::string& name);

  // Checks `source` against the index's mapping and, when it fits, adds the fields it introduces
  // (dynamic mapping). On failure the mapping is unchanged.
  std::optional<Failure> map_document(Index& index, const std::string& id,
                                      const json::object& source);

 private:
  const IndexTemplate* matching_template(const std::string& name) const;
  Index& add_index(const std::string& name, const json::object& settings,
                   const json::object& mappings);

  std::map<std::string, Index> indices_;
  std::map<std::string, IndexTemplate> templates_;
  std::uint64_t created_ = 0;  // for index uuids
};

// Index name rules (lowercase, no reserved characters, ...): the failure, or nullopt when valid.
std::optional<Failure> check_index_name(const std::string& name);

// Recursively merges `overlay` into `base`: objects key by key, anything else replaced. How
// template and request mappings combine, and how an update's `doc` applies.
void merge_into(json::object& base, const json::object& overlay);

// '*' matches any run of characters: how index_patterns match names.
bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace ltf::emulator::opensearch
