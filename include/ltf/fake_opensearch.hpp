#pragma once
// FakeOpenSearch: a local OpenSearch stand-in on loopback that speaks the subset of the REST API
// the extension uses (bulk, indices, index templates, data streams) the way the wire contract
// (shared/spec/opensearch-and-aws-auth.md, sections 1 to 3) describes it, stores what arrives,
// and fails on demand the ways real clusters, AWS domains and Serverless collections fail.
// It runs on the caller's io_context, like RecordingSink.
//
// Served (every path and method exists in the OpenAPI bundle; a unit test checks):
//   GET /                                   cluster info
//   POST|PUT /_bulk, POST|PUT /{index}/_bulk
//   PUT|HEAD|GET|DELETE /{index}            create (settings, mappings), exists, get, delete
//   PUT|POST|GET|HEAD|DELETE /_index_template/{name}
//   PUT|GET|DELETE /_data_stream/{name}
// Anything else: 400 "no handler found for uri [...] and method [...]"; a known path with a
// method it does not have: 405.
//
// Where it knowingly simplifies the real thing:
// - Mapping checks are object versus concrete value only (plus "dynamic":"strict"), recursively
//   through `properties`. A field without a mapping is mapped from the first value it sees
//   (string -> text, integer -> long, fraction -> float, bool -> boolean, object -> object).
//   Types are not coerced or validated further (a long field takes any scalar).
// - Index templates apply when an index (or data stream) is created, highest priority first;
//   `composed_of` and overlapping-priority checks are ignored.
// - A data stream has one backing index (.ds-<name>-000001) and no rollover.
// - `update` merges `doc` into the stored source (objects merged recursively) and honours
//   `upsert` and `doc_as_upsert`; a `script` is refused per item.
// - `filter_path` supports comma-separated dotted patterns with `*` segments; as on the real
//   server, objects and array elements left empty by the filter disappear.
// - Auth failure bodies are not in the contract; they copy what real servers are reported to
//   send (see opensearch_server.cpp).

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ltf::emulator {

// ---------------------------------------------------------------------------------------------
// Configuration

struct OpenSearchAuth {
  enum class Kind { none, basic, sigv4 };
  Kind kind = Kind::none;
  // basic: a request without these exact credentials is answered 401 with
  // WWW-Authenticate: Basic realm="OpenSearch Security".
  std::string username;
  std::string password;
  // sigv4: the signature is recomputed with these and compared; any mismatch, a missing or
  // foreign credential scope, a clock skew over 5 minutes, or (for "aoss") a missing or wrong
  // x-amz-content-sha256 is answered 403. The payload hash is over the body as sent (gzip
  // included). With a session token set, X-Amz-Security-Token must carry it and be signed.
  std::string service = "es";  // "es" or "aoss"
  std::string region = "us-east-1";
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;

  static OpenSearchAuth none() { return {}; }
  static OpenSearchAuth basic(std::string username, std::string password);
  static OpenSearchAuth sigv4(std::string service, std::string region, std::string access_key_id,
                              std::string secret_access_key, std::string session_token = "");
};

// What kind of OpenSearch Serverless collection to imitate (only when `serverless`).
enum class CollectionType { search, time_series, vector_search };

struct FakeOpenSearchOptions {
  OpenSearchAuth auth;
  // OpenSearch Serverless ("aoss"): time-series and vector-search collections refuse a custom
  // _id on create/index, per item, with 400 illegal_argument_exception "Document ID is not
  // supported in create/index operation request".
  bool serverless = false;
  CollectionType collection = CollectionType::search;
  // Bodies larger than this, as sent or once gunzipped, are answered 413
  // {"Message":"Request size exceeded N bytes"} (the AWS domain's answer; 10 MiB is the cap of
  // small instance types).
  std::uint64_t max_body_bytes = 10 * 1024 * 1024;
  // An index named by a bulk item that does not exist is created (with any matching template).
  // Off: the item fails 404 index_not_found_exception.
  bool auto_create_index = true;
  std::uint64_t seed = 1;  // for the item rejection draws
};

// Whole-request behaviour, switchable at any time; applies to requests that arrive from then on.
struct OpenSearchFault {
  enum class Kind {
    ok,
    status,           // answer `status` (an ErrorResponseBase body), Retry-After if given
    refuse,           // stop listening: connections are refused (the port is kept)
    hang,             // read the request, never answer
    store_then_hang,  // process and store the request, never answer (an ambiguous outcome)
  };
  Kind kind = Kind::ok;
  unsigned status = 503;
  std::optional<int> retry_after_seconds;
  // Requests that get this fault before it reverts to ok by itself; 0: until changed. Not used
  // for `refuse` (no request arrives to count).
  std::uint32_t times = 0;

  static OpenSearchFault ok() { return {}; }
  static OpenSearchFault status_code(unsigned status,
                                     std::optional<int> retry_after_seconds = std::nullopt,
                                     std::uint32_t times = 0) {
    return {Kind::status, status, retry_after_seconds, times};
  }
  static OpenSearchFault refuse() { return {Kind::refuse, 503, {}, 0}; }
  static OpenSearchFault hang(std::uint32_t times = 0) { return {Kind::hang, 503, {}, times}; }
  static OpenSearchFault store_then_hang(std::uint32_t times = 0) {
    return {Kind::store_then_hang, 503, {}, times};
  }
};

// ---------------------------------------------------------------------------------------------
// What happened

struct StoredDocument {
  std::string id;
  boost::json::object source;
  std::uint64_t version = 1;
};

struct OpenSearchCounters {
  std::uint64_t requests = 0;          // every request read, whatever the answer
  std::uint64_t bulk_requests = 0;     // _bulk requests that reached item processing
  std::uint64_t items = 0;             // bulk items processed
  std::uint64_t created = 0;           // item 201
  std::uint64_t updated = 0;           // item 200 from index or update on an existing id
  std::uint64_t deleted = 0;           // item 200 from delete
  std::uint64_t conflicts = 0;         // item 409 version_conflict_engine_exception
  std::uint64_t rejected_items = 0;    // item 429 from the rejection rate
  std::uint64_t item_errors = 0;       // items carrying an `error`, 409 and 429 included
  std::uint64_t malformed = 0;         // whole-request 400/406 (bad NDJSON, Content-Type, ...)
  std::uint64_t auth_failures = 0;     // answered 401 or 403 by the auth check
  std::uint64_t too_large = 0;         // answered 413
  std::uint64_t faulted = 0;           // answered (or left hanging) by a whole-request fault
};

struct OpenSearchRequest {
  std::string method;
  std::string target;            // path and query as sent
  std::string content_type;
  std::string content_encoding;
  bool authorization = false;    // an Authorization header was present (never recorded)
  std::uint64_t wire_bytes = 0;  // body as sent
  std::string body;              // body after gunzip (empty when it could not be inflated)
  unsigned status = 0;           // what was answered (0: not answered)
};

// Every path template and method FakeOpenSearch serves, as the OpenAPI bundle spells them
// ("POST", "/{index}/_bulk"). The router is built from this list, and a unit test finds each
// one in shared/specs/opensearch-openapi.yaml.
struct OpenSearchOperation {
  std::string method;
  std::string path;
};
std::vector<OpenSearchOperation> fake_opensearch_operations();

// ---------------------------------------------------------------------------------------------

class FakeOpenSearch {
 public:
  explicit FakeOpenSearch(boost::asio::any_io_executor executor,
                          FakeOpenSearchOptions options = {});
  ~FakeOpenSearch();
  FakeOpenSearch(const FakeOpenSearch&) = delete;
  FakeOpenSearch& operator=(const FakeOpenSearch&) = delete;

  // Listens on 127.0.0.1:port (0 = any free port); the port is kept across refuse/ok switches.
  boost::system::error_code listen(std::uint16_t port = 0);
  std::uint16_t port() const;
  std::string url() const;  // "http://127.0.0.1:PORT"
  // Closes the listener and every connection; hanging requests are dropped.
  void stop();

  // Switchable at any time.
  void set_fault(OpenSearchFault fault);
  OpenSearchFault fault() const;
  // This share of bulk items (create/index/update/delete) is answered 429
  // rejected_execution_exception and not applied. Draws come from the seeded generator, one
  // per item in arrival order, so a run is reproducible.
  void set_item_rejection_rate(double fraction);
  void set_max_body_bytes(std::uint64_t bytes);
  void set_auth(OpenSearchAuth auth);
  const FakeOpenSearchOptions& options() const;

  // Setup without HTTP, for tests: same effects as PUT /{index} and PUT /_index_template/{name}.
  // Returns an empty string, or the reason the server would have refused it.
  std::string create_index(const std::string& index, const boost::json::object& body = {});
  std::string put_index_template(const std::string& name, const boost::json::object& body);

  // What is stored. `index` may name a data stream (its documents live in its backing index).
  bool has_index(const std::string& index) const;
  bool has_index_template(const std::string& name) const;
  bool is_data_stream(const std::string& name) const;
  std::vector<std::string> indices() const;  // indices and data streams, sorted
  std::size_t document_count(const std::string& index) const;
  std::size_t document_count() const;  // over every index
  std::map<std::string, std::size_t> document_counts() const;  // by index
  std::optional<boost::json::object> document(const std::string& index,
                                               const std::string& id) const;
  std::vector<StoredDocument> documents(const std::string& index) const;  // by id order
  // The index's mapping as it stands now ({"properties":{...}}, dynamic additions included).
  std::optional<boost::json::object> mapping(const std::string& index) const;
  // Documents in `index` that repeat an earlier one: same `event_id` field when the source has
  // one as a string, else the same serialized source. Only documents stored under different
  // _id can repeat (a 409 keeps the second copy out).
  std::size_t duplicate_documents(const std::string& index) const;

  const OpenSearchCounters& counters() const;
  const std::vector<OpenSearchRequest>& received() const;  // every request, in arrival order

  // For fake-lambda's summary: documents and duplicates per index, and the request and item
  // counters. Several lines of text, and the same as JSON.
  std::string summary() const;
  boost::json::object summary_json() const;

  // Resume when the condition holds; re-checked after every request. False if `limit` passed.
  boost::asio::awaitable<bool> wait_until(std::function<bool()> condition,
                                          std::chrono::milliseconds limit =
                                              std::chrono::milliseconds(30000));
  boost::asio::awaitable<bool> wait_for_requests(std::uint64_t n,
                                                 std::chrono::milliseconds limit =
                                                     std::chrono::milliseconds(30000));
  boost::asio::awaitable<bool> wait_for_documents(std::size_t n,
                                                  std::chrono::milliseconds limit =
                                                      std::chrono::milliseconds(30000));

  struct Server;  // defined in src/emulator

 private:
  std::shared_ptr<Server> server_;
};

}  // namespace ltf::emulator
