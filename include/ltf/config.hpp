#pragma once
// Configuration: the process environment turned into one validated Config. Defaults and ranges
// come from ltf/defaults.hpp; docs/configuration.md lists every variable and a test keeps the two
// in step. The seeds' names (DISPATCH_POST_URI, DISPATCH_MIN_BATCH_SIZE, URL, AUTH_SECRET, *_INDEX)
// keep their meaning; ours share the LTF_ prefix.

#include "ltf/defaults.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ltf {

using Milliseconds = std::chrono::milliseconds;

enum class Compression { none, gzip };  // request bodies to the destination

// How OTLP requests are encoded (LTF_OTLP_PROTOCOL): OpenTelemetry's exporter names.
enum class OtlpProtocol { protobuf, json };

// When to send during invocations (pipeline::FlushPolicy): after each invocation's runtimeDone,
// periodically while the function runs, or chosen by the invocation rate.
enum class FlushStrategy { automatic, end_of_invocation, periodic };

// What kind of Lambda runs us. On-demand: INVOKE and SHUTDOWN, a freeze between invocations.
// Managed Instances: SHUTDOWN only, no freeze, concurrent invocations, no runtimeDone.
enum class LambdaKind { on_demand, managed_instances };

// The extension's own log (stdout): records below this level are dropped; off silences it.
enum class LogLevel { trace, debug, info, warning, error, off };

// A header every request to a destination carries (LTF_HEADERS, a header secret): a token name
// (RFC 9110) and a value without control characters. Its value may be a credential: never log it.
struct HttpHeader {
  std::string name;
  std::string value;
  bool operator==(const HttpHeader&) const = default;
};
using HttpHeaders = std::vector<HttpHeader>;

struct Config {
  // --- Lambda
  std::string runtime_api;  // AWS_LAMBDA_RUNTIME_API: host:port of the Extensions API, no scheme
  std::string region;       // AWS_REGION: part of event ids
  // AWS_LAMBDA_INITIALIZATION_TYPE=lambda-managed-instances (or AWS_LAMBDA_MAX_CONCURRENCY set)
  LambdaKind lambda_kind = LambdaKind::on_demand;
  // The function's name and version come from the registration answer (FunctionIdentity), the
  // one source of who produced the events.

  // --- Telemetry API subscription (checked against Lambda's limits before subscribing)
  std::uint16_t listener_port = defaults::listener_port.fallback;  // LTF_LISTENER_PORT, 1024-65535, never 9001
  std::vector<std::string> telemetry_types{"platform", "function", "extension"};  // LTF_TELEMETRY_TYPES
  std::uint32_t telemetry_max_items = defaults::telemetry_max_items.fallback;    // LTF_TELEMETRY_MAX_ITEMS, 1000-10000
  std::uint32_t telemetry_max_bytes = defaults::telemetry_max_bytes.fallback;  // LTF_TELEMETRY_MAX_BYTES, 262144-1048576
  std::uint32_t telemetry_timeout_ms = defaults::telemetry_timeout_ms.fallback;     // LTF_TELEMETRY_TIMEOUT_MS, 25-30000
  std::uint64_t listener_max_body_bytes = defaults::listener_max_body_bytes.fallback;  // LTF_LISTENER_MAX_BODY_BYTES

  // --- Destination (the seeds' HTTP sink)
  std::optional<std::string> dispatch_post_uri;  // DISPATCH_POST_URI; unset: events are discarded
  std::uint64_t dispatch_min_batch_size = defaults::dispatch_min_batch_size.fallback;    // DISPATCH_MIN_BATCH_SIZE: flush on INVOKE only
                                                 // when more events than this are buffered
  std::uint64_t dispatch_max_batch_bytes = defaults::dispatch_max_batch_bytes.fallback;  // LTF_DISPATCH_MAX_BATCH_BYTES per POST
                                                         // (5 MiB by default with OpenSearch)
  Milliseconds sink_timeout = defaults::sink_timeout.fallback;  // LTF_SINK_TIMEOUT_MS: one whole request, connect included
  std::optional<Milliseconds> connect_timeout;  // LTF_CONNECT_TIMEOUT_MS: connecting plus the TLS
                                                // handshake; unset: only sink_timeout bounds it
  std::optional<Milliseconds> handshake_timeout;  // LTF_TLS_HANDSHAKE_TIMEOUT_MS: the TLS
                                                  // handshake alone, within the two above
  Compression compression = Compression::none;  // LTF_COMPRESSION: none|gzip
  std::optional<std::string> ca_file;  // LTF_CA_FILE: PEM CAs trusted instead of the system's
  bool tls_verify = true;              // LTF_TLS_VERIFY: false turns certificate checks off
  std::string dns_servers;  // LTF_DNS_SERVERS: name servers "ip[:port],..." asked instead of
                            // /etc/resolv.conf's (/etc/hosts still first); empty: resolv.conf's
  Milliseconds retry_initial = defaults::retry_initial.fallback;  // LTF_RETRY_INITIAL_MS: first
                                                                 // backoff after a failure
  Milliseconds retry_max = defaults::retry_max.fallback;  // LTF_RETRY_MAX_MS: backoff ceiling
  Milliseconds retry_after_max = defaults::retry_after_max.fallback;  // LTF_RETRY_AFTER_MAX_MS: the
                                      // longest a Retry-After answer (either form) makes us wait
  std::uint32_t circuit_failures = defaults::circuit_failures.fallback;  // LTF_CIRCUIT_FAILURES:
                                      // failures in a row that open the circuit
  Milliseconds circuit_cooldown = defaults::circuit_cooldown.fallback;  // LTF_CIRCUIT_COOLDOWN_MS:
                                      // how long an open circuit waits
  // SigV4 on every request to DISPATCH_POST_URI or the OTLP endpoints, for IAM-protected ones:
  // the signing name ("logs" for CloudWatch Logs' OTLP endpoint, "osis" for OpenSearch
  // Ingestion, "execute-api" for API Gateway, "lambda" for function URLs)
  std::optional<std::string> sigv4_service;  // LTF_SIGV4_SERVICE; unset: requests go unsigned
  // Headers on every request to DISPATCH_POST_URI: fixed ones, and ones from a Secrets Manager
  // secret (a JSON object of name -> value, fetched on the first delivery and again after a
  // 401/403). With AUTH_SECRET (opensearch_auth_secret) set, basic auth is added too.
  HttpHeaders http_headers;                   // LTF_HEADERS: "name=value,..." percent-decoded
  std::optional<std::string> headers_secret;  // LTF_HEADERS_SECRET: secret name or ARN

