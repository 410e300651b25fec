// Resolver: c-ares on the io_context. c-ares says which sockets it wants watched (its socket
// state callback); asio waits on them and on c-ares' next timeout, and hands readiness back with
// ares_process_fd. Nothing here blocks, and no thread is started.
#include "ltf/resolver.hpp"

#include "ltf/notifier.hpp"

#include <boost/asio/execution/context.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/steady_timer.hpp>

#include <ares.h>
#include <netinet/in.h>

#include <algorithm>
#include <climits>
#include <cstring>

namespace ltf::net {

namespace {

// c-ares' process-wide set-up (a no-op on Linux, but required before the first channel).
bool library_ready() {
  static const bool ready = ares_library_init(ARES_LIB_INIT_ALL) == ARES_SUCCESS;
  return ready;
}

// A channel configured per `options`; nullptr (and `why`) when c-ares refuses them.
ares_channel make_channel(const ResolverOptions& options, ares_sock_state_cb on_socket_state,
                          void* data, std::string* why) {
  if (!library_ready()) {
    if (why) *why = "c-ares could not be initialised";
    return nullptr;
  }
  ares_options o{};
  int mask = 0;
  if (on_socket_state) {
    o.sock_state_cb = on_socket_state;
    o.sock_state_cb_data = data;
    mask |= ARES_OPT_SOCK_STATE_CB;
  }
  if (options.attempt_timeout) {
    o.timeout = static_cast<int>(std::clamp<long long>(options.attempt_timeout->count(), 1, INT_MAX));
    mask |= ARES_OPT_TIMEOUTMS;
  }
  if (options.attempts) {
    o.tries = std::max(1, *options.attempts);
    mask |= ARES_OPT_TRIES;
  }
  ares_channel channel = nullptr;
  if (const int status = ares_init_options(&channel, &o, mask); status != ARES_SUCCESS) {
    if (why) *why = std::string("c-ares: ") + ares_strerror(status);
    return nullptr;
  }
  if (!options.servers.empty()) {
    if (const int status = ares_set_servers_ports_csv(channel, options.servers.c_str());
        status != ARES_SUCCESS) {
      if (why) *why = std::string("not a list of ip[:port]: ") + ares_strerror(status);
      ares_destroy(channel);
      return nullptr;
    }
  }
  return channel;
}

boost::system::error_code error_of(int status) {
  switch (status) {
    case ARES_SUCCESS:
    case ARES_ENOTFOUND:
    case ARES_ENODATA:
    case ARES_ENONAME: return DnsError::not_found;
    case ARES_EDESTRUCTION:
    case ARES_ECANCELLED: return DnsError::stopped;
    case ARES_ENOMEM: return asio::error::no_memory;
    default: return DnsError::no_answer;  // timed out, refused, SERVFAIL, unreadable answers
  }
}

// The addresses of an answer and the smallest TTL among them.
std::vector<asio::ip::address> addresses_of(const ares_addrinfo* info, int& ttl) {
  std::vector<asio::ip::address> out;
  ttl = INT_MAX;
  for (auto* node = info ? info->nodes : nullptr; node; node = node->ai_next) {
    if (node->ai_family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(node->ai_addr);
      asio::ip::address_v4::bytes_type bytes;
      std::memcpy(bytes.data(), &in->sin_addr, bytes.size());
      out.emplace_back(asio::ip::address_v4(bytes));
    } else if (node->ai_family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(node->ai_addr);
      asio::ip::address_v6::bytes_type bytes;
      std::memcpy(bytes.data(), &in6->sin6_addr, bytes.size());
      out.emplace_back(asio::ip::address_v6(bytes, in6->sin6_scope_id));
    } else {
      continue;
    }
    ttl = std::min(ttl, std::max(0, node->ai_ttl));
  }
  if (out.empty()) ttl = 0;
  return out;
}

}  // namespace

std::optional<std::string> check_dns_servers(std::string_view servers) {
  ResolverOptions options;
  options.servers = std::string(servers);
  std::string why;
  ares_channel channel = make_channel(options, nullptr, nullptr, &why);
  if (!channel) return why;
  ares_destroy(channel);
  return std::nullopt;
}

struct Resolver::Impl : std::enable_shared_from_this<Impl> {
  // One socket c-ares asked us to watch. `id` tells a handler whether its socket is still this
  // one: c-ares may close a descriptor and open another with the same number meanwhile.
  struct Watch {
    asio::posix::stream_descriptor descriptor;
    std::uint64_t id = 0;
    bool want_read = false, want_write = false;  // what c-ares asked for
    bool reading = false, writing = false;       // what asio is waiting on
    bool broken = false;                         // asio could not take it
  };
  // What a look-up's completion needs; owned by c-ares until its callback.
  struct Pending {
    std::weak_ptr<Impl> impl;
    std::string host;
  };

