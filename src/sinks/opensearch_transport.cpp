// One kept-alive connection to the cluster, every request authenticated: basic auth from a secret,
// SigV4 over the exact bytes sent, or nothing.
#include "ltf/opensearch.hpp"

#include "ltf/http_status.hpp"
#include "ltf/log.hpp"
#include "ltf/version.hpp"

#include <boost/beast/http/field.hpp>

namespace ltf::opensearch {

namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

// A bulk answer for a few thousand items runs to megabytes without filter_path (Serverless). It is
// read as it arrives, so this bounds the time spent reading a hostile answer, not memory.
constexpr std::uint64_t max_response_bytes = defaults::opensearch_response_body_limit;

// What is kept of an answer's body as it arrives: a successful _bulk answer goes through the item
// reader and is not kept; of any other answer only its start (error summaries and the bootstrap's
// checks read no further), after which the rest is left unread.
class AnswerKeeper final : public net::BodyReader {
 public:
  explicit AnswerKeeper(std::optional<std::size_t> bulk_items) : bulk_items_(bulk_items) {}

  void start(const http::response_header<>& head) override {
    start_.clear();
    bulk_.reset();
    const auto meaning = net::meaning_of_status(head.result_int());
    if (bulk_items_ && meaning == net::StatusMeaning::success) bulk_.emplace(*bulk_items_);
  }
  bool take(std::string_view piece) override {
    if (bulk_) return bulk_->write(piece);
    start_.append(piece.substr(0, max_error_body_bytes - start_.size()));
    return start_.size() < max_error_body_bytes;
  }
  // Puts what was kept into `reply`.
  void fill(Reply& reply) {
    if (!reply.exchange.ok()) return;
    reply.exchange.response.body() = std::move(start_);
    if (bulk_) reply.items = bulk_->finish(&reply.items_problem);
  }

 private:
  std::optional<std::size_t> bulk_items_;
  std::optional<BulkAnswerReader> bulk_;
  std::string start_;
};

class SecretBasicAuth final : public BasicAuthSource {
 public:
  SecretBasicAuth(asio::any_io_executor executor, aws::SecretsOptions options,
                  std::string secret_id)
      : client_(std::move(executor), std::move(options)), secret_id_(std::move(secret_id)) {}

  asio::awaitable<BasicAuthFetch> get() override {
    BasicAuthFetch fetch;
    const aws::SecretResult result = co_await client_.get(secret_id_);
    if (!result.ok()) {
      fetch.problem = result.error ? result.error->describe() : "the secret could not be read";
      co_return fetch;
    }
    if (result.secret->is_binary()) {
      fetch.problem = "AUTH_SECRET '" + secret_id_ +
                      "' is a binary secret; it must be a JSON string with username and password";
      co_return fetch;
    }
    std::string why;
    fetch.auth = aws::parse_basic_auth_secret(result.secret->string, &why);
    if (!fetch.auth) fetch.problem = "AUTH_SECRET '" + secret_id_ + "' " + why;
    co_return fetch;
  }

  void invalidate() override { client_.invalidate(secret_id_); }

  std::string describe() const override {
    return "secret '" + secret_id_ + "' from " + client_.describe();
  }

 private:
  aws::SecretsClient client_;
  std::string secret_id_;
};

class FixedBasicAuth final : public BasicAuthSource {
 public:
  explicit FixedBasicAuth(aws::BasicAuth auth) : auth_(std::move(auth)) {}
  asio::awaitable<BasicAuthFetch> get() override { co_return BasicAuthFetch{auth_, {}}; }
  void invalidate() override {}
  std::string describe() const override { return "fixed credentials"; }

 private:
  aws::BasicAuth auth_;
};

// The URL's path without its query and trailing '/': what goes before every API path.
std::string base_path(const net::HttpUrl& url) {
  std::string path = url.target.substr(0, url.target.find('?'));
  while (!path.empty() && path.back() == '/') path.pop_back();
  return path;
}

}  // namespace

