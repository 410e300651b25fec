// aws::SecretsClient against FakeSecretsManager over real HTTP: both transports, the cache, and
// every way a fetch fails, each as a clear error that never quotes the secret.
#include "ltf/fake_aws.hpp"
#include "ltf/secrets.hpp"
#include "support/await.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address_v4.hpp>
#include <gtest/gtest.h>

namespace ltf::emulator {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using aws::SecretError;
using aws::SecretResult;

const std::string kSecretName = "opensearch/basic-auth";
const std::string kPassword = "correct horse battery staple";
const std::string kSecretJson = R"({"username":"admin","password":")" + kPassword + R"("})";

class SecretsClientTest : public ::testing::Test {
 protected:
  SecretsClientTest() {
    EXPECT_FALSE(fake.listen({asio::ip::address_v4::loopback(), 0}));
    fake.start();
    fake.put_secret(kSecretName, kSecretJson);
  }
  ~SecretsClientTest() override { fake.stop(); }

  // The fake's expected key, as the extension's own credential type.
  static aws::Credentials fake_key() {
    const AwsCredentials fake = fake_credentials();
    return {fake.access_key_id, fake.secret_access_key, fake.session_token};
  }

  aws::SecretsOptions direct(aws::Credentials credentials = fake_key()) {
    aws::SecretsOptions options;
    options.endpoint = fake.url();
    options.timeout = 5s;
    options.credentials = aws::fixed_credentials({std::move(credentials), "us-east-1"});
    return options;
  }
  aws::SecretsOptions via_extension(std::string token = std::string(kFakeSessionToken)) {
    auto options = direct(aws::Credentials{std::string(kFakeAccessKeyId),
                                           std::string(kFakeSecretAccessKey), std::move(token)});
    options.transport = aws::SecretsTransport::extension;
    options.endpoint.clear();
    options.extension_port = fake.port();
    return options;
  }

  SecretResult get(aws::SecretsClient& client, const std::string& id = kSecretName) {
    return ltf::test::run_until_done(io, client.get(id), 20s);
  }

  // An error's whole text, as it would reach a log.
  static std::string text_of(const SecretResult& result) {
    return result.error ? result.error->describe() : std::string("(no error)");
  }

  asio::io_context io;
  FakeSecretsManager fake{io.get_executor()};
};

TEST_F(SecretsClientTest, FetchesOnceThenAnswersFromMemory) {
  aws::SecretsClient client(io.get_executor(), direct());
  const auto first = get(client);
  ASSERT_TRUE(first.ok()) << text_of(first);
  EXPECT_EQ(first.secret->string, kSecretJson);
  EXPECT_EQ(first.secret->name, kSecretName);
  EXPECT_EQ(first.secret->arn, fake_secret_arn("us-east-1", "123456789012", kSecretName));

  const auto second = get(client);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second.secret->string, kSecretJson);
  EXPECT_EQ(fake.get_secret_value_requests(), 1u);
  EXPECT_EQ(client.requests_sent(), 1u);
  EXPECT_EQ(fake.refused_signatures(), 0u);
}

TEST_F(SecretsClientTest, InvalidateFetchesTheRotatedSecretOnTheNextGet) {
  aws::SecretsClient client(io.get_executor(), direct());
  ASSERT_TRUE(get(client).ok());
  const std::string rotated = R"({"username":"admin","password":"rotated"})";
  fake.put_secret(kSecretName, rotated);
  EXPECT_EQ(get(client).secret->string, kSecretJson);  // remembered until told otherwise

  client.invalidate(kSecretName);
  const auto after = get(client);
  ASSERT_TRUE(after.ok()) << text_of(after);
  EXPECT_EQ(after.secret->string, rotated);
  EXPECT_EQ(fake.get_secret_value_requests(), 2u);
}

