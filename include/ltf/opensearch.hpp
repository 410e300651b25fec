#pragma once
// The OpenSearch destination: the OpenSearch seed's integration (URL, AUTH_SECRET, PLATFORM_INDEX,
// FUNCTION_INDEX, EXTENSION_INDEX) done so that nothing is lost, duplicated or mis-mapped.
//
// - Each event becomes a flat document that indexes cleanly: an object record under `record`, any
//   other record as a string under `message` (one field, one type), `@timestamp` from the event.
// - Documents go through `_bulk` as `create` with the event's deterministic id, so a resend after
//   an unknown outcome is a harmless 409. Every item of the answer is walked: throttled and
//   failed-shard items are sent again, items that can never be indexed go to a dead-letter index
//   with their reason.
// - On its first delivery the sink installs index templates (so dated and rolled-over indices get
//   the mapping too) and creates the indices.
// - Auth: basic from a Secrets Manager secret (the seed), SigV4 for Amazon OpenSearch Service
//   (`es`) and Serverless (`aoss`), or none.
//
// Files: opensearch_document.cpp (event -> document, index names), opensearch_bulk.cpp (NDJSON
// body, the answer's items), opensearch_bootstrap.cpp (templates, indices), opensearch_transport.cpp
// (one connection with auth), opensearch_sink.cpp (the Sink), opensearch_options.cpp (Config ->
// options).

#include "ltf/aws.hpp"
#include "ltf/config.hpp"
#include "ltf/net.hpp"
#include "ltf/secrets.hpp"
#include "ltf/sinks.hpp"
#include "ltf/telemetry.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ltf::opensearch {

using telemetry::Event;
using telemetry::FunctionIdentity;

// ---------------------------------------------------------------------------------------------
// Index names (opensearch_document.cpp)

// An index name pattern: literal text plus UTC date fields of the event's time, %Y (year), %m
// (month), %d (day), %H (hour) and %% (a '%'). "lambda-function-%Y.%m.%d" names the index
// "lambda-function-2024.05.01" for an event of that day. The date comes from the event, never from
// the clock, so a resend always targets the index the first attempt did.
//
// The index for one event time, or nullopt when the pattern has date fields and `event_time` is
// not an RFC 3339 timestamp (times with an offset are converted to UTC).
std::optional<std::string> index_name(std::string_view pattern, std::string_view event_time);
// True when the pattern has date fields (dated indices: no single index to create up front).
bool has_date_fields(std::string_view pattern);
// What every name made from `pattern` starts with: the text before its first date field.
std::string index_name_prefix(std::string_view pattern);

// Where each category of event goes. Events of a category Lambda may add later go with platform.
struct IndexPatterns {
  std::string platform = "lambda-platform";
  std::string function = "lambda-function";
  std::string extension = "lambda-extension";

  const std::string& for_category(telemetry::Category category) const;
};

// ---------------------------------------------------------------------------------------------
// Documents (opensearch_document.cpp)

// The document for `event`, as one line of JSON: @timestamp and time (the event's time), type,
// requestId (when the event has one), event_id, sequence, function_name, function_version,
// region, and the record (an object under `record`, anything else as a string under `message`;
// a string is kept as is, other values as their JSON text). nullopt with `why` when Event::raw is
// not a JSON object.
std::optional<std::string> document_source(const Event& event, const FunctionIdentity& function,
                                           std::string* why = nullptr);

// Why an event could not be indexed, as the dead-letter document records it.
struct Refusal {
  std::string index;       // where it was meant to go (empty when no name could be made)
  unsigned status = 0;     // the item's status; 0 when it was refused before sending
  std::string error_type;  // "mapper_parsing_exception", "invalid_event", ...
  std::string reason;
};

// The dead-letter document: the original event as a string (so no mapping can refuse it again)
// with the refusal, the event id and the function's identity. @timestamp is the event's time when
// it is a valid RFC 3339 time, else `now`.
std::string dead_letter_source(const Event& event, const FunctionIdentity& function,
                               const Refusal& refusal, std::string_view now);

// ---------------------------------------------------------------------------------------------
// Bulk requests and answers (opensearch_bulk.cpp)

enum class OpType { create, index };

