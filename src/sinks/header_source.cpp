// HeaderSource: fixed headers, headers from a secret and basic auth from a secret, merged once and
// kept until the destination refuses them; RefetchPolicy decides when a secret is fetched again.
#include "ltf/header_source.hpp"

#include "ltf/log.hpp"

#include <algorithm>
#include <cctype>

namespace ltf::sinks {

namespace asio = boost::asio;

namespace {

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool names(const HttpHeaders& headers, std::string_view name) {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const HttpHeader& h) { return same_name(h.name, name); });
}

std::string name_list(const HttpHeaders& headers) {
  std::string out;
  for (const auto& header : headers) out += (out.empty() ? "" : ", ") + header.name;
  return out;
}

// What SigV4 writes after our headers (aws::RequestSigner): a header of ours by one of these
// names would be overwritten or would break the signature.
const std::vector<std::string>& sigv4_names() {
  static const std::vector<std::string> signed_by_sigv4{
      "Authorization", "X-Amz-Date", "X-Amz-Security-Token", "X-Amz-Content-Sha256"};
  return signed_by_sigv4;
}

}  // namespace

bool RefetchPolicy::refused(Clock::time_point now) {
  if (last_refetch_ && now - *last_refetch_ < interval_) return false;
  last_refetch_ = now;
  return true;
}

HeaderSourceOptions header_source_options(const Config& config, HttpHeaders fixed) {
  HeaderSourceOptions options;
  options.fixed = std::move(fixed);
  options.headers_secret = config.headers_secret;
  if (!config.opensearch_url) options.basic_auth_secret = config.opensearch_auth_secret;
  if (options.headers_secret || options.basic_auth_secret)
    options.secrets = aws::secrets_options(config);
  if (config.sigv4_service) options.reserved = sigv4_names();
  return options;
}

struct HeaderSource::State {
  HeaderSourceOptions options;
  std::optional<aws::SecretsClient> client;  // only when a secret is named
  std::optional<HttpHeaders> current;        // merged, until refused or restored
  std::vector<std::string> sent_values;      // every value sent so far, for redact()
  RefetchPolicy policy;
  bool announced = false;

  // The secrets forgotten, so the next get() fetches them again, if the policy says so now.
  void maybe_forget(Clock::time_point now) {
    if (client && policy.refused(now)) forget();
  }
  void forget() {
    if (!client) return;
    for (const auto* id : {&options.headers_secret, &options.basic_auth_secret})
      if (*id) client->invalidate(**id);
    current.reset();
  }
  HeaderFetch unusable(std::string problem) {
    maybe_forget(Clock::now());
    return HeaderFetch{{}, std::move(problem)};
  }
  // A value, and its credentials after a scheme ("Bearer <token>"): a destination may echo either.
  void remember(std::string_view value) {
    if (const auto space = value.rfind(' '); space != std::string_view::npos)
      remember_one(value.substr(space + 1));
    remember_one(value);
  }
  void remember_one(std::string_view value) {
    if (value.size() < 4) return;  // too short to find without blanking ordinary words
    if (std::find(sent_values.begin(), sent_values.end(), value) == sent_values.end())
      sent_values.emplace_back(value);
  }
};

HeaderSource::HeaderSource(asio::any_io_executor executor, HeaderSourceOptions options)
    : state_(std::make_unique<State>()) {
  state_->policy = RefetchPolicy(options.refetch_interval);
  if (options.headers_secret || options.basic_auth_secret)
    state_->client.emplace(std::move(executor), options.secrets);
  state_->options = std::move(options);
}

HeaderSource::~HeaderSource() = default;

