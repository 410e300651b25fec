#pragma once
// The OTLP/HTTP destination: each batch goes to up to three endpoints (logs, metrics, traces),
// each an HttpSink with OTLP's encoder, status rules and headers, so the guarantees of the HTTP
// destination (keep-alive, TLS, gzip, SigV4, 413 splitting, Retry-After) hold for every signal.

#include "ltf/otlp.hpp"
#include "ltf/sinks.hpp"

#include <array>
#include <deque>
#include <memory>
#include <unordered_set>

namespace ltf::otlp {

struct OtlpSinkOptions {
  std::optional<net::HttpUrl> logs, metrics, traces;  // a signal without an endpoint is not sent
  OtlpProtocol protocol = OtlpProtocol::protobuf;
  sinks::HttpSinkOptions http;  // shared by the three: timeouts, TLS, gzip, SigV4, headers
  ResourceInfo resource;
};

class OtlpSink final : public sinks::Sink {
 public:
  OtlpSink(boost::asio::any_io_executor executor, OtlpSinkOptions options);
  OtlpSink(const OtlpSink&) = delete;
  OtlpSink& operator=(const OtlpSink&) = delete;

  // Logs first (every event), then metrics and spans (from the platform events that feed them).
  // A signal that fails owes its events: they come back in Delivery::retry and are sent again,
  // but only to the signals that have not delivered them yet. What a signal refuses for good is
  // logged once and counted; only the logs' refusals count as refused events (metrics and spans
  // are derived: their events still arrived as logs).
  boost::asio::awaitable<sinks::Delivery> deliver(std::span<const telemetry::Event> batch) override;
  std::string describe() const override;
  void restored(const telemetry::FunctionIdentity& function) override;

  enum Signal { logs_signal = 0, metrics_signal = 1, traces_signal = 2 };
  // Items the backend refused: partial_success rejections plus whole requests refused.
  std::uint64_t rejected(Signal signal) const;

 private:
  struct Channel {
    std::string name;
    std::unique_ptr<sinks::HttpSink> sink;
    std::deque<std::uint64_t> order;  // delivered event ids, oldest first (bounded)
    std::unordered_set<std::uint64_t> delivered;
    std::uint64_t rejected = 0;
    bool warned = false;
    bool delivered_already(const telemetry::Event& event) const;
    void remember(const telemetry::Event& event);
    void refused(std::int64_t items, std::string_view why);
  };
  bool wanted(Signal signal, const telemetry::Event& event) const;

  OtlpSinkOptions options_;
  Attributes resource_;
  std::array<Channel, 3> channels_;
};

// The OTLP sink the configuration asks for (Config::otlp()).
std::unique_ptr<sinks::Sink> make_otlp_sink(boost::asio::any_io_executor executor, const Config& config,
                                            sinks::HttpSinkOptions http, telemetry::FunctionIdentity function);

}  // namespace ltf::otlp
