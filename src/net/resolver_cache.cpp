// DnsCache: what to do about a host name at a given time (answer, fail, look up, refresh), and
// the errors a look-up ends with. No I/O: the resolver carries these decisions out.
#include "ltf/resolver.hpp"

#include <algorithm>

namespace ltf::net {

namespace {

class DnsCategory : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "dns"; }
  std::string message(int value) const override {
    switch (static_cast<DnsError>(value)) {
      case DnsError::not_found: return "host name not found (DNS)";
      case DnsError::no_answer: return "no DNS server answered the name look-up";
      case DnsError::too_late: return "name look-up not finished before the request's deadline";
      case DnsError::stopped: return "name look-up stopped: the resolver has shut down";
    }
    return "DNS error " + std::to_string(value);
  }
};

}  // namespace

const boost::system::error_category& dns_category() {
  static const DnsCategory category;
  return category;
}

boost::system::error_code make_error_code(DnsError e) {
  return {static_cast<int>(e), dns_category()};
}

DnsCache::Decision DnsCache::decide(const std::string& host, DnsClock::time_point now) const {
  Decision d;
  const auto it = entries_.find(host);
  if (it == entries_.end()) {
    d.start = true;
    return d;
  }
  const Entry& e = it->second;
  d.start = !e.in_flight;
  const bool have = !e.addresses.empty();
  if (have && now < e.expires) {
    d.action = Action::answer;
    d.addresses = e.addresses;
    return d;
  }
  if (now < e.failed_until) {  // asked a moment ago and it failed: do not ask again yet
    if (have) {
      d.action = Action::answer;
      d.addresses = e.addresses;
      d.stale = true;
    } else {
      d.action = Action::fail;
      d.error = e.error;
    }
    d.start = false;
    return d;
  }
  if (have) {
    d.action = Action::refresh;
    d.addresses = e.addresses;
    d.stale = true;
  }
  return d;
}

void DnsCache::started(const std::string& host) { entries_[host].in_flight = true; }

void DnsCache::answered(const std::string& host, std::vector<asio::ip::address> addresses,
                        std::chrono::seconds ttl, DnsClock::time_point now) {
  auto& e = entries_[host];
  e.addresses = std::move(addresses);
  e.expires = now + std::clamp(ttl, kMinimumTtl, kMaximumTtl);
  e.error.clear();
  e.failed_until = {};
  e.in_flight = false;
  ++e.finished;
}

void DnsCache::failed(const std::string& host, boost::system::error_code error,
                      DnsClock::time_point now) {
  auto& e = entries_[host];  // the addresses, if any, stay: used while the failure is remembered
  e.error = error;
  e.failed_until = now + kFailureMemory;
  e.in_flight = false;
  ++e.finished;
}

bool DnsCache::in_flight(const std::string& host) const {
  const auto it = entries_.find(host);
  return it != entries_.end() && it->second.in_flight;
}

std::uint64_t DnsCache::finished(const std::string& host) const {
  const auto it = entries_.find(host);
  return it == entries_.end() ? 0 : it->second.finished;
}

void DnsCache::clear() {
  for (auto& [host, e] : entries_) {
    e.addresses.clear();
    e.error.clear();
    e.failed_until = {};
  }
}

}  // namespace ltf::net
