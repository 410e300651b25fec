// Secrets Manager's GetSecretValue, directly (AWS JSON 1.1 over SigV4) or through the AWS
// Parameters and Secrets Lambda Extension. A fetched secret is remembered until invalidated:
// destinations ask for it on every delivery, and neither path should be paid for that often.
#include "ltf/secrets.hpp"

#include "ltf/http_status.hpp"
#include "ltf/log.hpp"

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <openssl/evp.h>

#include <algorithm>
#include <map>

namespace ltf::aws {

namespace http = net::http;
namespace json = boost::json;

namespace {

constexpr std::size_t kMaxSecretIdLength = 2048;  // GetSecretValue's own limit
constexpr std::size_t kMaxMessageLength = 300;    // of a service message kept in an error

// A service's message as it may appear in a log line: bounded and on one line.
std::string bounded(std::string_view text) {
  std::string out(text.substr(0, kMaxMessageLength));
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  if (text.size() > kMaxMessageLength) out += "...";
  return out;
}

const json::string* string_member(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  return value ? value->if_string() : nullptr;
}

// "Message" or "message", whichever the service used; empty when neither.
std::string error_message(const net::Response& response) {
  json::error_code ec;
  const json::value body = json::parse(response.body(), ec);
  if (ec || !body.is_object()) return {};
  for (std::string_view key : {"Message", "message"})
    if (const json::string* text = string_member(body.get_object(), key))
      return bounded(*text);
  return {};
}

std::string shape_name(std::string_view code) {
  code = code.substr(0, code.find(':'));
  if (const auto hash = code.find('#'); hash != std::string_view::npos)
    code = code.substr(hash + 1);
  return std::string(code);
}

SecretError setup_error(std::string message) {
  return SecretError{SecretError::Kind::setup, 0, {}, std::move(message)};
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Pieces

bool SecretError::retryable() const {
  switch (kind) {
    case Kind::transport: return true;
    case Kind::setup: return false;
    case Kind::malformed: return status >= 500;
    case Kind::service:
      return net::meaning_of_status(status) == net::StatusMeaning::retry ||
             code.find("Throttling") != std::string::npos ||
             code == "TooManyRequestsException" || code == "InternalServiceError";
  }
  return false;
}

std::string SecretError::describe() const {
  std::string out;
  switch (kind) {
    case Kind::setup: out = "cannot ask for the secret: "; break;
    case Kind::transport: out = "no answer about the secret: "; break;
    case Kind::service: out = "the secret was refused: "; break;
    case Kind::malformed: out = "the secret's answer is unusable: "; break;
  }
  if (!code.empty()) out += code;
  if (status != 0) out += (code.empty() ? "HTTP " : " (HTTP ") + std::to_string(status) +
                          (code.empty() ? "" : ")");
  if (!message.empty()) out += (code.empty() && status == 0 ? "" : ": ") + message;
  return out;
}

std::string aws_json_error_code(const net::Response& response) {
  if (const auto it = response.find("X-Amzn-ErrorType"); it != response.end() && !it->value().empty())
    return shape_name(it->value());
  json::error_code ec;
  const json::value body = json::parse(response.body(), ec);
  if (ec || !body.is_object()) return {};
  // Top-level members only: a nested "__type" belongs to some other shape.
  for (std::string_view key : {"code", "__type"})
    if (const json::string* text = string_member(body.get_object(), key))
      return shape_name(*text);
  return {};
}

std::optional<Secret> parse_get_secret_value(std::string_view body, std::string* why) {
  const auto fail = [&](std::string reason) -> std::optional<Secret> {
    if (why) *why = std::move(reason);
    return std::nullopt;
  };
  json::error_code ec;
  const json::value value = json::parse(body, ec);
  // The body holds the secret: say what is wrong with it, never what it says.
  if (ec) return fail("the response is not JSON (" + ec.message() + ")");
  if (!value.is_object()) return fail("the response is not a JSON object");
  const json::object& object = value.get_object();
  Secret secret;
  for (auto [key, into] : {std::pair<std::string_view, std::string*>{"SecretString", &secret.string},
                           {"SecretBinary", &secret.binary},
                           {"ARN", &secret.arn},
                           {"Name", &secret.name},
                           {"VersionId", &secret.version_id}}) {
    const json::value* member = object.if_contains(key);
    if (!member || member->is_null()) continue;
    if (!member->is_string()) return fail("\"" + std::string(key) + "\" is not a string");
    *into = std::string(member->get_string());
  }
  if (!object.contains("SecretString") && !object.contains("SecretBinary"))
    return fail("the response has neither SecretString nor SecretBinary");
  return secret;
}

std::string BasicAuth::authorization() const {
  const std::string plain = username + ":" + password;
  std::string encoded(4 * ((plain.size() + 2) / 3) + 1, '\0');
  const int size = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                   reinterpret_cast<const unsigned char*>(plain.data()),
                                   static_cast<int>(plain.size()));
  encoded.resize(static_cast<std::size_t>(size));
  return "Basic " + encoded;
}

std::optional<BasicAuth> parse_basic_auth_secret(std::string_view secret_string,
                                                 std::string* why) {
  const auto fail = [&](std::string reason) -> std::optional<BasicAuth> {
    if (why) *why = std::move(reason);
    return std::nullopt;
  };
  json::error_code ec;
  const json::value value = json::parse(secret_string, ec);
  if (ec)
    return fail("the secret is not JSON; it must be {\"username\": \"...\", \"password\": \"...\"}");
  if (!value.is_object())
    return fail("the secret is not a JSON object; it must be {\"username\": ..., \"password\": ...}");
  BasicAuth out;
  for (auto [key, into] : {std::pair<std::string_view, std::string*>{"username", &out.username},
                           {"password", &out.password}}) {
    const json::value* member = value.get_object().if_contains(key);
    if (!member) return fail("the secret has no \"" + std::string(key) + "\" key");
    if (!member->is_string()) return fail("the secret's \"" + std::string(key) + "\" is not a string");
    if (member->get_string().empty()) return fail("the secret's \"" + std::string(key) + "\" is empty");
    *into = std::string(member->get_string());
  }
  // RFC 7617: the user-id cannot carry a colon, the server would split it there.
  if (out.username.find(':') != std::string::npos)
    return fail("the secret's \"username\" contains ':', which basic authentication cannot carry");
  return out;
}

std::optional<HttpHeaders> parse_header_secret(std::string_view secret_string,
                                               std::string* why) {
  const auto fail = [&](std::string reason) -> std::optional<HttpHeaders> {
    if (why) *why = std::move(reason);
    return std::nullopt;
  };
  // Secrets Manager holds at most 64 KiB; a JSON text far past what the headers may hold is
  // refused before it is parsed.
  if (secret_string.size() > 4 * defaults::added_headers_max_bytes)
    return fail("the secret is " + std::to_string(secret_string.size()) +
                " bytes, too large for headers (at most " +
                std::to_string(defaults::added_headers_max_bytes) + " bytes of names and values)");
  json::error_code ec;
  const json::value value = json::parse(secret_string, ec);
  const char* shape = "; it must be a JSON object of header names to values, "
                      "{\"Authorization\": \"Bearer ...\"}";
  if (ec) return fail(std::string("the secret is not JSON") + shape);
  if (!value.is_object()) return fail(std::string("the secret is not a JSON object") + shape);
  HttpHeaders headers;
  for (const auto& [key, member] : value.get_object()) {
    if (!member.is_string()) {
      std::string name(key);
      // The key is named only when it could be a header name: it is not the secret part.
      const bool printable =
          !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
            return c > 0x20 && c < 0x7f && c != '"';
          });
      return fail("the secret's " + (printable ? "\"" + name + "\"" : std::string("member")) +
                  " is not a string" + shape);
    }
    headers.push_back({std::string(key), std::string(member.get_string())});
  }
  if (headers.empty()) return fail(std::string("the secret is an empty object") + shape);
  if (auto problem = check_headers(headers); !problem.empty())
    return fail("the secret's " + problem);
  return headers;
}

