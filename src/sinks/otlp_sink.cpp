// The OTLP/HTTP destination: one HttpSink per signal with OTLP's encoder, and the bookkeeping
// that lets a batch be sent again to the signals that still owe it, and only to those.
#include "ltf/otlp_sink.hpp"

#include "ltf/log.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>

namespace ltf::otlp {

namespace asio = boost::asio;
using sinks::Delivery;
using sinks::Outcome;

namespace {

// The first 8 bytes of an event id (a SHA-256 prefix, so already uniform); 0 when it has none.
std::uint64_t id_hash(const telemetry::Event& event) {
  if (event.id.size() < 16) return 0;
  std::uint64_t value = 0;
  for (int i = 0; i < 16; ++i) {
    const char c = event.id[static_cast<std::size_t>(i)];
    const int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : 0;
    value = value << 4 | static_cast<std::uint64_t>(digit);
  }
  return value ? value : 1;
}

}  // namespace

bool OtlpSink::Channel::delivered_already(const telemetry::Event& event) const {
  const auto hash = id_hash(event);
  return hash && delivered.contains(hash);
}

void OtlpSink::Channel::remember(const telemetry::Event& event) {
  const auto hash = id_hash(event);
  if (!hash || !delivered.insert(hash).second) return;
  order.push_back(hash);
  if (order.size() > defaults::otlp_remembered_deliveries) {
    delivered.erase(order.front());
    order.pop_front();
  }
}

void OtlpSink::Channel::refused(std::int64_t items, std::string_view why) {
  rejected += static_cast<std::uint64_t>(std::max<std::int64_t>(items, 0));
  if (warned) return;  // once per signal: a backend that refuses, refuses every batch
  warned = true;
  LTF_LOG(warning) << "OTLP " << name << ": the destination refused " << items
                   << " item(s), not sent again (" << sinks::log_excerpt(why)
                   << "); further refusals are only counted";
}

OtlpSink::OtlpSink(asio::any_io_executor executor, OtlpSinkOptions options)
    : options_(std::move(options)), resource_(resource_attributes(options_.resource)) {
  const std::optional<net::HttpUrl>* urls[] = {&options_.logs, &options_.metrics, &options_.traces};
  const char* names[] = {"logs", "metrics", "traces"};
  for (int s = 0; s < 3; ++s) {
    Channel& channel = channels_[static_cast<std::size_t>(s)];
    channel.name = names[s];
    if (!*urls[s]) continue;
    sinks::HttpSinkOptions http = options_.http;
    http.content_type = std::string(content_type(options_.protocol));
    http.status_rules = net::StatusRules::otlp;
    const auto protocol = options_.protocol;
    switch (static_cast<Signal>(s)) {
      case logs_signal:
        http.encode = [this, protocol](std::span<const telemetry::Event> batch) {
          const auto records = log_records(batch);
          return records.empty() ? std::string{} : encode_logs(resource_, records, protocol);
        };
        break;
      case metrics_signal:
        http.encode = [this, protocol](std::span<const telemetry::Event> batch) {
          const auto found = otlp::metrics(batch);
          return found.empty() ? std::string{} : encode_metrics(resource_, found, protocol);
        };
        break;
      case traces_signal:
        http.encode = [this, protocol](std::span<const telemetry::Event> batch) {
          const auto found = spans(batch, options_.resource.function.function_name);
          return found.empty() ? std::string{} : encode_spans(resource_, found, protocol);
        };
        break;
    }
    http.on_success = [&channel, protocol](std::string_view body) {
      if (auto partial = partial_success(body, protocol); partial && partial->rejected > 0)
        channel.refused(partial->rejected, "partial success: " + partial->error_message);
    };
    channel.sink = std::make_unique<sinks::HttpSink>(executor, **urls[s], std::move(http));
  }
}

bool OtlpSink::wanted(Signal signal, const telemetry::Event& event) const {
  switch (signal) {
    case logs_signal: return true;
    case metrics_signal: return feeds_metrics(event);
    case traces_signal: return feeds_spans(event);
  }
  return false;
}

asio::awaitable<Delivery> OtlpSink::deliver(std::span<const telemetry::Event> batch) {
  std::set<std::size_t> owed, refused;
  Delivery failure{Outcome::delivered, 0, {}, {}};
  bool failing = false;  // a signal could not be sent: the others wait for the retry
  for (int s = 0; s < 3; ++s) {
    Channel& channel = channels_[static_cast<std::size_t>(s)];
    if (!channel.sink) continue;
    std::vector<std::size_t> origin;  // the batch's index of each event sent
    for (std::size_t i = 0; i < batch.size(); ++i)
      if (wanted(static_cast<Signal>(s), batch[i]) && !channel.delivered_already(batch[i]) &&
          !refused.contains(i))
        origin.push_back(i);
    if (origin.empty()) continue;
    if (failing) {
      owed.insert(origin.begin(), origin.end());
      continue;
    }
    // Most batches go to the logs whole; the others take a few platform events, copied.
    std::vector<telemetry::Event> picked;
    std::span<const telemetry::Event> part = batch;
    if (origin.size() != batch.size()) {
      picked.reserve(origin.size());
      for (std::size_t i : origin) picked.push_back(batch[i]);
      part = picked;
    }
    const Delivery answer = co_await channel.sink->deliver(part);
    std::set<std::size_t> retry, gone;
    if (answer.per_event()) {
      retry.insert(answer.retry.begin(), answer.retry.end());
      gone.insert(answer.refused.begin(), answer.refused.end());
    } else if (answer.outcome == Outcome::retry_later) {
      for (std::size_t i = 0; i < origin.size(); ++i) retry.insert(i);
    } else if (answer.outcome == Outcome::rejected) {
      for (std::size_t i = 0; i < origin.size(); ++i) gone.insert(i);
    }
    if (!gone.empty())
      channel.refused(static_cast<std::int64_t>(gone.size()),
                      "HTTP " + std::to_string(answer.status) + ": " + answer.detail);
    for (std::size_t i = 0; i < origin.size(); ++i) {
      if (retry.contains(i)) owed.insert(origin[i]);
      else if (gone.contains(i) && s == logs_signal) refused.insert(origin[i]);
      else if (!gone.contains(i)) channel.remember(part[i]);
    }
    if (!retry.empty()) {
      failing = true;
      failure = answer;
    }
  }
  if (owed.empty() && refused.empty()) co_return Delivery{Outcome::delivered, failure.status, {}, {}};
  Delivery out{Outcome::delivered, failure.status, failure.detail, failure.retry_after};
  out.retry.assign(owed.begin(), owed.end());
  out.refused.assign(refused.begin(), refused.end());
  if (!out.retry.empty()) out.outcome = Outcome::retry_later;
  else if (out.refused.size() == batch.size()) out.outcome = Outcome::rejected;
  co_return out;
}

std::string OtlpSink::describe() const {
  std::string out = "OTLP (";
  out += options_.protocol == OtlpProtocol::json ? "http/json" : "http/protobuf";
  out += ")";
  for (const auto& channel : channels_)
    if (channel.sink) out += " " + channel.name + " " + channel.sink->describe();
  return out;
}

void OtlpSink::restored(const telemetry::FunctionIdentity& function) {
  options_.resource.function = function;  // faas.instance is the new sandbox
  resource_ = resource_attributes(options_.resource);
  for (auto& channel : channels_)
    if (channel.sink) channel.sink->restored(function);
}

std::uint64_t OtlpSink::rejected(Signal signal) const {
  return channels_[static_cast<std::size_t>(signal)].rejected;
}

std::unique_ptr<sinks::Sink> make_otlp_sink(asio::any_io_executor executor, const Config& config,
                                            sinks::HttpSinkOptions http,
                                            telemetry::FunctionIdentity function) {
  OtlpSinkOptions options;
  const std::optional<std::string>* endpoints[] = {&config.otlp_logs_endpoint,
                                                   &config.otlp_metrics_endpoint,
                                                   &config.otlp_traces_endpoint};
  std::optional<net::HttpUrl>* into[] = {&options.logs, &options.metrics, &options.traces};
  for (int s = 0; s < 3; ++s) {
    if (!*endpoints[s]) continue;
    std::string why;
    *into[s] = net::parse_http_url(**endpoints[s], &why);
    // load_config has refused such a value already; a Config built by hand may not have been.
    if (!*into[s]) throw std::invalid_argument("an OTLP endpoint is not a usable http(s) URL: " + why);
  }
  options.protocol = config.otlp_protocol;
  options.http = std::move(http);
  options.resource.account_id = function.account_id;
  options.resource.memory_mb = config.function_memory_mb;
  options.resource.extra = config.otlp_resource_attributes;
  options.resource.function = std::move(function);
  return std::make_unique<OtlpSink>(std::move(executor), std::move(options));
}

}  // namespace ltf::otlp
