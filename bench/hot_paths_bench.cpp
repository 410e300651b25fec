// Micro-benchmarks of what the extension does per event: parse a Telemetry API POST, give each
// event its id, encode the HTTP destination's request body (sinks::json_array_body), gzip it.
// Batch sizes: one event, 100 events, and 1 MB (the largest maxBytes a subscription can ask for).
#include "telemetry_batches.hpp"

#include "ltf/net.hpp"
#include "ltf/otlp.hpp"
#include "ltf/sinks.hpp"
#include "ltf/telemetry.hpp"

#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

namespace {

using namespace ltf;

constexpr std::int64_t one_megabyte = 1 << 20;

// Arguments below 1000 count events, the others bytes.
std::string batch_for(std::int64_t argument) {
  return argument < 1000 ? bench::batch_of_events(static_cast<std::size_t>(argument))
                         : bench::batch_of_bytes(static_cast<std::size_t>(argument));
}

const telemetry::FunctionIdentity function{"eu-west-1", "orders-api", "$LATEST"};

// The events of `body` as the listener hands them on: with ids and sequence numbers.
std::vector<telemetry::Event> events_of(const std::string& body) {
  std::vector<telemetry::Event> events;
  telemetry::parse_batch(body, events);
  telemetry::assign_event_ids(function, events);
  std::uint64_t sequence = 0;
  for (auto& event : events) event.sequence = ++sequence;
  return events;
}

// Throughput figures in events and bytes per second.
void count(benchmark::State& state, std::size_t events, std::size_t bytes) {
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(events));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes));
  state.counters["events"] = static_cast<double>(events);
}

void parse_batch(benchmark::State& state) {
  const std::string body = batch_for(state.range(0));
  std::size_t accepted = 0;
  for (auto _ : state) {
    std::vector<telemetry::Event> events;  // the listener starts each POST with a new vector
    const auto outcome = telemetry::parse_batch(body, events);
    if (!outcome.error.empty() || outcome.rejected != 0) {
      state.SkipWithError(("the batch did not parse: " + outcome.error).c_str());
      break;
    }
    accepted = outcome.accepted;
    benchmark::DoNotOptimize(events.data());
  }
  count(state, accepted, body.size());
}
BENCHMARK(parse_batch)->Name("parse_batch")->Arg(1)->Arg(100)->Arg(one_megabyte);

void event_id(benchmark::State& state) {
  const auto events = events_of(bench::batch_of_events(2));  // [1] is a function log line
  for (auto _ : state) benchmark::DoNotOptimize(telemetry::event_id(function, events[1], 0));
  count(state, 1, events[1].raw.size());
}
BENCHMARK(event_id)->Name("event_id/function_line");

void assign_event_ids(benchmark::State& state) {
  const std::string body = batch_for(state.range(0));
  auto events = events_of(body);
  for (auto _ : state) {
    telemetry::assign_event_ids(function, events);
    benchmark::DoNotOptimize(events.data());
  }
  count(state, events.size(), body.size());
}
BENCHMARK(assign_event_ids)->Name("assign_event_ids")->Arg(100)->Arg(one_megabyte);

void http_sink_body(benchmark::State& state) {
  const auto events = events_of(batch_for(state.range(0)));
  std::size_t bytes = 0;
  for (auto _ : state) {
    const std::string body = sinks::json_array_body(events);
    bytes = body.size();
    benchmark::DoNotOptimize(body.data());
  }
  count(state, events.size(), bytes);
}
BENCHMARK(http_sink_body)->Name("http_sink_body")->Arg(100)->Arg(one_megabyte);

// The OTLP destination's logs body for the same batch, beside http_sink_body: events to
// LogRecords (each event's JSON parsed again), then encoded.
void otlp_logs_body(benchmark::State& state, OtlpProtocol protocol) {
  const auto events = events_of(batch_for(state.range(0)));
  otlp::ResourceInfo info;
  info.function = {"eu-west-1", "orders", "7", "3f9a0c1d5e7b2468"};
  const auto resource = otlp::resource_attributes(info);
  std::size_t bytes = 0;
  for (auto _ : state) {
    const std::string body = otlp::encode_logs(resource, otlp::log_records(events), protocol);
    bytes = body.size();
    benchmark::DoNotOptimize(body.data());
  }
  count(state, events.size(), bytes);
}
BENCHMARK_CAPTURE(otlp_logs_body, protobuf, OtlpProtocol::protobuf)->Name("otlp_logs_body/protobuf")->Arg(100)->Arg(one_megabyte);
BENCHMARK_CAPTURE(otlp_logs_body, json, OtlpProtocol::json)->Name("otlp_logs_body/json")->Arg(100)->Arg(one_megabyte);

void gzip(benchmark::State& state) {
  const auto events = events_of(batch_for(one_megabyte));
  const std::string body = sinks::json_array_body(events);
  const int level = static_cast<int>(state.range(0));
  std::size_t compressed = 0;
  for (auto _ : state) {
    const std::string out = net::gzip(body, level);
    compressed = out.size();
    benchmark::DoNotOptimize(out.data());
  }
  count(state, events.size(), body.size());
  state.counters["ratio"] = static_cast<double>(body.size()) / static_cast<double>(compressed);
}
// Level 1 is what LTF_COMPRESSION=gzip uses; 6 (zlib's default) for comparison.
BENCHMARK(gzip)->Name("gzip_1MB/level")->Arg(1)->Arg(6);

}  // namespace