struct BulkAction {
  std::string index;
  std::string id;      // empty: the server makes one up (Serverless time-series collections)
  std::string source;  // one JSON object on one line
};

// The NDJSON body of a _bulk request: for each action a metadata line {"<op>":{"_index":...,
// "_id":...}} and its source line, each ending in '\n' (the last one too, or OpenSearch refuses
// the whole request).
std::string bulk_body(std::span<const BulkAction> actions, OpType op);

// One item of a _bulk answer.
struct BulkItem {
  unsigned status = 0;
  std::string error_type;  // error.type; empty without an error
  std::string reason;      // error.reason, at most max_reason_bytes
};
inline constexpr std::size_t max_reason_bytes = 1024;
inline constexpr std::size_t max_error_type_bytes = 128;  // error.type kept in a BulkItem
// An error answer is read no further than this (error_summary).
inline constexpr std::size_t max_error_body_bytes = 64 * 1024;

// The items of a _bulk answer with HTTP 200, in request order. nullopt with `why` when the body is
// not a bulk answer or has a different number of items than the request had actions. Read as a
// stream (opensearch_answer.cpp): memory in proportion to `expected_items`, whatever the body's
// size; error.type and reason bounded and on one line.
std::optional<std::vector<BulkItem>> parse_bulk_response(std::string_view body,
                                                         std::size_t expected_items,
                                                         std::string* why = nullptr);