  asio::any_io_executor executor;
  ResolverOptions options;
  ares_channel channel = nullptr;
  boost::system::error_code unusable;  // why the channel could not be made
  DnsCache cache;
  std::shared_ptr<async::Notifier> notifier;
  std::optional<asio::steady_timer> timer;  // c-ares' next timeout; reset at shutdown
  std::map<ares_socket_t, Watch> watches;
  std::uint64_t next_watch = 0;
  Counters counters;
  bool stopped = false;

  Impl(asio::any_io_executor ex, ResolverOptions opts)
      : executor(std::move(ex)),
        options(std::move(opts)),
        notifier(std::make_shared<async::Notifier>(executor)),
        timer(std::in_place, executor) {}

  ~Impl() { close_channel(); }

  void open() {
    std::string why;
    channel = make_channel(options, &Impl::on_socket_state, this, &why);
    if (!channel) unusable = DnsError::no_answer;
  }

  // c-ares: start (or change) watching `fd`, or stop before it closes the descriptor.
  static void on_socket_state(void* data, ares_socket_t fd, int readable, int writable) {
    auto& self = *static_cast<Impl*>(data);
    if (!readable && !writable) {
      if (auto it = self.watches.find(fd); it != self.watches.end()) {
        it->second.descriptor.release();  // c-ares closes it: asio must not, nor watch it longer
        self.watches.erase(it);
      }
      return;
    }
    auto it = self.watches.find(fd);
    if (it == self.watches.end()) {
      it = self.watches.try_emplace(fd, Watch{asio::posix::stream_descriptor(self.executor), 0}).first;
      boost::system::error_code ec;
      it->second.descriptor.assign(fd, ec);
      it->second.id = ++self.next_watch;
      // Not watchable (epoll refused it): c-ares' timeout ends its query instead of a busy loop.
      it->second.broken = static_cast<bool>(ec);
    }
    it->second.want_read = readable != 0;
    it->second.want_write = writable != 0;
    self.arm(fd);
  }

  void arm(ares_socket_t fd) {
    auto it = watches.find(fd);
    if (it == watches.end()) return;
    Watch& w = it->second;
    if (w.broken) return;
    const auto wait = [&](asio::posix::descriptor_base::wait_type type, bool& waiting) {
      waiting = true;
      w.descriptor.async_wait(type, [weak = weak_from_this(), fd, id = w.id,
                                     read = type == asio::posix::descriptor_base::wait_read](
                                        const boost::system::error_code& ec) {
        if (auto self = weak.lock()) self->ready(fd, id, read, ec);
      });
    };
    if (w.want_read && !w.reading) wait(asio::posix::descriptor_base::wait_read, w.reading);
    if (w.want_write && !w.writing) wait(asio::posix::descriptor_base::wait_write, w.writing);
  }

  void ready(ares_socket_t fd, std::uint64_t id, bool read, const boost::system::error_code& ec) {
    auto it = watches.find(fd);
    if (it == watches.end() || it->second.id != id) return;  // released: c-ares closed it
    (read ? it->second.reading : it->second.writing) = false;
    if (ec == asio::error::operation_aborted || !channel) return;
    ares_process_fd(channel, read ? fd : ARES_SOCKET_BAD, read ? ARES_SOCKET_BAD : fd);
    // Level-triggered: wait again while c-ares still wants this socket; not after a failed wait,
    // which would fail again at once.
    if (!ec) arm(fd);
    schedule_timeout();
  }

  // Keeps the timer on c-ares' next deadline (a retry, another server, giving up).
  void schedule_timeout() {
    if (!channel || !timer) return;
    timeval tv{};
    if (!ares_timeout(channel, nullptr, &tv)) {  // no query left
      timer->cancel();
      return;
    }
    timer->expires_after(std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec));
    timer->async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      auto self = weak.lock();
      if (ec == asio::error::operation_aborted || !self || !self->channel) return;
      ares_process_fd(self->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
      self->schedule_timeout();
    });
  }

  void start(const std::string& host) {
    cache.started(host);
    ++counters.look_ups;
    ares_addrinfo_hints hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    auto* pending = new Pending{weak_from_this(), host};
    // May complete at once (an /etc/hosts entry): then the cache knows before this returns.
    ares_getaddrinfo(channel, host.c_str(), nullptr, &hints, &Impl::done, pending);
    schedule_timeout();
  }

  static void done(void* arg, int status, int, ares_addrinfo* info) {
    const std::unique_ptr<Pending> pending(static_cast<Pending*>(arg));
    const auto self = pending->impl.lock();  // expired: the channel is being destroyed with us
    int ttl = 0;
    auto addresses = addresses_of(info, ttl);
    if (info) ares_freeaddrinfo(info);
    if (!self) return;
    const auto now = DnsClock::now();
    if (status == ARES_SUCCESS && !addresses.empty())
      self->cache.answered(pending->host, std::move(addresses), std::chrono::seconds(ttl), now);
    else
      self->cache.failed(pending->host, error_of(status), now);
    self->notifier->notify();
  }

  // Ends every look-up (their callbacks run now, with ARES_EDESTRUCTION) and c-ares' sockets.
  void close_channel() {
    if (!channel) return;
    ares_channel c = channel;
    ares_destroy(c);
    channel = nullptr;
    watches.clear();  // any left were released by the callbacks above; drop the rest unclosed
  }

  void shutdown() {
    stopped = true;
    close_channel();
    timer.reset();  // asio objects go before their io_context's services do
    notifier->notify();
  }
};