// ---------------------------------------------------------------------------------------------
// Client

struct SecretsClient::State {
  boost::asio::any_io_executor executor;
  SecretsOptions options;
  std::optional<net::HttpUrl> endpoint;  // resolved on the first fetch
  std::optional<net::HttpClient> client;
  std::map<std::string, std::shared_ptr<const Secret>, std::less<>> cache;
  std::uint64_t requests = 0;
};

SecretsClient::SecretsClient(boost::asio::any_io_executor executor, SecretsOptions options)
    : state_(std::make_unique<State>()) {
  state_->executor = std::move(executor);
  state_->options = std::move(options);
}

SecretsClient::~SecretsClient() = default;

std::uint64_t SecretsClient::requests_sent() const { return state_->requests; }

void SecretsClient::invalidate(std::string_view secret_id) {
  if (auto it = state_->cache.find(secret_id); it != state_->cache.end()) state_->cache.erase(it);
}

std::string SecretsClient::describe() const {
  const auto& o = state_->options;
  if (o.transport == SecretsTransport::extension)
    return "the Parameters and Secrets Lambda Extension on localhost:" +
           std::to_string(o.extension_port);
  if (!o.endpoint.empty()) return "Secrets Manager at " + o.endpoint;
  return "Secrets Manager (the region's endpoint)";
}

namespace {

// The endpoint's URL, or a setup error.
std::variant<net::HttpUrl, SecretError> resolve_endpoint(const SecretsOptions& options,
                                                         const std::string& region) {
  if (options.transport == SecretsTransport::extension)
    // 127.0.0.1, not "localhost": no name lookup, and the extension listens on IPv4 loopback.
    return net::HttpUrl{"http", "127.0.0.1", std::to_string(options.extension_port), "/"};
  const std::string text = options.endpoint.empty()
                               ? "https://secretsmanager." + region + ".amazonaws.com"
                               : options.endpoint;
  std::string why;
  auto url = net::parse_http_url(text, &why);
  if (!url) return setup_error("the Secrets Manager endpoint is not a usable URL: " + why);
  return *url;
}

}  // namespace

