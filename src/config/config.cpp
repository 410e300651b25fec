// Configuration: reads each variable of the environment once into a Config, collecting every
// problem. Numbers go through the ranges of settings.cpp; OpenSearch's variables are in
// opensearch_config.cpp.
#include "ltf/config.hpp"

#include "reader.hpp"

#include "ltf/url.hpp"

#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <stdexcept>
#include <type_traits>
#include <set>
#include <sstream>

extern char** environ;

namespace ltf {

using config_detail::quote_value;
using config_detail::Reader;
using config_detail::read_opensearch;
using config_detail::read_otlp;

namespace {

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
  const auto colon = api->rfind(':');
  const std::string_view port = colon == std::string::npos ? std::string_view{}
                                                            : std::string_view(*api).substr(colon + 1);
  unsigned long number = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
  if (api->find("://") != std::string::npos || colon == 0 || port.empty() || ec != std::errc{} ||
      end != port.data() + port.size() || number == 0 || number > 65535) {
    r.fail("AWS_LAMBDA_RUNTIME_API", "must be host:port (port 1-65535) without a scheme, got " + quote_value(*api));
    return;
  }
  c.runtime_api = *api;
}

void read_subscription(Reader& r, Config& c) {
  r.number("LTF_LISTENER_PORT", c.listener_port);
  if (c.listener_port == defaults::reserved_port)
    r.fail("LTF_LISTENER_PORT", std::to_string(defaults::reserved_port) + " is reserved by Lambda");
  if (const std::string* types = r.raw("LTF_TELEMETRY_TYPES")) {
    static const std::set<std::string, std::less<>> known{"platform", "function", "extension"};
    auto list = split_list(*types);
    if (list.empty()) r.fail("LTF_TELEMETRY_TYPES", "must name at least one of platform,function,extension");
    for (const auto& type : list)
      if (!known.contains(type))
        r.fail("LTF_TELEMETRY_TYPES", "unknown type " + quote_value(type) + " (platform, function, extension)");
    c.telemetry_types = std::move(list);
  }
  r.number("LTF_TELEMETRY_MAX_ITEMS", c.telemetry_max_items);
  r.number("LTF_TELEMETRY_MAX_BYTES", c.telemetry_max_bytes);
  r.number("LTF_TELEMETRY_TIMEOUT_MS", c.telemetry_timeout_ms);
  r.number("LTF_LISTENER_MAX_BODY_BYTES", c.listener_max_body_bytes);
}

void read_destination(Reader& r, Config& c) {
  if (const std::string* uri = r.raw("DISPATCH_POST_URI"); uri && !uri->empty()) {
    std::string why;
    if (parse_http_url(*uri, &why)) c.dispatch_post_uri = *uri;
    else r.fail("DISPATCH_POST_URI", why);
  }
  r.number("DISPATCH_MIN_BATCH_SIZE", c.dispatch_min_batch_size);
  r.number("LTF_DISPATCH_MAX_BATCH_BYTES", c.dispatch_max_batch_bytes);
  r.number("LTF_SINK_TIMEOUT_MS", c.sink_timeout);
  r.number("LTF_RETRY_INITIAL_MS", c.retry_initial);
  r.number("LTF_RETRY_MAX_MS", c.retry_max);
  if (c.retry_initial > c.retry_max)
    r.fail("LTF_RETRY_INITIAL_MS", "must not exceed LTF_RETRY_MAX_MS (" +
                                       std::to_string(c.retry_max.count()) + ")");
  r.number("LTF_RETRY_AFTER_MAX_MS", c.retry_after_max);
  r.number("LTF_CIRCUIT_FAILURES", c.circuit_failures);
  r.number("LTF_CIRCUIT_COOLDOWN_MS", c.circuit_cooldown);
}

// Why `file` cannot serve as LTF_CA_FILE, or "" when it can: it must be a readable file that
// holds PEM certificates, so a wrong file is reported at Init, not by the first failed delivery.
// Read once at start (a few KiB are enough to find the first certificate), before the event loop.
std::string ca_file_problem(const std::string& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return "names no file: " + quote_value(file);
  if (!std::filesystem::is_regular_file(file, ec))
    return "must be a file of PEM certificates, not a directory: " + quote_value(file);
  std::ifstream in(file, std::ios::binary);
  if (!in.good()) return "cannot be read: " + quote_value(file);
  std::string head(64 * 1024, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<std::size_t>(in.gcount()));
  if (head.find("-----BEGIN CERTIFICATE-----") == std::string::npos)
    return "holds no PEM certificate (-----BEGIN CERTIFICATE-----): " + quote_value(file);
  return {};
}

void read_transport(Reader& r, Config& c) {
  r.number("LTF_CONNECT_TIMEOUT_MS", c.connect_timeout);
  r.number("LTF_TLS_HANDSHAKE_TIMEOUT_MS", c.handshake_timeout);
  r.choice("LTF_COMPRESSION", c.compression, {{"none", Compression::none}, {"gzip", Compression::gzip}});
  r.boolean("LTF_TLS_VERIFY", c.tls_verify);
  if (const std::string* file = r.raw("LTF_CA_FILE"); file && !file->empty()) {
    if (auto problem = ca_file_problem(*file); !problem.empty()) r.fail("LTF_CA_FILE", problem);
    else c.ca_file = *file;
  }
  // Checked by the resolver at start-up (net::check_dns_servers): config knows no DNS.
  if (const std::string* servers = r.raw("LTF_DNS_SERVERS"); servers && !servers->empty())
    c.dns_servers = *servers;
}

// SigV4 for DISPATCH_POST_URI and the Secrets Manager client. Credentials are only checked for
// presence here (aws_from_environment reads them when signing): a signing setup without them
// would fail every delivery, so it is refused at start.
void read_aws(Reader& r, Config& c, const Environment& env) {
  if (const std::string* service = r.raw("LTF_SIGV4_SERVICE"); service && !service->empty()) {
    const bool plausible = service->find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") ==
                           std::string::npos;
    if (!plausible)
      r.fail("LTF_SIGV4_SERVICE", "must be a signing name such as osis or execute-api, got " +
                                      quote_value(*service));
    else if (!c.dispatch_post_uri && !c.otlp())
      r.fail("LTF_SIGV4_SERVICE", "signs the requests to DISPATCH_POST_URI or the OTLP "
                                  "endpoints, and neither is set");
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

  r.boolean("LTF_SECRETS_VIA_EXTENSION", c.secrets_via_extension);
  r.number("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", c.secrets_extension_port);
  r.number("LTF_SECRETS_TIMEOUT_MS", c.secrets_timeout);
  // The AWS SDKs' service-specific override first, then the global one.
  for (std::string_view name : {"AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_ENDPOINT_URL"}) {
    const std::string* url = r.raw(name);
    if (!url || url->empty()) continue;
    std::string why;
    if (parse_http_url(*url, &why)) c.secrets_endpoint = *url;
    else r.fail(name, why);
    break;
  }
}

void read_flushing(Reader& r, Config& c) {
  r.number("LTF_FLUSH_BUDGET_MS", c.flush_budget);
  r.number("LTF_BUFFER_MAX_BYTES", c.buffer_max_bytes);
  r.number("LTF_DEADLINE_MARGIN_MS", c.deadline_margin);
  r.choice("LTF_FLUSH_STRATEGY", c.flush_strategy,
           {{"auto", FlushStrategy::automatic},
            {"end-of-invocation", FlushStrategy::end_of_invocation},
            {"periodic", FlushStrategy::periodic}});
  r.number("LTF_FLUSH_INTERVAL_MS", c.flush_interval);
  r.number("LTF_BUSY_BELOW_MS", c.busy_below);
  r.number("LTF_COUNTERS_INTERVAL_MS", c.counters_interval);
  r.number("LTF_SPILL_MAX_BYTES", c.spill_max_bytes);
  if (const std::string* dir = r.raw("LTF_SPILL_DIR")) {
    if (dir->empty() || dir->front() != '/')
      r.fail("LTF_SPILL_DIR", "must be an absolute path, got " + quote_value(*dir));
    else c.spill_dir = *dir;
  }
  r.choice("LTF_LOG_LEVEL", c.log_level,
           {{"trace", LogLevel::trace}, {"debug", LogLevel::debug}, {"info", LogLevel::info},
            {"warn", LogLevel::warning}, {"warning", LogLevel::warning},
            {"error", LogLevel::error}, {"off", LogLevel::off}});
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

LoadedConfig read_config(const Environment& env) {
  Reader reader(env);
  LoadedConfig loaded;
  Config& config = loaded.config;
  read_runtime_api(reader, config);
  if (const std::string* region = reader.raw("AWS_REGION")) config.region = *region;
  const std::string* init_type = reader.raw("AWS_LAMBDA_INITIALIZATION_TYPE");
  if ((init_type && *init_type == "lambda-managed-instances") || reader.raw("AWS_LAMBDA_MAX_CONCURRENCY"))
    config.lambda_kind = LambdaKind::managed_instances;
  // Managed Instances send no runtimeDone to wait for, so a short batching window buys nothing
  // there but more POSTs: Lambda's own default, unless set.
  if (config.lambda_kind == LambdaKind::managed_instances && !reader.raw("LTF_TELEMETRY_TIMEOUT_MS"))
    config.telemetry_timeout_ms = defaults::managed_instances_telemetry_timeout_ms;
  read_subscription(reader, config);
  read_destination(reader, config);
  read_opensearch(reader, config);
  read_otlp(reader, config);
  read_transport(reader, config);
  read_aws(reader, config, env);
  config_detail::read_headers(reader, config);
  read_flushing(reader, config);
  loaded.errors = reader.take_errors();
  return loaded;
}

std::variant<Config, std::vector<ConfigError>> load_config(const Environment& env) {
  auto loaded = read_config(env);
  if (!loaded.errors.empty()) return std::move(loaded.errors);
  return std::move(loaded.config);
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
