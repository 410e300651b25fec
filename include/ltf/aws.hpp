#pragma once
// AWS plumbing with no I/O: credentials from Lambda's environment and Signature Version 4
// (header-based, single chunk). Signing is a pure function of its inputs, so it is tested
// against the published vectors and against botocore without any network.

#include "ltf/config.hpp"
#include "ltf/net.hpp"

#include <array>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace ltf::aws {

// ---------------------------------------------------------------------------------------------
// Credentials

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty for long-term keys; Lambda always sets one

  // Safe to log: the key id is shortened and the secret and token are never shown, only
  // whether a token is present.
  std::string describe() const;
};

// What an extension needs from its sandbox to call AWS: the execution role's temporary
// credentials and the region it runs in.
struct AwsEnvironment {
  Credentials credentials;
  std::string region;
};

// Reads AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (optional) and AWS_REGION
// (AWS_DEFAULT_REGION as a fallback). Reports every missing variable by name; the messages never
// contain a value.
std::variant<AwsEnvironment, std::vector<ConfigError>> aws_from_environment(const Environment& env);

// Produces the credentials and region to sign with, or nullopt with `why` (naming the missing
// variables, never a value). Called for every signed request, so credentials that change under
// a running process are picked up.
using CredentialsProvider = std::function<std::optional<AwsEnvironment>(std::string* why)>;

// Re-reads the process environment (aws_from_environment) on each call.
CredentialsProvider environment_credentials();
// Always the same credentials: tests, and callers that resolved them once.
CredentialsProvider fixed_credentials(AwsEnvironment aws);

// ---------------------------------------------------------------------------------------------
// Signature Version 4

struct Header {
  std::string name;
  std::string value;
};

struct QueryParam {
  std::string name;   // decoded: the signer encodes it
  std::string value;  // decoded; empty signs as "name="
};

// One request as the signer sees it.
struct SigningRequest {
  std::string method;  // "GET", "POST", ...
  // The path exactly as it goes on the wire (already percent-encoded), without the query.
  // For every service but S3 it is normalised and encoded once more, so a "%2F" sent in an
  // index name is signed as "%252F" (that is what the services compute on their side).
  std::string path = "/";
  std::vector<QueryParam> query;
  // Every header to sign, Host included. Names in any case; duplicates are allowed and are
  // joined with ',' in the order given. Authorization and X-Amz-Date are ignored (the signer
  // makes them), and so are X-Amz-Security-Token / x-amz-content-sha256 when the signer adds
  // them itself.
  std::vector<Header> headers;
  std::string_view payload;                 // the exact bytes sent (after gzip, if any)
  std::optional<std::string> payload_hash;  // lowercase hex; when set, `payload` is not read
};

struct SigningParams {
  std::string region;   // "us-east-1"
  std::string service;  // signing name: "es", "aoss", "secretsmanager", "ssm", "execute-api"
  std::chrono::system_clock::time_point time;
  // Sends and signs x-amz-content-sha256 (the payload hash). OpenSearch Serverless requires it.
  bool add_content_sha256 = false;
  // Both true for every service except S3, which signs the path verbatim.
  bool normalize_path = true;
  bool encode_path = true;
};

// The outcome. `headers` are what the request must carry in addition to the signed ones:
// X-Amz-Date, X-Amz-Security-Token (when the credentials have a token), X-Amz-Content-Sha256
// (when asked) and Authorization. The rest is for tests and for debugging a 403.
struct Signature {
  std::vector<Header> headers;
  std::string canonical_request;
  std::string string_to_sign;
  std::string signed_headers;  // "host;x-amz-date;..."
  std::string signature;       // lowercase hex
  std::string authorization;   // the Authorization header's value
};

Signature sign(const SigningRequest& request, const Credentials& credentials,
               const SigningParams& params);

// Headers that are never signed, even when present: hop-by-hop and proxy-rewritten ones, and
// Content-Length (early OpenSearch Serverless rejected signatures covering it).
bool is_unsignable_header(std::string_view lowercase_name);