asio::awaitable<HeaderFetch> HeaderSource::get() {
  State& s = *state_;
  if (s.current) co_return HeaderFetch{*s.current, {}};
  HttpHeaders headers = s.options.fixed;

  if (const auto& id = s.options.headers_secret) {
    const std::string which = "LTF_HEADERS_SECRET '" + *id + "'";
    const aws::SecretResult result = co_await s.client->get(*id);
    if (!result.ok())  // not remembered by the client: the next get() asks again
      co_return HeaderFetch{{}, which + ": " + (result.error ? result.error->describe() : "unreadable")};
    if (result.secret->is_binary())
      co_return s.unusable(which + " is a binary secret; it must be a JSON object of headers");
    std::string why;
    auto from_secret = aws::parse_header_secret(result.secret->string, &why);
    if (!from_secret) co_return s.unusable(which + ": " + why);
    for (const auto& reserved : s.options.reserved)
      if (names(*from_secret, reserved))
        co_return s.unusable(which + " sets " + reserved + ", which the request's signature sets");
    for (auto& header : *from_secret) {  // a secret's header replaces a fixed one of its name
      std::erase_if(headers, [&](const HttpHeader& h) { return same_name(h.name, header.name); });
      headers.push_back(std::move(header));
    }
  }

  if (const auto& id = s.options.basic_auth_secret) {
    const std::string which = "AUTH_SECRET '" + *id + "'";
    const aws::SecretResult result = co_await s.client->get(*id);
    if (!result.ok())
      co_return HeaderFetch{{}, which + ": " + (result.error ? result.error->describe() : "unreadable")};
    if (result.secret->is_binary())
      co_return s.unusable(which + " is a binary secret; it must be a JSON string with "
                                   "username and password");
    std::string why;
    const auto auth = aws::parse_basic_auth_secret(result.secret->string, &why);
    if (!auth) co_return s.unusable(which + " " + why);
    if (names(headers, "Authorization"))
      co_return s.unusable("LTF_HEADERS_SECRET sets Authorization and " + which +
                           " asks for basic auth: choose one");
    headers.push_back({"Authorization", auth->authorization()});
    s.remember(auth->password);
  }

  if (auto problem = check_headers(headers); !problem.empty())
    co_return s.unusable("the headers together: " + problem);
  for (const auto& header : headers) s.remember(header.value);
  if (s.client && !s.announced) {
    LTF_LOG(debug) << "headers for the destination: " << name_list(headers) << " (" << describe()
                   << ")";
    s.announced = true;
  }
  s.current = headers;
  co_return HeaderFetch{std::move(headers), {}};
}

void HeaderSource::apply(net::Request& request, const HttpHeaders& headers) {
  for (const auto& header : headers) request.set(header.name, header.value);
}

void HeaderSource::refused(Clock::time_point now) { state_->maybe_forget(now); }

void HeaderSource::accepted() { state_->policy.accepted(); }

void HeaderSource::restored() {
  state_->policy.accepted();
  state_->forget();
}

std::string HeaderSource::redact(std::string text) const {
  static constexpr std::string_view mark = "<redacted>";
  // Longest first, so that a token inside a longer value does not leave the rest of it.
  std::vector<std::string_view> values(state_->sent_values.begin(), state_->sent_values.end());
  std::sort(values.begin(), values.end(),
            [](std::string_view a, std::string_view b) { return a.size() > b.size(); });
  for (const auto value : values)
    for (auto at = text.find(value); at != std::string::npos;
         at = text.find(value, at + mark.size()))
      text.replace(at, value.size(), mark);
  return text;
}

bool HeaderSource::uses_secrets() const { return state_->client.has_value(); }

std::uint64_t HeaderSource::secret_requests() const {
  return state_->client ? state_->client->requests_sent() : 0;
}

std::string HeaderSource::describe() const {
  const auto& o = state_->options;
  std::string out = name_list(o.fixed);
  const auto add = [&](std::string part) { out += (out.empty() ? "" : ", ") + std::move(part); };
  if (o.headers_secret) add("headers from secret '" + *o.headers_secret + "'");
  if (o.basic_auth_secret) add("basic auth from secret '" + *o.basic_auth_secret + "'");
  if (state_->client) out += " (" + state_->client->describe() + ")";
  return out.empty() ? "no headers" : out;
}

}  // namespace ltf::sinks
