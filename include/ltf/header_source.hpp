#pragma once
// The headers a destination's requests carry besides the sink's own: fixed ones (LTF_HEADERS,
// LTF_OTLP_HEADERS), ones from a Secrets Manager secret (LTF_HEADERS_SECRET: a JSON object of
// name -> value) and basic auth from AUTH_SECRET ({"username","password"}). Any HTTP sink owns
// one: it asks for the headers before each request, applies them, and says how the destination
// answered (refused() after a 401/403, accepted() after a success), so that a rotated secret is
// fetched again. Values are credentials: nothing here logs one or puts one into a message.

#include "ltf/config.hpp"
#include "ltf/net.hpp"
#include "ltf/secrets.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ltf::sinks {

// When credentials from a secret are fetched again after a destination refused them or they
// were unusable: at once the first time, then, while that goes on, at most once per `interval`
// (someone may be fixing the secret; a secret that is simply wrong is not fetched on every
// retry). A success starts over. A plain policy: no I/O, the caller gives the time.
class RefetchPolicy {
 public:
  using Clock = std::chrono::steady_clock;
  explicit RefetchPolicy(Milliseconds interval = defaults::secret_refetch_interval)
      : interval_(interval) {}
  // The destination refused (or the secret was unusable) at `now`: true if the secret should be
  // fetched again before the next request.
  bool refused(Clock::time_point now);
  void accepted() { last_refetch_.reset(); }

 private:
  Milliseconds interval_;
  std::optional<Clock::time_point> last_refetch_;  // within the current run of refusals
};

struct HeaderSourceOptions {
  HttpHeaders fixed;                              // sent as given (checked by the config)
  std::optional<std::string> headers_secret;      // LTF_HEADERS_SECRET: its headers replace
                                                  // fixed ones of the same name
  std::optional<std::string> basic_auth_secret;   // AUTH_SECRET: Authorization: Basic ...
  aws::SecretsOptions secrets;                    // how either secret is fetched
  // Names the sink sets itself after these headers (SigV4's Authorization and X-Amz-*): a
  // secret that names one is refused rather than silently overwritten.
  std::vector<std::string> reserved;
  Milliseconds refetch_interval = defaults::secret_refetch_interval;
};

// The options the configuration asks for, with `fixed` as the fixed headers (LTF_HEADERS for
// DISPATCH_POST_URI, LTF_OTLP_HEADERS for the OTLP destination): LTF_HEADERS_SECRET, AUTH_SECRET
// (unless URL, the OpenSearch destination, is the one it is for), the Secrets Manager client's
// settings, and SigV4's header names as reserved when LTF_SIGV4_SERVICE is set.
HeaderSourceOptions header_source_options(const Config& config, HttpHeaders fixed);

struct HeaderFetch {
  HttpHeaders headers;
  std::string problem;  // set: no usable headers, nothing should be sent (never holds a value)
  bool ok() const { return problem.empty(); }
};

class HeaderSource {
 public:
  using Clock = RefetchPolicy::Clock;

  HeaderSource(boost::asio::any_io_executor executor, HeaderSourceOptions options);
  ~HeaderSource();
  HeaderSource(const HeaderSource&) = delete;
  HeaderSource& operator=(const HeaderSource&) = delete;

  // The headers for the next request: kept from the last call unless refused() or restored()
  // forgot them; secrets are fetched on the first call (never at start: the Parameters and
  // Secrets extension answers only during invocations). Calls must not overlap (one sink, one
  // request at a time).
  boost::asio::awaitable<HeaderFetch> get();
  // Sets each header on `request`, replacing one of the same name.
  static void apply(net::Request& request, const HttpHeaders& headers);

  // The destination answered 401/403 to these headers at `now`; secrets are fetched again as
  // RefetchPolicy says. accepted(): it took a request.
  void refused(Clock::time_point now = Clock::now());
  void accepted();
  // A SnapStart restore: secrets fetched before the snapshot may be stale.
  void restored();

  // `text` (a destination's answer, an error) with every value this source has sent replaced by
  // "<redacted>": a destination may echo a token back in its error body.
  std::string redact(std::string text) const;
  bool uses_secrets() const;
  std::uint64_t secret_requests() const;  // GetSecretValue calls made so far (tests)
  // "X-Api-Key, Authorization from secret 'intake'": names and secret ids, never values.
  std::string describe() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace ltf::sinks