TEST_F(SecretsClientTest, FindsASecretByItsArn) {
  aws::SecretsClient client(io.get_executor(), direct());
  const auto result = get(client, fake_secret_arn("us-east-1", "123456789012", kSecretName));
  ASSERT_TRUE(result.ok()) << text_of(result);
  EXPECT_EQ(result.secret->string, kSecretJson);
}

TEST_F(SecretsClientTest, WrongSecretKeyIsRefusedWithAClearErrorAndNotRemembered) {
  auto wrong = fake_key();
  wrong.secret_access_key = "not-the-right-secret-key";
  aws::SecretsClient client(io.get_executor(), direct(wrong));
  const auto result = get(client);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error->kind, SecretError::Kind::service);
  EXPECT_EQ(result.error->status, 403u);
  EXPECT_EQ(result.error->code, "InvalidSignatureException");
  EXPECT_NE(result.error->message.find("signature"), std::string::npos);
  EXPECT_FALSE(result.error->retryable());
  EXPECT_EQ(text_of(result).find(wrong.secret_access_key), std::string::npos);
  EXPECT_EQ(text_of(result).find(kPassword), std::string::npos);

  EXPECT_FALSE(get(client).ok());  // a failure is not cached: asked again
  EXPECT_EQ(fake.get_secret_value_requests(), 2u);
  EXPECT_EQ(fake.refused_signatures(), 2u);
}

TEST_F(SecretsClientTest, UnknownKeyIdIsAnUnrecognizedClient) {
  auto stranger = fake_key();
  stranger.access_key_id = "ASIAUNKNOWNKEY000000";
  aws::SecretsClient client(io.get_executor(), direct(stranger));
  const auto result = get(client);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error->status, 403u);
  EXPECT_EQ(result.error->code, "UnrecognizedClientException");
}

TEST_F(SecretsClientTest, UnknownSecretIsResourceNotFound) {
  aws::SecretsClient client(io.get_executor(), direct());
  const auto result = get(client, "no-such-secret");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error->status, 400u);
  EXPECT_EQ(result.error->code, "ResourceNotFoundException");
  EXPECT_EQ(result.error->message, "Secrets Manager can't find the specified secret.");
  EXPECT_FALSE(result.error->retryable());
}

TEST_F(SecretsClientTest, ThrottlingIsWorthRetrying) {
  fake.misbehave(FakeSecretsManager::Misbehaviour::throttle);
  aws::SecretsClient client(io.get_executor(), direct());
  const auto result = get(client);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error->code, "ThrottlingException");
  EXPECT_TRUE(result.error->retryable());
}

TEST_F(SecretsClientTest, EndpointFromTheConfigurationIsUsed) {
  Config config;
  config.secrets_endpoint = fake.url();
  config.secrets_timeout = 4s;
  auto options = aws::secrets_options(config);
  EXPECT_EQ(options.transport, aws::SecretsTransport::direct);
  EXPECT_EQ(options.timeout, 4s);
  options.credentials = aws::fixed_credentials({fake_key(), "us-east-1"});
  aws::SecretsClient client(io.get_executor(), std::move(options));
  EXPECT_NE(client.describe().find(fake.url()), std::string::npos);
  const auto result = get(client);
  ASSERT_TRUE(result.ok()) << text_of(result);
  EXPECT_EQ(fake.get_secret_value_requests(), 1u);
}

TEST_F(SecretsClientTest, AnUnusableEndpointIsASetupError) {
  auto options = direct();
  options.endpoint = "ftp://example.com";
  aws::SecretsClient client(io.get_executor(), std::move(options));
  const auto result = get(client);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error->kind, SecretError::Kind::setup);
  EXPECT_NE(result.error->message.find("endpoint"), std::string::npos);
  EXPECT_EQ(fake.requests(), 0u);
}