Resolver::Resolver(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

Resolver::~Resolver() {
  if (impl_) impl_->shutdown();
}

Resolver::Counters Resolver::counters() const { return impl_->counters; }
const ResolverOptions& Resolver::options() const { return impl_->options; }
void Resolver::forget() { impl_->cache.clear(); }
void Resolver::shutdown() { impl_->shutdown(); }

asio::awaitable<Resolution> Resolver::resolve(std::string host, DnsClock::time_point deadline) {
  boost::system::error_code not_numeric;
  const auto literal = asio::ip::make_address(host, not_numeric);
  if (!not_numeric) co_return Resolution{{}, {literal}, false};
  const auto impl = impl_;  // the look-up's state outlives this call even if its owner goes
  for (bool asked = false;; asked = true) {
    if (impl->stopped) co_return Resolution{DnsError::stopped, {}, false};
    if (!impl->channel) co_return Resolution{impl->unusable, {}, false};
    const auto now = DnsClock::now();
    auto d = impl->cache.decide(host, now);
    if (d.action == DnsCache::Action::answer) {
      if (!asked) ++impl->counters.cache_hits;
      co_return Resolution{{}, std::move(d.addresses), d.stale};
    }
    if (d.action == DnsCache::Action::fail) {
      if (!asked) ++impl->counters.cache_hits;
      co_return Resolution{d.error, {}, false};
    }
    const auto seen = impl->cache.finished(host);
    if (d.start) impl->start(host);
    const bool refresh = d.action == DnsCache::Action::refresh;
    const auto until = refresh ? std::min(deadline, now + DnsCache::kRefreshPatience) : deadline;
    const bool ended = co_await impl->notifier->wait_until(
        [&] { return impl->stopped || impl->cache.finished(host) != seen; }, until);
    if (!ended) {
      if (refresh) co_return Resolution{{}, std::move(d.addresses), true};
      co_return Resolution{DnsError::too_late, {}, false};
    }
  }
}

// ---------------------------------------------------------------------------------------------
// One shared resolver per io_context, and every resolver shut down before the io_context's
// reactor goes: a service of the execution context.

namespace {

class ResolverService : public asio::execution_context::service {
 public:
  using key_type = ResolverService;
  inline static asio::execution_context::id id;

  explicit ResolverService(asio::execution_context& context) : service(context) {}

  std::shared_ptr<Resolver> shared;
  ResolverOptions options;
  std::vector<std::weak_ptr<Resolver>> made;  // every resolver on this context

  void track(const std::shared_ptr<Resolver>& resolver) {
    std::erase_if(made, [](const auto& weak) { return weak.expired(); });
    made.push_back(resolver);
  }

 private:
  void shutdown() override {
    for (auto& weak : made)
      if (auto resolver = weak.lock()) resolver->shutdown();
    shared.reset();
  }
};

ResolverService& service_of(const asio::any_io_executor& executor) {
  auto& context = asio::query(executor, asio::execution::context);
  return asio::use_service<ResolverService>(context);
}

}  // namespace

std::shared_ptr<Resolver> Resolver::create(asio::any_io_executor executor,
                                           ResolverOptions options) {
  auto impl = std::make_shared<Impl>(executor, std::move(options));
  impl->open();
  std::shared_ptr<Resolver> resolver(new Resolver(std::move(impl)));
  service_of(executor).track(resolver);
  return resolver;
}

std::shared_ptr<Resolver> shared_resolver(const asio::any_io_executor& executor) {
  auto& service = service_of(executor);
  if (!service.shared) service.shared = Resolver::create(executor, service.options);
  return service.shared;
}

void use_resolver_options(const asio::any_io_executor& executor, ResolverOptions options) {
  auto& service = service_of(executor);
  if (service.shared && service.shared->options() == options) return;
  service.options = std::move(options);
  service.shared.reset();  // made again on first use; clients holding the old one keep it
}

}  // namespace ltf::net
