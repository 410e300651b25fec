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
    if (name.starts_with("LTF_") || name.starts_with("DISPATCH_") || name.starts_with("AWS_"))
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