// Signs a Beast request in place for `host_header`, the exact Host value the client sends
// (HttpClient sends the host, plus ":port" when the port is not 80 or 443): sets Host, signs
// every header present except the unsignable ones, and adds the signature's headers. Set
// Content-Type, Content-Encoding and the final body first. Returns nullopt and sets `why` when
// the request target is not a valid origin-form path and query.
std::optional<Signature> sign_request(net::Request& request, std::string_view host_header,
                                      const Credentials& credentials, const SigningParams& params,
                                      std::string* why = nullptr);

// The Host value net::HttpClient sends for `url`: the host ("[...]" around IPv6), plus ":port"
// unless it is 80 or 443. What sign_request must be given for a request HttpClient will send.
std::string host_header(const net::HttpUrl& url);

// Signs each outgoing request for one service, with the provider's credentials and region at the
// moment of signing: a destination protected by IAM (OpenSearch Ingestion "osis", API Gateway
// "execute-api", function URLs "lambda", ...).
struct RequestSigner {
  std::string service;
  CredentialsProvider credentials = environment_credentials();
  // x-amz-content-sha256 sent and signed: required by some services (aoss), harmless to others.
  bool add_content_sha256 = true;

  // Call once the request is final (headers, body after gzip). nullopt when signed, else why
  // not (no credentials, bad target); the reason never contains a secret.
  std::optional<std::string> sign(net::Request& request, std::string_view host_header) const;
};

// ---------------------------------------------------------------------------------------------
// Verifying a received request: the service's side of SigV4, for the fake backends in tests and
// in fake-lambda (Secrets Manager, OpenSearch). It recomputes the signature with sign() over the
// headers the request says it signed, so it checks exactly what a client signed, nothing less.

struct VerifyParams {
  std::string region;   // the scope the service expects
  std::string service;  // its signing name: "secretsmanager", "es", "aoss", ...
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
  std::chrono::seconds max_skew{300};   // AWS allows about 5 minutes either way
  bool require_content_sha256 = false;  // OpenSearch Serverless refuses requests without it
};

struct Verification {
  bool ok = false;
  // Why not, as the AWS error code a service would answer: MissingAuthenticationTokenException
  // (no Authorization), IncompleteSignatureException (malformed or missing parts),
  // UnrecognizedClientException (unknown key id or security token), InvalidSignatureException
  // (scope, date or signature wrong).
  std::string code;
  std::string reason;  // a sentence for the error message; never contains a secret
  explicit operator bool() const { return ok; }
};

// Checks `request` as received (target, headers and the exact body bytes, gzip included)
// against `expected`: the Authorization header's key id, scope and signed header list,
// X-Amz-Date within max_skew of `now`, X-Amz-Security-Token equal to the expected token when
// there is one (and signed), x-amz-content-sha256 (when sent) equal to the body's hash, and the
// signature itself.
Verification verify_signature(const net::Request& request, const Credentials& expected,
                              const VerifyParams& params);

// ---------------------------------------------------------------------------------------------
// Building blocks, exposed for callers that build paths and for the tests

// SigV4's UriEncode: everything but A-Z a-z 0-9 - . _ ~ becomes %XX (uppercase hex); '/' is kept
// when `keep_slash` (paths) and encoded otherwise (query names and values).
std::string uri_encode(std::string_view text, bool keep_slash);

// Lowercase hex SHA-256. The empty string gives e3b0c442...b855.
std::string sha256_hex(std::string_view data);

using SigningKey = std::array<unsigned char, 32>;

// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request"),
// `date` as yyyymmdd.
SigningKey derive_signing_key(std::string_view secret_access_key, std::string_view date,
                              std::string_view region, std::string_view service);

// hex(HMAC-SHA256(key, string_to_sign)): the signature of an already built string to sign.
std::string signature_of(const SigningKey& key, std::string_view string_to_sign);

}  // namespace ltf::aws
