#pragma once
// Host names to addresses without blocking the one thread: c-ares driven by asio, answers cached
// for their TTL, one look-up per host in flight, failures remembered briefly. No NSS, no thread.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ltf::net {

namespace asio = boost::asio;
using DnsClock = std::chrono::steady_clock;

struct ResolverOptions {
  // Name servers as "ip[:port]" separated by commas ("127.0.0.1:5353,[::1]:53"), asked instead of
  // /etc/resolv.conf's. Empty: /etc/resolv.conf. /etc/hosts is read first either way.
  std::string servers;
  // One attempt's timeout and the attempts per server; nullopt: /etc/resolv.conf's (or c-ares'
  // 5 s and 4). A caller's deadline bounds its own wait whatever these say.
  std::optional<std::chrono::milliseconds> attempt_timeout;
  std::optional<int> attempts;
  bool operator==(const ResolverOptions&) const = default;
};

// Checks a `servers` text the way the resolver will read it; the reason when it is unusable.
std::optional<std::string> check_dns_servers(std::string_view servers);

// Errors of a look-up, with messages a user can act on.
enum class DnsError {
  not_found = 1,   // the name does not exist, or has no address
  no_answer,       // the name servers failed or did not answer (c-ares gave up)
  too_late,        // the caller's deadline came first; the look-up may still finish for others
  stopped,         // the resolver was shut down with its io_context
};
const boost::system::error_category& dns_category();
boost::system::error_code make_error_code(DnsError e);

// What the resolver knows about host names, and what a caller should do about one: a plain
// policy, given the time, without I/O. The resolver carries its decisions out.
class DnsCache {
 public:
  // Answers are kept at least this long, so a zone with TTL 0 costs one query per second, not
  // one per request.
  static constexpr std::chrono::seconds kMinimumTtl{1};
  // ... and at most this long, so a destination that moves is followed within minutes.
  static constexpr std::chrono::seconds kMaximumTtl{300};
  // A failed look-up is remembered this long: a retry loop must not ask a dead server each time.
  static constexpr std::chrono::seconds kFailureMemory{5};
  // An expired answer is refreshed; a caller waits this long for the new one before it uses the
  // old one (the refresh goes on for later callers): a slow server costs a request no more.
  static constexpr std::chrono::milliseconds kRefreshPatience{100};

  enum class Action {
    answer,    // use `addresses` (fresh, or stale because the refresh failed)
    fail,      // use `error`: the look-up failed a moment ago
    look_up,   // nothing usable: wait for a look-up (start one unless one is in flight)
    refresh,   // `addresses` expired: wait up to kRefreshPatience for a look-up, else use them
  };
  struct Decision {
    Action action = Action::look_up;
    std::vector<asio::ip::address> addresses;
    boost::system::error_code error;
    bool stale = false;       // the addresses' TTL has passed
    bool start = false;       // look_up/refresh: no look-up of this host is in flight yet
  };

  Decision decide(const std::string& host, DnsClock::time_point now) const;
  void started(const std::string& host);
  void answered(const std::string& host, std::vector<asio::ip::address> addresses,
                std::chrono::seconds ttl, DnsClock::time_point now);
  void failed(const std::string& host, boost::system::error_code error, DnsClock::time_point now);
  bool in_flight(const std::string& host) const;
  // Counts finished look-ups of `host`: a waiter knows its look-up ended when this changes.
  std::uint64_t finished(const std::string& host) const;
  // Forgets every answer and failure (look-ups in flight stay in flight).
  void clear();

 private:
  struct Entry {
    std::vector<asio::ip::address> addresses;
    DnsClock::time_point expires{};
    boost::system::error_code error;  // the last look-up failed with this ...
    DnsClock::time_point failed_until{};  // ... and is remembered until then
    bool in_flight = false;
    std::uint64_t finished = 0;
  };
  std::map<std::string, Entry, std::less<>> entries_;  // only the few hosts we talk to
};

// The outcome of one resolve(): addresses, or the error that explains why there are none.
struct Resolution {
  boost::system::error_code error;
  std::vector<asio::ip::address> addresses;
  bool stale = false;  // an expired answer, used because its refresh failed or was late
};

// One c-ares channel on an io_context: its sockets watched with asio, its timeouts on a
// steady_timer. Share one per io_context (shared_resolver): the cache and the one-look-up-per-
// host rule then hold for every client.
class Resolver {
 public:
  struct Counters {
    std::uint64_t look_ups = 0;   // look-ups handed to c-ares
    std::uint64_t cache_hits = 0; // answered from the cache (fresh or stale), failures included
  };

  static std::shared_ptr<Resolver> create(asio::any_io_executor executor,
                                          ResolverOptions options = {});
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // The host's addresses. Numeric hosts need no look-up. Returns by `deadline` whatever the
  // servers do (DnsError::too_late); a look-up this caller started goes on for the others.
  asio::awaitable<Resolution> resolve(std::string host, DnsClock::time_point deadline);
  // Drops cached answers, e.g. after a SnapStart restore.
  void forget();
  // Ends every look-up and closes c-ares' sockets; resolve() fails from then on. Called when
  // the io_context shuts down.
  void shutdown();
  Counters counters() const;
  const ResolverOptions& options() const;

  struct Impl;  // resolver.cpp

 private:
  explicit Resolver(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;  // shared with the look-ups' and sockets' handlers (weakly)
};

// The resolver every client on this executor's io_context uses unless given another: made on
// first use with the options last given to use_resolver_options (default: /etc/resolv.conf).
std::shared_ptr<Resolver> shared_resolver(const asio::any_io_executor& executor);
// Replaces the shared resolver with one that has `options` (clients resolve through the new one
// from their next connection on). The extension calls it once, after reading its configuration.
void use_resolver_options(const asio::any_io_executor& executor, ResolverOptions options);

}  // namespace ltf::net

template <>
struct boost::system::is_error_code_enum<ltf::net::DnsError> : std::true_type {};