  // --- OTLP destination (OpenTelemetry): chosen when any of the endpoints is set; a signal
  // without an endpoint is not sent. Not together with DISPATCH_POST_URI or URL.
  std::optional<std::string> otlp_logs_endpoint;     // LTF_OTLP_LOGS_ENDPOINT, else LTF_OTLP_ENDPOINT + /v1/logs
  std::optional<std::string> otlp_metrics_endpoint;  // LTF_OTLP_METRICS_ENDPOINT, else ... + /v1/metrics
  std::optional<std::string> otlp_traces_endpoint;   // LTF_OTLP_TRACES_ENDPOINT, else ... + /v1/traces
  OtlpProtocol otlp_protocol = OtlpProtocol::protobuf;  // LTF_OTLP_PROTOCOL: http/protobuf|http/json
  HttpHeaders otlp_headers;  // LTF_OTLP_HEADERS: on every OTLP request (parse_header_list)
  // LTF_OTLP_RESOURCE_ATTRIBUTES: the same syntax (as OTEL_RESOURCE_ATTRIBUTES); added to the
  // resource made from the function's identity, and winning over it.
  HttpHeaders otlp_resource_attributes;
  std::uint64_t function_memory_mb = 0;  // AWS_LAMBDA_FUNCTION_MEMORY_SIZE (0: unknown)

  bool otlp() const { return otlp_logs_endpoint || otlp_metrics_endpoint || otlp_traces_endpoint; }

  // --- Secrets Manager (destinations with credentials in a secret)
  bool secrets_via_extension = false;  // LTF_SECRETS_VIA_EXTENSION: true|false, through the AWS
                                       // Parameters and Secrets Lambda Extension
  std::uint16_t secrets_extension_port = defaults::secrets_extension_port.fallback;  // PARAMETERS_SECRETS_EXTENSION_HTTP_PORT, 1-65535
  std::optional<std::string> secrets_endpoint;  // AWS_ENDPOINT_URL_SECRETS_MANAGER, else
                                                // AWS_ENDPOINT_URL: http(s) URL; unset: the
                                                // region's https://secretsmanager.<region>...
  Milliseconds secrets_timeout = defaults::secrets_timeout.fallback;  // LTF_SECRETS_TIMEOUT_MS, 100-60000: one fetch

  // --- OpenSearch (the OpenSearch seed's destination): chosen when URL is set
  std::optional<std::string> opensearch_url;  // URL: http(s) endpoint of a domain, Serverless
                                              // collection or cluster; not with DISPATCH_POST_URI
  std::optional<std::string> opensearch_auth_secret;  // AUTH_SECRET: Secrets Manager secret (name
                                                      // or ARN) {"username","password"}: basic auth
                                                      // to OpenSearch, or to DISPATCH_POST_URI
  // Index per event category: [a-z0-9._+-] (not starting with - _ +), optionally with the UTC
  // date of the event's time as %Y %m %d %H (lambda-function-%Y.%m.%d).
  std::string platform_index = "lambda-platform";    // PLATFORM_INDEX
  std::string function_index = "lambda-function";    // FUNCTION_INDEX
  std::string extension_index = "lambda-extension";  // EXTENSION_INDEX
  std::string opensearch_dlq_index = "lambda-telemetry-dlq";  // LTF_OPENSEARCH_DLQ_INDEX: events
                                      // OpenSearch refuses for good; empty: dropped and counted
  enum class OpenSearchAuth { automatic, basic, sigv4, none };
  OpenSearchAuth opensearch_auth = OpenSearchAuth::automatic;  // LTF_OPENSEARCH_AUTH:
                                      // basic|sigv4|none; unset: basic with AUTH_SECRET, else
                                      // sigv4 for *.es/*.aoss.amazonaws.com hosts, else none
  std::optional<std::string> opensearch_service;  // LTF_OPENSEARCH_SERVICE: es|aoss; unset: aoss
                                                  // for *.aoss.amazonaws.com hosts, else es
  std::optional<std::string> opensearch_region;   // LTF_OPENSEARCH_REGION: signing region; unset:
                                                  // from an AWS host name, else AWS_REGION
  std::optional<bool> opensearch_document_ids;  // LTF_OPENSEARCH_ID_MODE: create (event id as
                                                // _id) | none; unset: none for aoss, else create
  bool opensearch_data_streams = false;  // LTF_OPENSEARCH_DATA_STREAMS: true|false
  bool opensearch_bootstrap = true;      // LTF_OPENSEARCH_BOOTSTRAP: true|false: index templates
                                         // and indices made on the first delivery

