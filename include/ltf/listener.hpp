#pragma once
// The Telemetry API listener: accepts Lambda's POSTs, parses each body once, hands the events on
// and answers at once; it never waits on a sink.

#include "ltf/defaults.hpp"
#include "ltf/net.hpp"
#include "ltf/telemetry.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <cstdint>
#include <functional>
#include <vector>

namespace ltf::telemetry {

struct ListenerOptions {
  std::uint16_t port = 0;                  // 0: any free port (tests)
  std::uint64_t max_body_bytes = defaults::listener_max_body_bytes.fallback;  // larger: 413
  // Connections, timeouts and the budget of all bodies being read (its body_limit is ignored:
  // max_body_bytes above applies).
  net::ServerLimits server{};
};

struct ListenerStats {
  std::uint64_t posts = 0;             // POSTs accepted (2xx)
  std::uint64_t events = 0;            // events handed on
  std::uint64_t malformed_posts = 0;   // bodies that were not a JSON array, or not HTTP (400)
  std::uint64_t oversized_posts = 0;   // bodies over max_body_bytes (413)
  std::uint64_t busy_posts = 0;        // refused while the bodies budget was spent (503, retried)
  std::uint64_t rejected_events = 0;   // array elements that were not events
};

// Receives the events of one accepted POST, in order (sequence numbers are the receiver's).
using EventsHandler = std::function<void(std::vector<Event>&&)>;

class Listener {
 public:
  Listener(boost::asio::any_io_executor executor, ListenerOptions options, EventsHandler handler);
  // Binds 0.0.0.0:port (Lambda reaches it as sandbox.localdomain) and starts accepting.
  boost::system::error_code start();
  void stop();
  std::uint16_t port() const;
  const ListenerStats& stats() const { return stats_; }
  const net::ServerStats& server_stats() const { return server_.stats(); }

 private:
  boost::asio::awaitable<net::Response> handle(net::Request& request);
  void refused_malformed(std::string_view why);
  ListenerOptions options_;
  EventsHandler handler_;
  ListenerStats stats_;
  bool warned_malformed_ = false;  // each kind of refused POST is logged once, then only counted
  bool warned_oversized_ = false;
  bool warned_busy_ = false;
  net::HttpServer server_;
};

}  // namespace ltf::telemetry
