#include "ltf/config.hpp"

#include "ltf/log.hpp"
#include "ltf/net.hpp"

#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

extern char** environ;

namespace ltf {

namespace {

// Reads one variable into `out` when present, recording a clear error when its value is bad.
class Reader {
 public:
  explicit Reader(const Environment& env) : env_(env) {}

  const std::string* raw(std::string_view name) const {
    auto it = env_.find(name);
    return it == env_.end() ? nullptr : &it->second;
  }

  template <typename Int>
  void integer(std::string_view name, Int& out, std::uint64_t min, std::uint64_t max) {
    const std::string* text = raw(name);
    if (!text) return;
    std::uint64_t value = 0;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (ec != std::errc{} || end != text->data() + text->size() || text->empty()) {
      fail(name, "must be a whole number, got '" + *text + "'");
      return;
    }
    if (value < min || value > max) {
      fail(name, "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                     ", got " + *text);
      return;
    }
    out = static_cast<Int>(value);
  }

  void millis(std::string_view name, Milliseconds& out, std::uint64_t min, std::uint64_t max) {
    std::uint64_t value = static_cast<std::uint64_t>(out.count());
    integer(name, value, min, max);
    out = Milliseconds(value);
  }

  void fail(std::string_view name, std::string message) {
    errors_.push_back({std::string(name), std::move(message)});
  }

  std::vector<ConfigError> take_errors() { return std::move(errors_); }

 private:
  const Environment& env_;
  std::vector<ConfigError> errors_;
};

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    auto first = item.find_first_not_of(" \t");
    auto last = item.find_last_not_of(" \t");
    if (first != std::string::npos) items.push_back(item.substr(first, last - first + 1));
  }
  return items;
}

void read_runtime_api(Reader& r, Config& c) {
  const std::string* api = r.raw("AWS_LAMBDA_RUNTIME_API");
  if (!api || api->empty()) {
    r.fail("AWS_LAMBDA_RUNTIME_API", "is not set: this program runs as a Lambda extension");
    return;
  }
  if (api->find("://") != std::string::npos || api->rfind(':') == std::string::npos) {
    r.fail("AWS_LAMBDA_RUNTIME_API", "must be host:port without a scheme, got '" + *api + "'");
    return;
  }
  c.runtime_api = *api;
}

void read_subscription(Reader& r, Config& c) {
  r.integer("LTF_LISTENER_PORT", c.listener_port, 1024, 65535);
  if (c.listener_port == 9001) r.fail("LTF_LISTENER_PORT", "9001 is reserved by Lambda");
  if (const std::string* types = r.raw("LTF_TELEMETRY_TYPES")) {
    static const std::set<std::string, std::less<>> known{"platform", "function", "extension"};
    auto list = split_list(*types);
    if (list.empty()) r.fail("LTF_TELEMETRY_TYPES", "must name at least one of platform,function,extension");
    for (const auto& type : list)
      if (!known.contains(type))
        r.fail("LTF_TELEMETRY_TYPES", "unknown type '" + type + "' (platform, function, extension)");
    c.telemetry_types = std::move(list);
  }
  r.integer("LTF_TELEMETRY_MAX_ITEMS", c.telemetry_max_items, 1000, 10000);
  r.integer("LTF_TELEMETRY_MAX_BYTES", c.telemetry_max_bytes, 262144, 1048576);
  r.integer("LTF_TELEMETRY_TIMEOUT_MS", c.telemetry_timeout_ms, 25, 30000);
  // Lambda may send up to 2 * maxBytes plus metadata in one POST.
  r.integer("LTF_LISTENER_MAX_BODY_BYTES", c.listener_max_body_bytes, 2 * 1048576 + 65536,
            64ull * 1024 * 1024);
}

void read_destination(Reader& r, Config& c) {
  if (const std::string* uri = r.raw("DISPATCH_POST_URI"); uri && !uri->empty()) {
    std::string why;
    if (net::parse_http_url(*uri, &why)) c.dispatch_post_uri = *uri;
    else r.fail("DISPATCH_POST_URI", "is not a usable http(s) URL: " + why);
  }
  r.integer("DISPATCH_MIN_BATCH_SIZE", c.dispatch_min_batch_size, 0, 1'000'000);
  r.integer("LTF_DISPATCH_MAX_BATCH_BYTES", c.dispatch_max_batch_bytes, 1024, 64ull * 1024 * 1024);
  r.millis("LTF_SINK_TIMEOUT_MS", c.sink_timeout, 10, 60'000);
  r.millis("LTF_RETRY_INITIAL_MS", c.retry_initial, 1, 60'000);
  r.millis("LTF_RETRY_MAX_MS", c.retry_max, 1, 3'600'000);
  r.integer("LTF_CIRCUIT_FAILURES", c.circuit_failures, 1, 1000);
  r.millis("LTF_CIRCUIT_COOLDOWN_MS", c.circuit_cooldown, 0, 3'600'000);
}

void read_transport(Reader& r, Config& c) {
  if (r.raw("LTF_CONNECT_TIMEOUT_MS")) {
    Milliseconds timeout = c.sink_timeout;
    r.millis("LTF_CONNECT_TIMEOUT_MS", timeout, 10, 60'000);
    c.connect_timeout = timeout;
  }
  if (r.raw("LTF_TLS_HANDSHAKE_TIMEOUT_MS")) {
    Milliseconds timeout = c.sink_timeout;
    r.millis("LTF_TLS_HANDSHAKE_TIMEOUT_MS", timeout, 10, 60'000);
    c.handshake_timeout = timeout;
  }
  if (const std::string* compression = r.raw("LTF_COMPRESSION")) {
    if (*compression == "none") c.compression = Compression::none;
    else if (*compression == "gzip") c.compression = Compression::gzip;
    else r.fail("LTF_COMPRESSION", "must be none or gzip, got '" + *compression + "'");
  }
  if (const std::string* verify = r.raw("LTF_TLS_VERIFY")) {
    if (*verify == "true") c.tls_verify = true;
    else if (*verify == "false") c.tls_verify = false;
    else r.fail("LTF_TLS_VERIFY", "must be true or false, got '" + *verify + "'");
  }
  if (const std::string* file = r.raw("LTF_CA_FILE"); file && !file->empty()) {
    std::error_code ec;
    if (!std::filesystem::exists(*file, ec))
      r.fail("LTF_CA_FILE", "names no file: '" + *file + "'");
    else if (!std::filesystem::is_regular_file(*file, ec))
      r.fail("LTF_CA_FILE", "must be a file of PEM certificates, not a directory: '" + *file + "'");
    else if (!std::ifstream(*file).good())
      r.fail("LTF_CA_FILE", "cannot be read: '" + *file + "'");
    else c.ca_file = *file;
  }
  if (const std::string* servers = r.raw("LTF_DNS_SERVERS"); servers && !servers->empty()) {
    if (auto why = net::check_dns_servers(*servers))
      r.fail("LTF_DNS_SERVERS", "must be name servers as ip[:port] separated by commas (" + *why +
                                    "), got '" + *servers + "'");
    else c.dns_servers = *servers;
  }
}

// SigV4 for DISPATCH_POST_URI and the Secrets Manager client. Credentials are only checked for
// presence here (aws_from_environment reads them when signing): a signing setup without them
// would fail every delivery, so it is refused at start.
void read_aws(Reader& r, Config& c, const Environment& env) {
  if (const std::string* service = r.raw("LTF_SIGV4_SERVICE"); service && !service->empty()) {
    const bool plausible = service->find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") ==
                           std::string::npos;
    if (!plausible)
      r.fail("LTF_SIGV4_SERVICE", "must be a signing name such as osis or execute-api, got '" +
                                      *service + "'");
    else if (!c.dispatch_post_uri)
      r.fail("LTF_SIGV4_SERVICE", "signs the requests to DISPATCH_POST_URI, which is not set");
    else c.sigv4_service = *service;
    const auto present = [&](std::string_view name) {
      auto it = env.find(name);
      return it != env.end() && !it->second.empty();
    };
    for (std::string_view name : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"})
      if (!present(name))
        r.fail("LTF_SIGV4_SERVICE", "is set but " + std::string(name) +
                                        " is not: there are no credentials to sign with");
    if (!present("AWS_REGION") && !present("AWS_DEFAULT_REGION"))
      r.fail("LTF_SIGV4_SERVICE", "is set but AWS_REGION is not: the signing region is unknown");
  }

  if (const std::string* via = r.raw("LTF_SECRETS_VIA_EXTENSION")) {
    if (*via == "true") c.secrets_via_extension = true;
    else if (*via == "false") c.secrets_via_extension = false;
    else r.fail("LTF_SECRETS_VIA_EXTENSION", "must be true or false, got '" + *via + "'");
  }
  r.integer("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", c.secrets_extension_port, 1, 65535);
  r.millis("LTF_SECRETS_TIMEOUT_MS", c.secrets_timeout, 100, 60'000);
  // The AWS SDKs' service-specific override first, then the global one.
  for (std::string_view name : {"AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_ENDPOINT_URL"}) {
    const std::string* url = r.raw(name);
    if (!url || url->empty()) continue;
    std::string why;
    if (net::parse_http_url(*url, &why)) c.secrets_endpoint = *url;
    else r.fail(name, "is not a usable http(s) URL: " + why);
    break;
  }
}

void read_flushing(Reader& r, Config& c) {
  r.millis("LTF_FLUSH_BUDGET_MS", c.flush_budget, 0, 60'000);
  r.integer("LTF_BUFFER_MAX_BYTES", c.buffer_max_bytes, 64 * 1024, 1024ull * 1024 * 1024);
  r.millis("LTF_DEADLINE_MARGIN_MS", c.deadline_margin, 0, 1'000);
  if (const std::string* strategy = r.raw("LTF_FLUSH_STRATEGY")) {
    if (*strategy == "auto" || *strategy == "end-of-invocation" || *strategy == "periodic")
      c.flush_strategy = *strategy;
    else
      r.fail("LTF_FLUSH_STRATEGY",
             "must be auto, end-of-invocation or periodic, got '" + *strategy + "'");
  }
  r.millis("LTF_FLUSH_INTERVAL_MS", c.flush_interval, 10, 3'600'000);
  r.millis("LTF_BUSY_BELOW_MS", c.busy_below, 1, 3'600'000);
  r.millis("LTF_COUNTERS_INTERVAL_MS", c.counters_interval, 0, 86'400'000);
  r.integer("LTF_SPILL_MAX_BYTES", c.spill_max_bytes, 0, 16ull * 1024 * 1024 * 1024);
  if (const std::string* dir = r.raw("LTF_SPILL_DIR")) {
    if (dir->empty() || dir->front() != '/') r.fail("LTF_SPILL_DIR", "must be an absolute path, got '" + *dir + "'");
    else c.spill_dir = *dir;
  }
  if (const std::string* level = r.raw("LTF_LOG_LEVEL")) {
    if (*level != "off" && !log::parse_level(*level))
      r.fail("LTF_LOG_LEVEL", "must be trace, debug, info, warn, error or off, got '" + *level + "'");
    else c.log_level = *level;
  }
}

// Why `pattern` cannot name an OpenSearch index, or "" when it can. Names are kept to
// [a-z0-9._+-] so that they need no encoding anywhere (URL paths, SigV4); date fields only where
// `dated` (the dead-letter index has a fixed name).
std::string index_pattern_problem(std::string_view pattern, bool dated) {
  if (pattern.empty()) return "must not be empty";
  if (pattern.size() > 200) return "must be at most 200 characters";
  if (pattern == "." || pattern == "..") return "must not be '.' or '..'";
  const char first = pattern.front();
  if (first == '-' || first == '_' || first == '+' || first == '.' || first == '%')
    return "must start with a letter or digit, got '" + std::string(pattern) + "'";
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
        c == '+')
      continue;
    if (c == '%' && dated && i + 1 < pattern.size() &&
        std::string_view("YmdH").find(pattern[i + 1]) != std::string_view::npos) {
      ++i;
      continue;
    }
    if (c == '%')
      return dated ? "may hold only the date fields %Y %m %d %H, got '" + std::string(pattern) + "'"
                   : "must be a fixed name without date fields, got '" + std::string(pattern) + "'";
    return "may hold only lowercase letters, digits and . _ - +, got '" + std::string(pattern) + "'";
  }
  return {};
}

bool read_boolean(Reader& r, std::string_view name, bool& out) {
  const std::string* text = r.raw(name);
  if (!text) return false;
  if (*text == "true") out = true;
  else if (*text == "false") out = false;
  else r.fail(name, "must be true or false, got '" + *text + "'");
  return true;
}

void read_opensearch(Reader& r, Config& c) {
  if (const std::string* name = r.raw("AWS_LAMBDA_FUNCTION_NAME")) c.function_name = *name;
  if (const std::string* version = r.raw("AWS_LAMBDA_FUNCTION_VERSION")) c.function_version = *version;

  if (const std::string* url = r.raw("URL"); url && !url->empty()) {
    std::string why;
    auto parsed = net::parse_http_url(*url, &why);
    if (!parsed) r.fail("URL", "is not a usable http(s) URL for OpenSearch: " + why);
    else if (parsed->target.find('?') != std::string::npos)
      r.fail("URL", "must be the OpenSearch endpoint without a query string");
    else c.opensearch_url = *url;
    if (c.dispatch_post_uri)
      r.fail("URL", "and DISPATCH_POST_URI are both set: choose one destination (URL for "
                    "OpenSearch, DISPATCH_POST_URI for an HTTP endpoint)");
  }
  if (const std::string* secret = r.raw("AUTH_SECRET"); secret && !secret->empty()) {
    if (secret->size() > 2048) r.fail("AUTH_SECRET", "must be a secret name or ARN of at most 2048 characters");
    else c.opensearch_auth_secret = *secret;
  }
  const std::pair<const char*, std::string*> indices[] = {{"PLATFORM_INDEX", &c.platform_index},
                                                          {"FUNCTION_INDEX", &c.function_index},
                                                          {"EXTENSION_INDEX", &c.extension_index}};
  for (const auto& [name, field] : indices) {
    const std::string* value = r.raw(name);
    if (!value || value->empty()) continue;  // the seed's functions may leave one empty
    if (auto problem = index_pattern_problem(*value, true); !problem.empty()) r.fail(name, problem);
    else *field = *value;
  }
  if (const std::string* dlq = r.raw("LTF_OPENSEARCH_DLQ_INDEX")) {
    if (dlq->empty()) c.opensearch_dlq_index.clear();
    else if (auto problem = index_pattern_problem(*dlq, false); !problem.empty())
      r.fail("LTF_OPENSEARCH_DLQ_INDEX", problem);
    else c.opensearch_dlq_index = *dlq;
  }
  for (const auto& [name, field] : indices)
    if (!c.opensearch_dlq_index.empty() && *field == c.opensearch_dlq_index)
      r.fail("LTF_OPENSEARCH_DLQ_INDEX", std::string("must differ from ") + name +
                                             ": refused events would land among the others");

  if (const std::string* auth = r.raw("LTF_OPENSEARCH_AUTH")) {
    using Auth = Config::OpenSearchAuth;
    if (*auth == "basic") c.opensearch_auth = Auth::basic;
    else if (*auth == "sigv4") c.opensearch_auth = Auth::sigv4;
    else if (*auth == "none") c.opensearch_auth = Auth::none;
    else r.fail("LTF_OPENSEARCH_AUTH", "must be basic, sigv4 or none, got '" + *auth + "'");
    if (c.opensearch_auth == Auth::basic && !c.opensearch_auth_secret)
      r.fail("LTF_OPENSEARCH_AUTH", "is basic but AUTH_SECRET names no secret to take the "
                                    "username and password from");
  }
  if (const std::string* service = r.raw("LTF_OPENSEARCH_SERVICE")) {
    if (*service == "es" || *service == "aoss") c.opensearch_service = *service;
    else r.fail("LTF_OPENSEARCH_SERVICE", "must be es (OpenSearch Service) or aoss (Serverless), "
                                          "got '" + *service + "'");
  }
  if (const std::string* region = r.raw("LTF_OPENSEARCH_REGION")) {
    const bool plausible = !region->empty() && region->find_first_not_of(
        "abcdefghijklmnopqrstuvwxyz0123456789-") == std::string::npos;
    if (plausible) c.opensearch_region = *region;
    else r.fail("LTF_OPENSEARCH_REGION", "must be a region name such as eu-west-1, got '" + *region + "'");
  }
  if (const std::string* mode = r.raw("LTF_OPENSEARCH_ID_MODE")) {
    if (*mode == "create") c.opensearch_document_ids = true;
    else if (*mode == "none") c.opensearch_document_ids = false;
    else r.fail("LTF_OPENSEARCH_ID_MODE", "must be create or none, got '" + *mode + "'");
  }
  read_boolean(r, "LTF_OPENSEARCH_DATA_STREAMS", c.opensearch_data_streams);
  read_boolean(r, "LTF_OPENSEARCH_BOOTSTRAP", c.opensearch_bootstrap);
  // The OpenSearch docs advise 5-15 MB per bulk request; 5 MiB stays clear of the 10 MiB request
  // cap of small Amazon OpenSearch Service instances.
  if (c.opensearch_url && !r.raw("LTF_DISPATCH_MAX_BATCH_BYTES"))
    c.dispatch_max_batch_bytes = 5 * 1024 * 1024;
}

}  // namespace

Environment process_environment() {
  Environment env;
  for (char** entry = environ; entry && *entry; ++entry) {
    std::string_view text(*entry);
    auto eq = text.find('=');
    if (eq == std::string_view::npos) continue;
    auto name = text.substr(0, eq);
    if (name == "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT") {  // the Secrets extension layer's
      env.emplace(std::string(name), std::string(text.substr(eq + 1)));
      continue;
    }
    // The OpenSearch seed's names have no common prefix.
    static const std::set<std::string_view> seed_names{"URL", "AUTH_SECRET", "PLATFORM_INDEX",
                                                       "FUNCTION_INDEX", "EXTENSION_INDEX"};
    if (name.starts_with("LTF_") || name.starts_with("DISPATCH_") || name.starts_with("AWS_") ||
        seed_names.contains(name))
      env.emplace(std::string(name), std::string(text.substr(eq + 1)));
  }
  return env;
}

std::variant<Config, std::vector<ConfigError>> load_config(const Environment& env) {
  Reader reader(env);
  Config config;
  read_runtime_api(reader, config);
  if (const std::string* region = reader.raw("AWS_REGION")) config.region = *region;
  read_subscription(reader, config);
  read_destination(reader, config);
  read_opensearch(reader, config);
  read_transport(reader, config);
  read_aws(reader, config, env);
  read_flushing(reader, config);
  auto errors = reader.take_errors();
  if (!errors.empty()) return errors;
  return config;
}

std::string describe(const std::vector<ConfigError>& errors) {
  std::string out;
  for (const auto& e : errors) {
    if (!out.empty()) out += "; ";
    out += e.variable + " " + e.message;
  }
  return out;
}

}  // namespace ltf