  // --- Flushing
  Milliseconds flush_budget = defaults::flush_budget.fallback;      // LTF_FLUSH_BUDGET_MS: post-runtime time one invocation
                                        // may spend flushing before /next is called regardless
  std::uint64_t buffer_max_bytes = defaults::buffer_max_bytes.fallback;  // LTF_BUFFER_MAX_BYTES: memory budget for
                                                     // undelivered events
  std::string spill_dir = defaults::spill_dir;  // LTF_SPILL_DIR: undelivered events past
                                                       // the memory budget, kept on disk
  std::uint64_t spill_max_bytes = defaults::spill_max_bytes.fallback;  // LTF_SPILL_MAX_BYTES; 0 turns spilling off
  Milliseconds deadline_margin = defaults::deadline_margin.fallback;  // LTF_DEADLINE_MARGIN_MS: finish this long before any
                                      // deadlineMs (an invocation's or SHUTDOWN's)
  FlushStrategy flush_strategy = FlushStrategy::automatic;  // LTF_FLUSH_STRATEGY: auto|end-of-invocation|periodic
  Milliseconds flush_interval = defaults::flush_interval.fallback;    // LTF_FLUSH_INTERVAL_MS, 10-3600000: periodic mode
  Milliseconds busy_below = defaults::busy_below.fallback;       // LTF_BUSY_BELOW_MS, 1-3600000: auto goes periodic when
                                        // invocations start this often on average (or more)
  Milliseconds counters_interval = defaults::counters_interval.fallback;  // LTF_COUNTERS_INTERVAL_MS, 0-86400000: how often the
                                           // extension's own counters go out as an event (0: only
                                           // at shutdown)

  // --- Own logs
  LogLevel log_level = LogLevel::info;  // LTF_LOG_LEVEL: trace|debug|info|warn|error|off
};

struct ConfigError {
  std::string variable;
  std::string message;
};

using Environment = std::map<std::string, std::string, std::less<>>;

// The process environment as a map (only the variables this program reads).
Environment process_environment();

// Reads every variable once: the Config (a bad value leaves its default) and every problem, each
// naming its variable. The process reads its environment only through this.
struct LoadedConfig {
  Config config;
  std::vector<ConfigError> errors;
};
LoadedConfig read_config(const Environment& env);

// read_config, as a Config when every value is good, else all the problems.
std::variant<Config, std::vector<ConfigError>> load_config(const Environment& env);

// The numeric settings, as the docs table lists them: variable, default, range (milliseconds for
// durations, bytes for sizes). Built from ltf/defaults.hpp, for the test that checks the docs.
struct NumericSetting {
  std::string_view variable;
  std::uint64_t fallback;
  std::uint64_t min;
  std::uint64_t max;
};
std::span<const NumericSetting> numeric_settings();

// Header lists, as OTEL_EXPORTER_OTLP_HEADERS gives them (OpenTelemetry's exporter spec: W3C
// Baggage's list syntax without properties): "name=value,name=value". Spaces and tabs around
// names, values and commas are dropped, empty members skipped; each name and value is
// percent-decoded (%XX; '+' stays '+'), so "Authorization=Bearer%20abc" carries a space; the
// value is everything after the first '=' (a ';' in it is kept). Used for LTF_HEADERS and
// LTF_OTLP_HEADERS. nullopt with `why` on a malformed list or a header check_headers refuses;
// `why` names headers, never quotes a value.
std::optional<HttpHeaders> parse_header_list(std::string_view text, std::string* why = nullptr);

// Why these headers cannot be added to our requests, or "" when they can: a name that is not an
// RFC 9110 token, a value with a control character (CR, LF, NUL, ... ; tab is allowed), a name
// the request framing owns (Host, Content-Length, Content-Type, Content-Encoding,
// Transfer-Encoding, Connection and the other hop-by-hop ones), the same name twice (names are
// case-insensitive), more than defaults::max_added_headers, or more than
// defaults::added_headers_max_bytes of names and values. Never quotes a value.
std::string check_headers(const HttpHeaders& headers);

// "LTF_X: must be ...; DISPATCH_POST_URI: ..." for /extension/init/error and the log.
std::string describe(const std::vector<ConfigError>& errors);

}  // namespace ltf