std::unique_ptr<BasicAuthSource> secret_basic_auth(asio::any_io_executor executor,
                                                   aws::SecretsOptions options,
                                                   std::string secret_id) {
  return std::make_unique<SecretBasicAuth>(std::move(executor), std::move(options),
                                           std::move(secret_id));
}

std::unique_ptr<BasicAuthSource> fixed_basic_auth(aws::BasicAuth auth) {
  return std::make_unique<FixedBasicAuth>(std::move(auth));
}

Transport::Transport(asio::any_io_executor executor, TransportOptions options)
    : executor_(std::move(executor)), options_(std::move(options)) {
  if (options_.url.scheme == "https" && !options_.tls.verify)
    LTF_LOG(warning) << "TLS certificate verification is OFF (LTF_TLS_VERIFY=false): "
                     << describe() << " is not checked to be who it claims";
  if (options_.url.scheme == "http" && options_.auth == AuthMode::basic)
    LTF_LOG(warning) << "OpenSearch at " << describe()
                     << " is plain http: the basic-auth password crosses the network unencrypted";
}

asio::awaitable<Reply> Transport::send(http::verb method, std::string_view path,
                                       std::string_view query, std::string body,
                                       std::string_view content_type, bool gzip,
                                       std::optional<std::size_t> bulk_items) {
  Reply reply;
  std::string target = base_path(options_.url);
  target += path;
  if (!query.empty()) {
    target += '?';
    target += query;
  }
  net::Request request{method, target, 11};
  request.set(http::field::user_agent, ltf::user_agent());
  if (!content_type.empty()) request.set(http::field::content_type, content_type);
  if (gzip) {
    request.set(http::field::content_encoding, "gzip");
    request.body() = net::gzip(body);
  } else {
    request.body() = std::move(body);
  }

  switch (options_.auth) {
    case AuthMode::none:
      break;
    case AuthMode::basic: {
      if (!options_.basic) {
        reply.problem = "basic auth is configured without a source of credentials";
        co_return reply;
      }
      const BasicAuthFetch fetch = co_await options_.basic->get();
      if (!fetch.auth) {
        reply.problem = "no credentials for OpenSearch: " + fetch.problem;
        co_return reply;
      }
      request.set(http::field::authorization, fetch.auth->authorization());
      break;
    }
    case AuthMode::sigv4:
      // Signed last, over the final headers and the bytes actually sent (gzip included).
      if (auto why = options_.signer.sign(request, aws::host_header(options_.url))) {
        reply.problem = "cannot sign the request to OpenSearch: " + *why;
        co_return reply;
      }
      break;
  }

  if (!client_) {
    std::shared_ptr<asio::ssl::context> tls;
    if (options_.url.scheme == "https") {
      auto setup = net::make_tls_context(options_.tls);
      tls = std::move(setup.context);
      if (!setup.problem.empty())
        LTF_LOG(error) << "TLS: " << setup.problem << "; every request to OpenSearch will fail";
    }
    net::ClientLimits limits;
    limits.connect_timeout = options_.connect_timeout;
    limits.handshake_timeout = options_.handshake_timeout;
    limits.response_body_limit = max_response_bytes;
    client_.emplace(executor_, options_.url.host, options_.url.port, limits, std::move(tls));
  }
  AnswerKeeper keeper(bulk_items);
  reply.exchange = co_await client_->send(std::move(request), options_.timeout, keeper);
  keeper.fill(reply);
  co_return reply;
}

void Transport::refused() {
  if (options_.auth != AuthMode::basic || !options_.basic || refetched_) return;
  options_.basic->invalidate();
  refetched_ = true;
}

void Transport::restored() {
  client_.reset();
  refetched_ = false;
  if (options_.auth == AuthMode::basic && options_.basic) options_.basic->invalidate();
}

std::string Transport::describe() const {
  const auto& url = options_.url;
  const bool ipv6 = url.host.find(':') != std::string::npos;
  return url.scheme + "://" + (ipv6 ? "[" + url.host + "]" : url.host) + ":" + url.port +
         base_path(url);
}

}  // namespace ltf::opensearch
