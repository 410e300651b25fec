// FakeSecretsManager: GetSecretValue as Secrets Manager answers it, with the signature checked by
// sigv4::verify, and the Parameters and Secrets extension's GET route on the same server.
// The errors carry the AWS JSON 1.1 shape: status, X-Amzn-ErrorType, {"__type", "message"}.
#include "ltf/fake_aws.hpp"

#include "ltf/net.hpp"
#include "ltf/notifier.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <cstdio>
#include <map>

namespace ltf::emulator {

namespace asio = boost::asio;
namespace http = net::http;
namespace json = boost::json;

AwsCredentials fake_credentials() {
  return AwsCredentials{std::string(kFakeAccessKeyId), std::string(kFakeSecretAccessKey),
                          std::string(kFakeSessionToken)};
}

std::string fake_secret_arn(std::string_view region, std::string_view account_id,
                            std::string_view name) {
  // Real ARNs end in '-' and six random characters; a fixed suffix keeps tests repeatable.
  return "arn:aws:secretsmanager:" + std::string(region) + ":" + std::string(account_id) +
         ":secret:" + std::string(name) + "-AbCdEf";
}

struct FakeSecretsManager::Service : std::enable_shared_from_this<FakeSecretsManager::Service> {
  Service(asio::any_io_executor ex, Options o)
      : executor(ex), options(std::move(o)), changed(std::make_shared<async::Notifier>(ex)) {}

  struct StoredSecret {
    std::string value;
    std::string version_id;
  };

  asio::any_io_executor executor;
  Options options;
  std::shared_ptr<async::Notifier> changed;
  std::unique_ptr<net::HttpServer> server;
  std::map<std::string, StoredSecret, std::less<>> secrets;
  Misbehaviour misbehaviour = Misbehaviour::none;
  bool stopped = false;
  std::uint64_t versions = 0;
  std::uint64_t requests = 0, direct_requests = 0, extension_requests = 0, refused = 0;
  std::string last_refusal;

  const std::pair<const std::string, StoredSecret>* find(std::string_view id) const {
    if (auto it = secrets.find(id); it != secrets.end()) return &*it;
    for (const auto& entry : secrets)
      if (fake_secret_arn(options.region, options.account_id, entry.first) == id) return &entry;
    return nullptr;
  }

