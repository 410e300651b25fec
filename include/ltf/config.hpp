#pragma once
// Configuration: the process environment turned into one validated Config. Every setting, its
// variable, default and range is listed here and in docs/configuration.md. The seeds' names
// (DISPATCH_POST_URI, DISPATCH_MIN_BATCH_SIZE) keep their meaning; ours share the LTF_ prefix.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace ltf {

using Milliseconds = std::chrono::milliseconds;

enum class Compression { none, gzip };  // request bodies to the destination

struct Config {
  // --- Lambda
  std::string runtime_api;  // AWS_LAMBDA_RUNTIME_API: host:port of the Extensions API, no scheme
  std::string region;       // AWS_REGION (informational; event ids use it later)
  std::string function_name;     // AWS_LAMBDA_FUNCTION_NAME: in OpenSearch documents
  std::string function_version;  // AWS_LAMBDA_FUNCTION_VERSION: in OpenSearch documents

  // --- Telemetry API subscription (checked against Lambda's limits before subscribing)
  std::uint16_t listener_port = 4250;  // LTF_LISTENER_PORT, 1024-65535, never 9001
  std::vector<std::string> telemetry_types{"platform", "function", "extension"};  // LTF_TELEMETRY_TYPES
  std::uint32_t telemetry_max_items = 1000;     // LTF_TELEMETRY_MAX_ITEMS, 1000-10000
  std::uint32_t telemetry_max_bytes = 262144;   // LTF_TELEMETRY_MAX_BYTES, 262144-1048576
  std::uint32_t telemetry_timeout_ms = 25;      // LTF_TELEMETRY_TIMEOUT_MS, 25-30000
  std::uint64_t listener_max_body_bytes = 4 * 1024 * 1024;  // LTF_LISTENER_MAX_BODY_BYTES

  // --- Destination (the seeds' HTTP sink)
  std::optional<std::string> dispatch_post_uri;  // DISPATCH_POST_URI; unset: events are discarded
  std::uint64_t dispatch_min_batch_size = 0;     // DISPATCH_MIN_BATCH_SIZE: flush on INVOKE only
                                                 // when more events than this are buffered
  std::uint64_t dispatch_max_batch_bytes = 1024 * 1024;  // LTF_DISPATCH_MAX_BATCH_BYTES per POST
                                                         // (5 MiB by default with OpenSearch)
  Milliseconds sink_timeout{2000};  // LTF_SINK_TIMEOUT_MS: one whole request, connect included
  std::optional<Milliseconds> connect_timeout;  // LTF_CONNECT_TIMEOUT_MS: connecting plus the TLS
                                                // handshake; unset: only sink_timeout bounds it
  std::optional<Milliseconds> handshake_timeout;  // LTF_TLS_HANDSHAKE_TIMEOUT_MS: the TLS
                                                  // handshake alone, within the two above
  Compression compression = Compression::none;  // LTF_COMPRESSION: none|gzip
  std::optional<std::string> ca_file;  // LTF_CA_FILE: PEM CAs trusted instead of the system's
  bool tls_verify = true;              // LTF_TLS_VERIFY: false turns certificate checks off
  std::string dns_servers;  // LTF_DNS_SERVERS: name servers "ip[:port],..." asked instead of
                            // /etc/resolv.conf's (/etc/hosts still first); empty: resolv.conf's
  Milliseconds retry_initial{100};    // LTF_RETRY_INITIAL_MS: first backoff after a failure
  Milliseconds retry_max{10'000};     // LTF_RETRY_MAX_MS: backoff ceiling
  std::uint32_t circuit_failures = 5;  // LTF_CIRCUIT_FAILURES: failures in a row that open the circuit
  Milliseconds circuit_cooldown{10'000};  // LTF_CIRCUIT_COOLDOWN_MS: open circuit's pause
  // SigV4 on every request to DISPATCH_POST_URI, for IAM-protected endpoints: the signing name
  // ("osis" for OpenSearch Ingestion, "execute-api" for API Gateway, "lambda" for function URLs)
  std::optional<std::string> sigv4_service;  // LTF_SIGV4_SERVICE; unset: requests go unsigned

  // --- Secrets Manager (destinations with credentials in a secret)
  bool secrets_via_extension = false;  // LTF_SECRETS_VIA_EXTENSION: true|false, through the AWS
                                       // Parameters and Secrets Lambda Extension
  std::uint16_t secrets_extension_port = 2773;  // PARAMETERS_SECRETS_EXTENSION_HTTP_PORT, 1-65535
  std::optional<std::string> secrets_endpoint;  // AWS_ENDPOINT_URL_SECRETS_MANAGER, else
                                                // AWS_ENDPOINT_URL: http(s) URL; unset: the
                                                // region's https://secretsmanager.<region>...
  Milliseconds secrets_timeout{3000};  // LTF_SECRETS_TIMEOUT_MS, 100-60000: one fetch

  // --- OpenSearch (the OpenSearch seed's destination): chosen when URL is set
  std::optional<std::string> opensearch_url;  // URL: http(s) endpoint of a domain, Serverless
                                              // collection or cluster; not with DISPATCH_POST_URI
  std::optional<std::string> opensearch_auth_secret;  // AUTH_SECRET: Secrets Manager secret (name
                                                      // or ARN) {"username","password"}: basic auth
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
  Milliseconds flush_budget{200};       // LTF_FLUSH_BUDGET_MS: post-runtime time one invocation
                                        // may spend flushing before /next is called regardless
  std::uint64_t buffer_max_bytes = 2 * 1024 * 1024;  // LTF_BUFFER_MAX_BYTES: memory budget for
                                                     // undelivered events
  std::string spill_dir = "/tmp/telemetry-forwarder";  // LTF_SPILL_DIR: undelivered events past
                                                       // the memory budget, kept on disk
  std::uint64_t spill_max_bytes = 64 * 1024 * 1024;  // LTF_SPILL_MAX_BYTES; 0 turns spilling off
  Milliseconds deadline_margin{100};  // LTF_DEADLINE_MARGIN_MS: finish this long before any
                                      // deadlineMs (an invocation's or SHUTDOWN's)
  std::string flush_strategy = "auto";  // LTF_FLUSH_STRATEGY: auto|end-of-invocation|periodic
  Milliseconds flush_interval{1000};    // LTF_FLUSH_INTERVAL_MS, 10-3600000: periodic mode
  Milliseconds busy_below{2000};        // LTF_BUSY_BELOW_MS, 1-3600000: auto goes periodic when
                                        // invocations start this often on average (or more)
  Milliseconds counters_interval{60'000};  // LTF_COUNTERS_INTERVAL_MS, 0-86400000: how often the
                                           // extension's own counters go out as an event (0: only
                                           // at shutdown)

  // --- Own logs
  std::string log_level = "info";  // LTF_LOG_LEVEL: trace|debug|info|warn|error|off
};

struct ConfigError {
  std::string variable;
  std::string message;
};

using Environment = std::map<std::string, std::string, std::less<>>;

// The process environment as a map (only the variables this program reads).
Environment process_environment();

// Validates every variable; on failure returns all the problems, each naming its variable.
std::variant<Config, std::vector<ConfigError>> load_config(const Environment& env);

// "LTF_X: must be ...; DISPATCH_POST_URI: ..." for /extension/init/error and the log.
std::string describe(const std::vector<ConfigError>& errors);

}  // namespace ltf