// The same, read as it arrives: pieces of the body go to write(), and finish() says what
// parse_bulk_response would have said of the whole. Holds the items (at most `expected_items`)
// and the parser's state, never the body: a 200 MB answer costs what a small one does.
class BulkAnswerReader {
 public:
  explicit BulkAnswerReader(std::size_t expected_items);
  ~BulkAnswerReader();
  BulkAnswerReader(BulkAnswerReader&&) noexcept;
  BulkAnswerReader& operator=(BulkAnswerReader&&) noexcept;
  // False once the body cannot be a bulk answer any more: the rest is not worth reading.
  bool write(std::string_view piece);
  // After the last piece (or after write() said false): the items, or nullopt with `why`.
  std::optional<std::vector<BulkItem>> finish(std::string* why = nullptr);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// What to do with one item.
enum class ItemFate {
  stored,         // 2xx, or 409 on a create: an earlier attempt stored it (dedup)
  retry,          // 429 (back-pressure), 5xx (shard trouble), 403 cluster block: send again later
  missing_index,  // 404 index_not_found_exception: create the index, then send again
  dead_letter,    // mapping errors and other 4xx: sending again can never work
};
ItemFate fate_of(const BulkItem& item);

// A whole-request error body ({"error":{"type":..,"reason":..},"status":..}, or the AWS
// {"Message":..} of a 413) as "type: reason", at most `limit` bytes, on one line; the raw body's
// excerpt when it is neither.
std::string error_summary(std::string_view body, std::size_t limit = 256);

// ---------------------------------------------------------------------------------------------
// Index templates (opensearch_bootstrap.cpp)

// How `record` is mapped. Platform records have a fixed shape that AWS defines, so they are a
// dynamic object (numbers stay numbers for dashboards). Function and extension records are
// whatever the function logged: flat_object (OpenSearch 2.7+) keeps them one field, so no
// combination of log keys can explode or conflict with the mapping; object is the fallback for
// clusters without flat_object.
enum class RecordMapping { dynamic_object, flat_object };

struct TemplateSpec {
  std::string name;                         // PUT /_index_template/<name>
  std::vector<std::string> index_patterns;  // the names it covers
  int priority = 100;                       // the more specific pattern wins
  RecordMapping record = RecordMapping::dynamic_object;
  bool data_stream = false;
};

// The templates covering `indices` (one per distinct pattern; a pattern shared by platform and
// another category maps `record` as a dynamic object).
std::vector<TemplateSpec> data_templates(const IndexPatterns& indices, bool data_streams);
// The dead-letter index's template: everything stored, nothing indexed that a value can fail.
TemplateSpec dead_letter_template(std::string_view dead_letter_index);
// The body of PUT /_index_template/<name>.
std::string template_body(const TemplateSpec& spec);

// ---------------------------------------------------------------------------------------------
// Auth and the connection (opensearch_transport.cpp)

enum class AuthMode { none, basic, sigv4 };

// Where basic-auth credentials come from: fetched when first needed, forgotten when the cluster
// refuses them (the secret may have been rotated).
struct BasicAuthFetch {
  std::optional<aws::BasicAuth> auth;
  std::string problem;  // why there is none; never contains a secret
};
class BasicAuthSource {
 public:
  virtual ~BasicAuthSource() = default;
  virtual boost::asio::awaitable<BasicAuthFetch> get() = 0;
  virtual void invalidate() = 0;
  virtual std::string describe() const = 0;  // for logs
};
// The seed's AUTH_SECRET: a Secrets Manager secret {"username": ..., "password": ...}.
std::unique_ptr<BasicAuthSource> secret_basic_auth(boost::asio::any_io_executor executor,
                                                   aws::SecretsOptions options,
                                                   std::string secret_id);
// Always the same credentials (tests).
std::unique_ptr<BasicAuthSource> fixed_basic_auth(aws::BasicAuth auth);

struct TransportOptions {
  net::HttpUrl url;  // the cluster; its path (a proxy's prefix) goes before every API path
  Milliseconds timeout = defaults::sink_timeout.fallback;
  std::optional<Milliseconds> connect_timeout;
  std::optional<Milliseconds> handshake_timeout;  // LTF_TLS_HANDSHAKE_TIMEOUT_MS, as for HTTP
  net::TlsOptions tls;
  AuthMode auth = AuthMode::none;
  std::shared_ptr<BasicAuthSource> basic;  // AuthMode::basic
  aws::RequestSigner signer;               // AuthMode::sigv4: service "es" or "aoss"
};

// The outcome of one request. `problem` set: nothing was sent (no credentials to send with).
// The response's body holds at most the first max_error_body_bytes of the answer (what error
// summaries and the bootstrap's checks read); a _bulk answer with a 2xx status is not kept at all
// but read into `items` as it arrives.
struct Reply {
  net::Exchange exchange;
  std::string problem;
  // A _bulk request (Transport::send's `bulk_items`) answered 2xx: its items, or nullopt with
  // `items_problem` when the answer was not a bulk answer for that many actions.
  std::optional<std::vector<BulkItem>> items;
  std::string items_problem;
  bool sent() const { return problem.empty(); }
  unsigned status() const { return sent() && exchange.ok() ? exchange.response.result_int() : 0; }
};

// One kept-alive connection to the cluster that authenticates every request.
class Transport {
 public:
  Transport(boost::asio::any_io_executor executor, TransportOptions options);
  // `path` is the API path ("/_bulk", "/my-index"), `query` without '?'. With `gzip` the body is
  // sent compressed; with SigV4 the signature covers the bytes actually sent. `bulk_items`: the
  // request is a _bulk of that many actions, whose answer is read into Reply::items.
  boost::asio::awaitable<Reply> send(net::http::verb method, std::string_view path,
                                     std::string_view query, std::string body,
                                     std::string_view content_type, bool gzip = false,
                                     std::optional<std::size_t> bulk_items = std::nullopt);
  // The cluster answered 401/403: credentials from a secret are fetched again next time, once per
  // run of refusals (a secret that is simply wrong is not fetched on every retry).
  void refused();
  // The cluster accepted a request: a later refusal may fetch the secret again.
  void accepted() { refetched_ = false; }
  // A SnapStart restore: the connection is gone and a secret fetched before may be stale.
  void restored();
  AuthMode auth() const { return options_.auth; }
  std::string describe() const;  // scheme://host:port/path, never credentials