boost::asio::awaitable<SecretResult> SecretsClient::get(std::string_view secret_id) {
  auto& s = *state_;
  if (auto it = s.cache.find(secret_id); it != s.cache.end()) co_return SecretResult{it->second, {}};
  const std::string id(secret_id);
  if (id.empty() || id.size() > kMaxSecretIdLength)
    co_return SecretResult{nullptr, setup_error("the secret id must be 1 to 2048 characters")};

  std::string why;
  const std::optional<AwsEnvironment> aws =
      s.options.credentials ? s.options.credentials(&why) : std::nullopt;
  const bool via_extension = s.options.transport == SecretsTransport::extension;
  if (!aws)
    co_return SecretResult{nullptr, setup_error("no AWS credentials: " + why)};
  if (via_extension && aws->credentials.session_token.empty())
    co_return SecretResult{
        nullptr, setup_error("AWS_SESSION_TOKEN is not set: the Parameters and Secrets extension "
                             "requires it as X-Aws-Parameters-Secrets-Token")};

  if (!s.endpoint) {
    auto resolved = resolve_endpoint(s.options, aws->region);
    if (auto* error = std::get_if<SecretError>(&resolved)) co_return SecretResult{nullptr, *error};
    s.endpoint = std::get<net::HttpUrl>(resolved);
  }
  if (!s.client) {
    std::shared_ptr<boost::asio::ssl::context> tls;
    if (s.endpoint->scheme == "https") {
      // Verification stays on whatever LTF_TLS_VERIFY says for the destination, and LTF_CA_FILE
      // (the destination's CAs) is not used: AWS endpoints carry publicly trusted certificates.
      auto setup = net::make_tls_context(s.options.tls);
      if (!setup.problem.empty())
        LTF_LOG(error) << "TLS for Secrets Manager: " << setup.problem;
      tls = std::move(setup.context);
    }
    s.client.emplace(s.executor, s.endpoint->host, s.endpoint->port, net::ClientLimits{},
                     std::move(tls));
  }

  net::Request request;
  if (via_extension) {
    request = net::Request{http::verb::get,
                           "/secretsmanager/get?secretId=" + uri_encode(id, /*keep_slash=*/false),
                           11};
    request.set("X-Aws-Parameters-Secrets-Token", aws->credentials.session_token);
  } else {
    json::object input;
    input["SecretId"] = id;
    request = net::Request{http::verb::post, s.endpoint->target, 11};
    request.set(http::field::content_type, "application/x-amz-json-1.1");
    request.set("X-Amz-Target", "secretsmanager.GetSecretValue");
    request.body() = json::serialize(input);
    SigningParams params;
    params.region = aws->region;
    params.service = "secretsmanager";
    params.time = std::chrono::system_clock::now();
    if (!sign_request(request, host_header(*s.endpoint), aws->credentials, params, &why))
      co_return SecretResult{nullptr, setup_error("cannot sign the request: " + why)};
  }

  ++s.requests;
  const net::Exchange exchange = co_await s.client->send(std::move(request), s.options.timeout);
  if (!exchange.ok()) {
    s.client->close();
    const bool timed_out = exchange.error == boost::beast::error::timeout;
    std::string message =
        timed_out ? "timed out after " + std::to_string(s.options.timeout.count()) + " ms"
                  : exchange.error.message();
    co_return SecretResult{nullptr, SecretError{SecretError::Kind::transport, 0, {},
                                                describe() + ": " + message}};
  }
  const net::Response& response = exchange.response;
  const unsigned status = response.result_int();
  if (status != 200) {
    std::string code = aws_json_error_code(response);
    std::string message = error_message(response);
    if (message.empty() && code.empty())
      message = describe() + " answered without an AWS error body";
    co_return SecretResult{nullptr, SecretError{SecretError::Kind::service, status,
                                                std::move(code), std::move(message)}};
  }
  auto secret = parse_get_secret_value(response.body(), &why);
  if (!secret)
    co_return SecretResult{nullptr, SecretError{SecretError::Kind::malformed, status, {},
                                                "GetSecretValue for '" + id + "': " + why}};
  auto shared = std::make_shared<const Secret>(std::move(*secret));
  s.cache[id] = shared;
  co_return SecretResult{std::move(shared), {}};
}

SecretsOptions secrets_options(const Config& config) {
  SecretsOptions options;
  options.transport =
      config.secrets_via_extension ? SecretsTransport::extension : SecretsTransport::direct;
  if (config.secrets_endpoint) options.endpoint = *config.secrets_endpoint;
  options.extension_port = config.secrets_extension_port;
  options.timeout = config.secrets_timeout;
  options.tls = net::TlsOptions{};  // see get(): AWS endpoints, system CAs, always verified
  options.credentials = environment_credentials();
  return options;
}

}  // namespace ltf::aws