  asio::awaitable<net::Response> handle(net::Request& request);
  asio::awaitable<net::Response> get_secret_value(const net::Request& request);
  asio::awaitable<net::Response> extension_get(const net::Request& request);
  asio::awaitable<std::optional<net::Response>> misbehave();
  net::Response answer_secret(std::string_view id);
  net::Response refuse(unsigned status, std::string code, std::string message);
};

namespace {

net::Response json_response(unsigned status, std::string body) {
  net::Response response{static_cast<http::status>(status), 11};
  response.set(http::field::content_type, "application/x-amz-json-1.1");
  response.body() = std::move(body);
  return response;
}

net::Response aws_error(unsigned status, const std::string& code, const std::string& message) {
  json::object body;
  body["__type"] = code;
  body["message"] = message;
  net::Response response = json_response(status, json::serialize(body));
  response.set("X-Amzn-ErrorType", code + ":http://internal.amazon.com/coral/com.amazon.coral/");
  return response;
}

}  // namespace

net::Response FakeSecretsManager::Service::refuse(unsigned status, std::string code,
                                                std::string message) {
  ++refused;
  last_refusal = code + ": " + message;
  return aws_error(status, code, message);
}

// Hangs until stop(), or fails on purpose; nullopt: behave.
asio::awaitable<std::optional<net::Response>> FakeSecretsManager::Service::misbehave() {
  switch (misbehaviour) {
    case Misbehaviour::none: co_return std::nullopt;
    case Misbehaviour::malformed_json:
      co_return json_response(200, "{\"SecretString\": \"unterminated");
    case Misbehaviour::throttle: co_return aws_error(400, "ThrottlingException", "Rate exceeded");
    case Misbehaviour::hang: {
      std::function<bool()> released = [this] { return stopped; };
      co_await changed->wait_until(released);
      co_return aws_error(503, "ServiceUnavailable", "the fake is stopping");
    }
  }
  co_return std::nullopt;
}

net::Response FakeSecretsManager::Service::answer_secret(std::string_view id) {
  const auto* entry = find(id);
  if (!entry)
    return aws_error(400, "ResourceNotFoundException",
                     "Secrets Manager can't find the specified secret.");
  json::object body;
  body["ARN"] = fake_secret_arn(options.region, options.account_id, entry->first);
  body["Name"] = entry->first;
  body["VersionId"] = entry->second.version_id;
  body["SecretString"] = entry->second.value;
  body["VersionStages"] = json::array{"AWSCURRENT"};
  body["CreatedDate"] = 1.523477145713E9;
  return json_response(200, json::serialize(body));
}

asio::awaitable<net::Response> FakeSecretsManager::Service::get_secret_value(
    const net::Request& request) {
  ++direct_requests;
  sigv4::Expectation expected;
  expected.credentials = options.credentials;
  expected.region = options.region;
  expected.service = "secretsmanager";
  const sigv4::Verdict verdict = sigv4::verify(request, expected);
  if (!verdict) co_return refuse(403, verdict.code, verdict.reason);

  const auto target = request.find("X-Amz-Target");
  if (target == request.end() || target->value() != "secretsmanager.GetSecretValue")
    co_return aws_error(400, "UnknownOperationException",
                        "only secretsmanager.GetSecretValue is served here");
  if (auto failure = co_await misbehave()) co_return std::move(*failure);

  json::error_code ec;
  const json::value input = json::parse(request.body(), ec);
  const json::value* id = (!ec && input.is_object()) ? input.get_object().if_contains("SecretId")
                                                     : nullptr;
  if (ec || !input.is_object())
    co_return aws_error(400, "SerializationException", "the body is not a JSON object");
  if (!id || !id->is_string() || id->get_string().empty())
    co_return aws_error(400, "InvalidParameterException",
                        "1 validation error detected: Value at 'secretId' failed to satisfy "
                        "constraint: Member must have length greater than or equal to 1");
  co_return answer_secret(id->get_string());
}

asio::awaitable<net::Response> FakeSecretsManager::Service::extension_get(
    const net::Request& request) {
  ++extension_requests;
  const auto token = request.find("X-Aws-Parameters-Secrets-Token");
  if (token == request.end() || token->value() != options.credentials.session_token) {
    ++refused;
    last_refusal = "extension: X-Aws-Parameters-Secrets-Token missing or wrong";
    net::Response response{http::status::unauthorized, 11};
    response.body() = "missing or invalid X-Aws-Parameters-Secrets-Token";
    co_return response;
  }
  if (auto failure = co_await misbehave()) co_return std::move(*failure);
  const auto url = boost::urls::parse_origin_form(request.target());
  std::string id;
  if (url)
    if (auto it = url->params().find("secretId"); it != url->params().end()) id = (*it).value;
  if (id.empty()) {
    net::Response response{http::status::bad_request, 11};
    response.body() = "secretId is required";
    co_return response;
  }
  co_return answer_secret(id);
}

asio::awaitable<net::Response> FakeSecretsManager::Service::handle(net::Request& request) {
  const auto alive = shared_from_this();  // a hung request may resume after the fake is gone
  ++requests;
  const std::string_view target = request.target();
  const std::string_view path = target.substr(0, target.find('?'));
  if (request.method() == http::verb::post && path == "/")
    co_return co_await get_secret_value(request);
  if (request.method() == http::verb::get && path == "/secretsmanager/get")
    co_return co_await extension_get(request);
  co_return aws_error(404, "UnknownOperationException", "no such route on the fake");
}

FakeSecretsManager::FakeSecretsManager(asio::any_io_executor executor, Options options)
    : state_(std::make_shared<Service>(executor, std::move(options))) {
  auto* state = state_.get();
  state_->server = std::make_unique<net::HttpServer>(
      executor, [state](net::Request& request) { return state->handle(request); });
}

FakeSecretsManager::~FakeSecretsManager() { stop(); }

void FakeSecretsManager::put_secret(std::string name, std::string secret_string) {
  char version[40];
  std::snprintf(version, sizeof version, "00000000-0000-4000-8000-%012llu",
                static_cast<unsigned long long>(++state_->versions));
  state_->secrets[std::move(name)] = Service::StoredSecret{std::move(secret_string), version};
}

void FakeSecretsManager::remove_secret(std::string_view name) {
  if (auto it = state_->secrets.find(name); it != state_->secrets.end()) state_->secrets.erase(it);
}

void FakeSecretsManager::misbehave(Misbehaviour how) { state_->misbehaviour = how; }

boost::system::error_code FakeSecretsManager::listen(const asio::ip::tcp::endpoint& endpoint) {
  return state_->server->listen(endpoint);
}

void FakeSecretsManager::start() { state_->server->start(); }

void FakeSecretsManager::stop() {
  if (state_->stopped) return;
  state_->stopped = true;
  state_->changed->notify();  // releases hung requests
  state_->server->stop();
}

std::uint16_t FakeSecretsManager::port() const { return state_->server->port(); }
std::string FakeSecretsManager::url() const {
  return "http://127.0.0.1:" + std::to_string(port());
}
std::uint64_t FakeSecretsManager::requests() const { return state_->requests; }
std::uint64_t FakeSecretsManager::get_secret_value_requests() const {
  return state_->direct_requests;
}
std::uint64_t FakeSecretsManager::extension_requests() const { return state_->extension_requests; }
std::uint64_t FakeSecretsManager::refused_signatures() const { return state_->refused; }
std::string FakeSecretsManager::last_refusal() const { return state_->last_refusal; }

}  // namespace ltf::emulator