 private:
  boost::asio::any_io_executor executor_;
  TransportOptions options_;
  std::optional<net::HttpClient> client_;  // made on the first request
  bool refetched_ = false;
};

// ---------------------------------------------------------------------------------------------
// The sink (opensearch_sink.cpp)

struct SinkOptions {
  IndexPatterns indices;
  std::string dead_letter_index = "lambda-telemetry-dlq";  // empty: refused events only counted
  // create + _id = event id (dedup on resend). false: index without _id (Serverless time-series
  // and vector collections refuse custom ids); the event id stays in the document.
  bool document_ids = true;
  bool data_streams = false;  // the templates make data streams; writes are create only
  bool bootstrap = true;      // install templates and create indices on the first delivery
  bool gzip = false;
  // Ask for only status and error of each item (filter_path): keeps the answer to a big batch
  // small. Off for Serverless, whose support for it is not documented.
  bool filter_response = true;
  FunctionIdentity function;
};

struct SinkStats {
  std::uint64_t bulk_requests = 0;
  std::uint64_t stored = 0;           // items 2xx
  std::uint64_t duplicates = 0;       // items 409: stored by an earlier attempt
  std::uint64_t retried_items = 0;    // items 429/5xx handed back for later
  std::uint64_t dead_lettered = 0;    // refused events written to the dead-letter index
  std::uint64_t dead_letter_failures = 0;  // refused events the dead-letter index did not take
  std::uint64_t bootstrap_requests = 0;
  std::uint64_t indices_created_on_demand = 0;  // after a 404 index_not_found_exception
};

// Kinds of trouble (error types, dead-letter failures) are logged once each and remembered; past
// this many, new kinds are only counted: a server naming its errors at will can grow neither the
// set nor the log without end.
inline constexpr std::size_t max_reported_kinds = 32;

class OpenSearchSink final : public sinks::Sink {
 public:
  OpenSearchSink(boost::asio::any_io_executor executor, TransportOptions transport,
                 SinkOptions options);
  boost::asio::awaitable<sinks::Delivery> deliver(std::span<const Event> batch) override;
  std::string describe() const override;
  void restored(const telemetry::FunctionIdentity& function) override {
    options_.function = function;
    transport_.restored();
  }
  const SinkStats& stats() const { return stats_; }
  bool bootstrapped() const { return bootstrap_done_; }

 private:
  struct Prepared;  // a batch turned into bulk actions (opensearch_sink.cpp)
  enum class Bootstrap { done, refused, failed };

  boost::asio::awaitable<sinks::Delivery> send_bulk(std::span<const Event> batch);
  boost::asio::awaitable<Bootstrap> bootstrap(sinks::Delivery& failure);
  boost::asio::awaitable<bool> create_index(const std::string& name);
  boost::asio::awaitable<void> dead_letter(std::span<const Event> batch,
                                           const std::vector<std::size_t>& events,
                                           const std::vector<Refusal>& refusals);
  void note_refusal(const Refusal& refusal);

  Transport transport_;
  SinkOptions options_;
  SinkStats stats_;
  std::vector<TemplateSpec> templates_;
  std::vector<bool> templates_done_;
  std::set<std::string> indices_done_;  // created (or found) at bootstrap or on demand
  bool bootstrap_done_ = false;
  bool bulk_accepted_ = false;  // a _bulk request got a 2xx during the current delivery
  // Logged once each: item error types, dead-letter failures, bootstrap refusals.
  std::set<std::string, std::less<>> reported_;
};

// ---------------------------------------------------------------------------------------------
// From the configuration (opensearch_options.cpp)

// How to authenticate, and as which SigV4 service, per the configuration and the URL's host:
// LTF_OPENSEARCH_AUTH when set; else basic with AUTH_SECRET (the seed); else SigV4 for
// *.es.amazonaws.com and *.aoss.amazonaws.com; else none.
AuthMode resolve_auth(const Config& config, std::string_view host);
// LTF_OPENSEARCH_SERVICE when set; else "aoss" for *.aoss.amazonaws.com hosts, else "es".
std::string resolve_service(const Config& config, std::string_view host);
// LTF_OPENSEARCH_REGION when set; else the region in an AWS host name; else AWS_REGION.
std::string resolve_region(const Config& config, std::string_view host);

// The sink for a configuration with URL set (load_config validated it). Basic auth reads the
// secret through Secrets Manager on the first delivery; SigV4 uses the function role's
// credentials from the environment.
// `function` (name, version, region and sandbox: the registration answer) goes into every document.
std::unique_ptr<OpenSearchSink> make_opensearch_sink(boost::asio::any_io_executor executor,
                                                     const Config& config,
                                                     telemetry::FunctionIdentity function = {});

}  // namespace ltf::opensearch
