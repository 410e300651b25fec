#pragma once
// Fake AWS services for tests and for fake-lambda, served over real HTTP on loopback.
//
// FakeSecretsManager answers GetSecretValue (AWS JSON 1.1, POST /) for the secrets it was given
// and checks every request's SigV4 signature with aws::verify_signature against the credentials
// it expects, answering the errors the real service answers. The same server also plays the AWS
// Parameters and Secrets Lambda Extension (GET /secretsmanager/get?secretId=..., token in
// X-Aws-Parameters-Secrets-Token), so one fake stands for either transport.

#include "ltf/aws.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace ltf::emulator {

// Credentials fake-lambda hands its extensions when the user gave none; the fakes expect them.
// Obviously not real: AWS documents this key id as its example.
inline constexpr std::string_view kFakeAccessKeyId = "AKIAIOSFODNN7EXAMPLE";
inline constexpr std::string_view kFakeSecretAccessKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
inline constexpr std::string_view kFakeSessionToken = "fake-session-token-for-local-runs";
aws::Credentials fake_credentials();

struct FakeSecretsManagerOptions {
  aws::Credentials credentials = fake_credentials();  // what requests must be signed with
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

  struct State;  // defined in fake_secrets_manager.cpp

 private:
  std::shared_ptr<State> state_;
};

// The ARN the fake reports for `name`: arn:aws:secretsmanager:<region>:<account>:secret:<name>-AbCdEf
std::string fake_secret_arn(std::string_view region, std::string_view account_id,
                            std::string_view name);

}  // namespace ltf::emulator