TEST_F(SecretsClientTest, MissingCredentialsAreASetupErrorNamingTheVariable) {
  auto options = direct();
  options.credentials = [](std::string* why) -> std::optional<aws::AwsEnvironment> {
    *why = "AWS_ACCESS_KEY_ID: is not set";
    return std::nullopt;
  };
  aws::SecretsClient client(io.get_executor(), std::move(options));
  const auto result = get(client);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error->kind, SecretError::Kind::setup);
  EXPECT_NE(text_of(result).find("AWS_ACCESS_KEY_ID"), std::string::npos);
  EXPECT_EQ(fake.requests(), 0u);
}

TEST_F(SecretsClientTest, ExtensionTransportSendsTheSessionToken) {
  aws::SecretsClient client(io.get_executor(), via_extension());
  EXPECT_NE(client.describe().find("Parameters and Secrets"), std::string::npos);
  const auto first = get(client);
  ASSERT_TRUE(first.ok()) << text_of(first);
  EXPECT_EQ(first.secret->string, kSecretJson);
  ASSERT_TRUE(get(client).ok());
  EXPECT_EQ(fake.extension_requests(), 1u);
  EXPECT_EQ(fake.get_secret_value_requests(), 0u);
  // An id that needs encoding in the query arrives intact.
  fake.put_secret("a/b c+d", "{}");
  const auto odd = get(client, "a/b c+d");
  ASSERT_TRUE(odd.ok()) << text_of(odd);
  EXPECT_EQ(odd.secret->string, "{}");
}

TEST_F(SecretsClientTest, ExtensionRefusesTheWrongToken) {
  aws::SecretsClient client(io.get_executor(), via_extension("some-other-token"));
  const auto result = get(client);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error->status, 401u);
  EXPECT_EQ(text_of(result).find("some-other-token"), std::string::npos);
  EXPECT_EQ(fake.refused_signatures(), 1u);
}

TEST_F(SecretsClientTest, ExtensionWithoutASessionTokenSendsNothing) {
  aws::SecretsClient client(io.get_executor(), via_extension(""));
  const auto result = get(client);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error->kind, SecretError::Kind::setup);
  EXPECT_NE(result.error->message.find("AWS_SESSION_TOKEN"), std::string::npos);
  EXPECT_EQ(fake.requests(), 0u);
}

TEST_F(SecretsClientTest, MalformedAnswerIsAClearErrorWithoutTheBody) {
  fake.misbehave(FakeSecretsManager::Misbehaviour::malformed_json);
  aws::SecretsClient client(io.get_executor(), direct());
  const auto result = get(client);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error->kind, SecretError::Kind::malformed);
  EXPECT_NE(result.error->message.find("not JSON"), std::string::npos);
  EXPECT_EQ(text_of(result).find("unterminated"), std::string::npos);
}

TEST_F(SecretsClientTest, HangingEndpointTimesOut) {
  fake.misbehave(FakeSecretsManager::Misbehaviour::hang);
  auto options = direct();
  options.timeout = 200ms;
  aws::SecretsClient client(io.get_executor(), std::move(options));
  const auto result = get(client);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error->kind, SecretError::Kind::transport);
  EXPECT_NE(result.error->message.find("timed out after 200 ms"), std::string::npos);
  EXPECT_TRUE(result.error->retryable());
  EXPECT_EQ(fake.get_secret_value_requests(), 1u);
}

TEST_F(SecretsClientTest, SecretWithoutPasswordGivesAClearErrorWithoutTheValue) {
  const std::string username = "admin-user-7";
  fake.put_secret("no-password", R"({"username":")" + username + R"(","pass":")" + kPassword +
                                     R"("})");
  aws::SecretsClient client(io.get_executor(), direct());
  const auto result = get(client, "no-password");
  ASSERT_TRUE(result.ok()) << text_of(result);
  std::string why;
  EXPECT_FALSE(aws::parse_basic_auth_secret(result.secret->string, &why));
  EXPECT_NE(why.find("no \"password\" key"), std::string::npos) << why;
  EXPECT_EQ(why.find(kPassword), std::string::npos);
  EXPECT_EQ(why.find(username), std::string::npos);
}

}  // namespace
}  // namespace ltf::emulator
