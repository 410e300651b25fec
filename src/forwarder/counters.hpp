#pragma once
// The extension's own counters as an event in the stream it forwards, so that the backend which
// holds the telemetry also holds how complete it is (received, delivered, retried, spilled, shed,
// lost) and how the destination behaved (latency), without anyone reading CloudWatch.

#include "ltf/telemetry.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace ltf::forwarder {

struct Stages;

struct Counters {
  std::uint64_t received = 0;        // events the Telemetry API delivered to us
  std::uint64_t delivered = 0;       // accepted by the destination
  std::uint64_t retried = 0;         // events sent again after a failed attempt (each time)
  std::uint64_t spilled = 0;         // written to disk because memory was full
  std::uint64_t spill_corrupt_records = 0;      // torn or failing their checksum: skipped, lost
  std::uint64_t spill_unreadable_segments = 0;  // left on disk, not read
  std::uint64_t spill_write_failures = 0;       // read-only or full disk
  std::uint64_t shed = 0;            // dropped because memory and disk were full: lost
  std::uint64_t rejected = 0;        // refused for good by the destination: lost
  std::uint64_t buffered = 0;        // waiting now, in memory and on disk
  std::uint64_t requests = 0;        // requests to the destination
  std::uint64_t failed_requests = 0;
  std::uint64_t malformed_posts = 0;  // Telemetry API POSTs refused (not JSON, too large)
  std::string schema;  // the Telemetry API schema in use
  double sink_latency_mean_ms = 0;
  double sink_latency_max_ms = 0;
};

// What the stages have counted so far.
Counters collect_counters(const Stages& stages);

// {"time":..., "type":"telemetry-forwarder.counters", "record":{"reason":..., "version":...,
// "received":..., ...}}
telemetry::Event counters_event(const Counters& counters, std::string_view reason,
                                std::chrono::system_clock::time_point now);

}  // namespace ltf::forwarder
