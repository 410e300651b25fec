#pragma once
// Fake AWS services for tests and for fake-lambda, served over real HTTP on loopback.
//
// FakeSecretsManager answers GetSecretValue (AWS JSON 1.1, POST /) for the secrets it was given
// and checks every request's SigV4 signature (sigv4::verify, below: the emulator's own reading of
// the specification, independent of the extension's signer) against the credentials it expects,
// answering the errors the real service answers. The same server also plays the AWS
// Parameters and Secrets Lambda Extension (GET /secretsmanager/get?secretId=..., token in
// X-Aws-Parameters-Secrets-Token), so one fake stands for either transport.

#include "ltf/net.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <optional>
#include <vector>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace ltf::emulator {

// An access key as a fake service expects to see it used (the extension's own credential type is
// not used here: the fakes know nothing of the extension's internals).
struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty: requests must carry none
};

// Credentials fake-lambda hands its extensions when the user gave none; the fakes expect them.
// Obviously not real: AWS documents this key id as its example.
inline constexpr std::string_view kFakeAccessKeyId = "AKIAIOSFODNN7EXAMPLE";
inline constexpr std::string_view kFakeSecretAccessKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
inline constexpr std::string_view kFakeSessionToken = "fake-session-token-for-local-runs";
AwsCredentials fake_credentials();

struct FakeSecretsManagerOptions {
  AwsCredentials credentials = fake_credentials();  // what requests must be signed with
  std::string region = "us-east-1";                    // the scope they must be signed for
  std::string account_id = "123456789012";             // in the ARNs it reports
};

class FakeSecretsManager {
 public:
  using Options = FakeSecretsManagerOptions;

  // Ways to fail on purpose, for the client's error paths.
  enum class Misbehaviour {
    none,
    malformed_json,  // 200 with a body that is not JSON
    hang,            // reads the request and never answers
    throttle,        // 400 ThrottlingException
  };

  explicit FakeSecretsManager(boost::asio::any_io_executor executor, Options options = {});
  ~FakeSecretsManager();
  FakeSecretsManager(const FakeSecretsManager&) = delete;
  FakeSecretsManager& operator=(const FakeSecretsManager&) = delete;

  // A secret whose SecretString is `secret_string`, found by `name` or by the ARN reported for it.
  // Putting it again replaces the value (a rotation) and its VersionId.
  void put_secret(std::string name, std::string secret_string);
  void remove_secret(std::string_view name);
  void misbehave(Misbehaviour how);

  boost::system::error_code listen(const boost::asio::ip::tcp::endpoint& endpoint);
  void start();
  void stop();
  std::uint16_t port() const;
  std::string url() const;  // "http://127.0.0.1:<port>": for AWS_ENDPOINT_URL_SECRETS_MANAGER

  // Requests received: every one, GetSecretValue calls (POST /, whatever the outcome), extension
  // calls (GET /secretsmanager/get), and those refused for their signature or token.
  std::uint64_t requests() const;
  std::uint64_t get_secret_value_requests() const;
  std::uint64_t extension_requests() const;
  std::uint64_t refused_signatures() const;
  // The last refusal's code and reason ("InvalidSignatureException: ..."), empty if none.
  std::string last_refusal() const;

  struct Service;  // defined in src/emulator/fake_secrets_manager.cpp

 private:
  std::shared_ptr<Service> state_;
};

// The ARN the fake reports for `name`: arn:aws:secretsmanager:<region>:<account>:secret:<name>-AbCdEf
std::string fake_secret_arn(std::string_view region, std::string_view account_id,
                            std::string_view name);

// ---------------------------------------------------------------------------------------------
// SigV4 as the fake services check it (FakeSecretsManager, FakeOpenSearch, RecordingSink),
// written from the specification (shared/spec/opensearch-and-aws-auth.md section 3) and checked
// against the official vectors. Header-based, single-chunk signatures only.
namespace sigv4 {

struct Expectation {
  AwsCredentials credentials;  // a session token, when set, must be sent and signed
  std::string region;
  std::string service;  // the signing name: "es", "aoss", "secretsmanager", ...
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
  std::chrono::seconds max_skew{300};   // AWS allows about 5 minutes either way
  bool require_content_sha256 = false;  // OpenSearch Serverless refuses requests without it
  bool normalize_path = true;           // every service but S3
};

struct Verdict {
  bool ok = false;
  // The AWS error code a service answers: MissingAuthenticationTokenException,
  // IncompleteSignatureException, UnrecognizedClientException, InvalidSignatureException.
  std::string code;
  std::string reason;  // never contains a secret
  explicit operator bool() const { return ok; }
};

// Checks a request as received (target, headers, the body's exact bytes) the way the service
// does: Authorization's form, X-Amz-Date and its skew, key id and scope, the signed header list
// (host and x-amz-date in it, each one present), the session token (equal and signed),
// x-amz-content-sha256 (equal to the body's hash; required when asked), then the signature.
Verdict verify(const net::Request& request, const Expectation& expected);

// The steps, for tests that hold them against the published vectors.
struct AuthorizationHeader {
  std::string access_key_id, date, region, service, terminator;
  std::vector<std::string> signed_headers;
  std::string signature;
};
std::optional<AuthorizationHeader> parse_authorization(std::string_view value);
std::string uri_encode(std::string_view text, bool keep_slash);
std::string sha256_hex(std::string_view data);
std::string canonical_uri(std::string_view wire_path, bool normalize);
std::string canonical_query(std::string_view wire_query);
std::string canonical_request(const net::Request& request,
                              const std::vector<std::string>& signed_headers,
                              std::string_view payload_hash, bool normalize_path);
std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical_request);
std::string signature(std::string_view secret_access_key, std::string_view date,
                      std::string_view region, std::string_view service,
                      std::string_view string_to_sign);

}  // namespace sigv4

}  // namespace ltf::emulator
