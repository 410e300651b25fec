#pragma once
// AWS Secrets Manager's GetSecretValue, for destinations whose credentials live in a secret
// (the OpenSearch seed's AUTH_SECRET). One secret is fetched once, kept in memory, and fetched
// again only when the caller says the backend refused what it had (invalidate after a 401/403).
//
// Two ways to reach it:
//   direct     POST / to https://secretsmanager.<region>.amazonaws.com (AWS JSON 1.1), signed
//              with SigV4 (service "secretsmanager") using the function role's credentials.
//              AWS_ENDPOINT_URL_SECRETS_MANAGER, else AWS_ENDPOINT_URL, overrides the endpoint
//              (http allowed: tests, VPC interface endpoints, LocalStack).
//   extension  GET http://localhost:<PARAMETERS_SECRETS_EXTENSION_HTTP_PORT, 2773>
//              /secretsmanager/get?secretId=<id> with X-Aws-Parameters-Secrets-Token set to
//              AWS_SESSION_TOKEN: the AWS Parameters and Secrets Lambda Extension (a layer), on
//              when LTF_SECRETS_VIA_EXTENSION=true. That extension answers only during INVOKE,
//              never during INIT, so fetch lazily (on the first delivery), not at start.
//
// Nothing here ever logs or puts into an error message a secret value or password.

#include "ltf/aws.hpp"
#include "ltf/config.hpp"
#include "ltf/net.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace ltf::aws {

// ---------------------------------------------------------------------------------------------
// Outcome of a fetch

struct SecretError {
  enum class Kind {
    setup,      // no credentials, bad endpoint: nothing was sent
    transport,  // refused, reset, TLS failure, timed out: no complete answer
    service,    // the service answered an error (code + message below)
    malformed,  // the answer was not the JSON GetSecretValue returns
  };
  Kind kind = Kind::service;
  unsigned status = 0;  // HTTP status, 0 without an answer
  // The AWS error code without namespace or URI ("ResourceNotFoundException",
  // "UnrecognizedClientException"); empty for setup and transport failures.
  std::string code;
  std::string message;  // the service's message, or what went wrong; never a secret value

  // Throttling, 5xx and transport failures: asking again later may work.
  bool retryable() const;
  // "Secrets Manager refused 'my-secret': ResourceNotFoundException (HTTP 400): Secrets
  // Manager can't find the specified secret." Safe to log.
  std::string describe() const;
};

struct Secret {
  std::string arn;         // as the service reported them (empty when it did not)
  std::string name;
  std::string version_id;
  // SecretString, the usual case. For a binary secret this is empty and `binary` holds the
  // SecretBinary field as sent (base64).
  std::string string;
  std::string binary;
  bool is_binary() const { return string.empty() && !binary.empty(); }
};

struct SecretResult {
  std::shared_ptr<const Secret> secret;  // set on success
  std::optional<SecretError> error;      // set on failure
  bool ok() const { return secret != nullptr; }
};

// ---------------------------------------------------------------------------------------------
// Client

enum class SecretsTransport { direct, extension };

struct SecretsOptions {
  SecretsTransport transport = SecretsTransport::direct;
  // direct: the endpoint URL. Empty: https://secretsmanager.<region>.amazonaws.com, the region
  // coming from the credentials provider.
  std::string endpoint;
  std::uint16_t extension_port = 2773;  // extension: localhost port
  std::chrono::milliseconds timeout{3000};  // one whole request, connecting included
  net::TlsOptions tls;  // for an https endpoint; secrets_options() keeps the defaults (verified,
                        // system CAs): LTF_TLS_VERIFY and LTF_CA_FILE are the destination's
  // Credentials and region for signing (direct) and the session token (extension).
  CredentialsProvider credentials = environment_credentials();
};

// The options the configuration asks for (LTF_SECRETS_VIA_EXTENSION, AWS_ENDPOINT_URL*,
// PARAMETERS_SECRETS_EXTENSION_HTTP_PORT, LTF_SECRETS_TIMEOUT_MS), with credentials read from the
// process environment.
SecretsOptions secrets_options(const Config& config);

class SecretsClient {
 public:
  SecretsClient(boost::asio::any_io_executor executor, SecretsOptions options);
  ~SecretsClient();
  SecretsClient(const SecretsClient&) = delete;
  SecretsClient& operator=(const SecretsClient&) = delete;

  // The secret `secret_id` (a name or an ARN): from memory when it was fetched before, else
  // fetched now. Failures are not cached: the next get() asks again. Callers must not overlap
  // get()s on one client (one connection, like a sink).
  boost::asio::awaitable<SecretResult> get(std::string_view secret_id);

  // Forgets what get() remembered for `secret_id`, so the next get() fetches it again: call it
  // when the backend refused the credentials it held (401/403), the secret may have rotated.
  void invalidate(std::string_view secret_id);

  // Requests sent so far (cache hits send none): for tests and statistics.
  std::uint64_t requests_sent() const;

  // "Secrets Manager at https://secretsmanager.eu-west-1.amazonaws.com" or "the Parameters and
  // Secrets Lambda Extension on localhost:2773".
  std::string describe() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// ---------------------------------------------------------------------------------------------
// Pieces, exposed for the sinks and for tests

// The AWS JSON 1.1 error code of a response, per the Smithy awsJson1_1 rules: the
// X-Amzn-ErrorType header first, else the body's top-level "code", else "__type"; the part after
// '#' and before ':'. Empty when none is found.
std::string aws_json_error_code(const net::Response& response);

// A GetSecretValue 200 body (the same JSON through the extension) as a Secret, or nullopt with
// `why` (which never quotes the body: it holds the secret).
std::optional<Secret> parse_get_secret_value(std::string_view body, std::string* why = nullptr);

struct BasicAuth {
  std::string username;
  std::string password;
  // "Basic " + base64(username ":" password), for the Authorization header. Never log it.
  std::string authorization() const;
};

// The {"username": "...", "password": "..."} secret the OpenSearch seed's AUTH_SECRET holds, or
// nullopt with `why` naming what is wrong ("has no \"password\" key"), never quoting a value.
std::optional<BasicAuth> parse_basic_auth_secret(std::string_view secret_string,
                                                 std::string* why = nullptr);

// The LTF_HEADERS_SECRET secret: a JSON object mapping header names to string values
// ({"Authorization": "Bearer ...", "X-Scope-OrgID": "tenant"}), each header passing
// ltf::check_headers. nullopt with `why` naming what is wrong (a key, never a value).
std::optional<HttpHeaders> parse_header_secret(std::string_view secret_string,
                                               std::string* why = nullptr);

}  // namespace ltf::aws
