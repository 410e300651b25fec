#pragma once
// RecordingSink's state, shared by its listeners (recording_sink_listeners.cpp: the HTTP server
// and the raw sockets that misbehave on purpose) and its recording (recording_sink.cpp).

#include "ltf/emulator.hpp"
#include "ltf/fake_aws.hpp"
#include "ltf/net.hpp"
#include "ltf/notifier.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace ltf::emulator {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace recording {
constexpr std::uint64_t max_body_bytes = 64 * 1024 * 1024;  // senders may batch generously
// A JSON answer with this status.
net::Response answer(unsigned status, std::string body);
}  // namespace recording

struct RecordingSink::Recorder : std::enable_shared_from_this<RecordingSink::Recorder> {
  Recorder(asio::any_io_executor ex, std::uint64_t seed)
      : executor(ex), rng(seed), changed(std::make_shared<async::Notifier>(ex)) {}

  enum class Listener { none, http, garbage, cutting };

  asio::any_io_executor executor;
  std::mt19937_64 rng;
  std::shared_ptr<async::Notifier> changed;
  SinkFault fault;
  std::optional<sigv4::Expectation> sigv4;  // require_sigv4()
  std::uint64_t refused_signatures = 0;
  std::map<std::string, std::string> required_headers;  // require_header(): lowercased name
  std::uint64_t refused_headers = 0;
  std::uint16_t port = 0;
  bool listening = false;  // listen() succeeded and stop() not called
  Listener listener = Listener::none;
  std::unique_ptr<net::HttpServer> server;
  std::shared_ptr<tcp::acceptor> raw_acceptor;  // garbage and cutting
  std::uint64_t generation = 0;  // bumped whenever a listener closes: releases hung requests

  std::uint64_t requests = 0, accepted = 0, bytes = 0, invalid = 0, events = 0, lines = 0;
  std::map<std::string, std::uint64_t> by_type;
  std::map<std::string, std::uint64_t> line_counts;
  // Each line's first arrival: a hash of its event, to tell a resent event from a re-made one,
  // and when its request was read, for the line's delivery latency.
  struct FirstArrival {
    std::size_t event_hash = 0;
    Clock::time_point at{};
  };
  std::map<std::string, FirstArrival> first_event_of_line;
  std::uint64_t altered_duplicates = 0;
  std::vector<ReceivedRequest> received;
  OtlpTally otlp;
  std::set<std::string> otlp_span_ids, otlp_parent_ids;  // for OtlpTally::orphan_spans

  boost::system::error_code open(Listener wanted);
  void close();
  boost::system::error_code apply_fault();
  std::size_t record(net::Request& request);  // returns its index in `received`
  asio::awaitable<net::Response> handle(net::Request& request);
  unsigned accept_body(const ReceivedRequest& request, std::size_t& events_recorded);
  // An OTLP request's body (recording_sink_otlp.cpp): decoded, counted; 400 when invalid.
  unsigned accept_otlp(const ReceivedRequest& request, std::string_view body, std::size_t& events_recorded);
  void count_line(const std::string& line, std::size_t event_hash, Clock::time_point at);
};

}  // namespace ltf::emulator
