#pragma once
// Every default and every limit, in one place. The settings (environment variables) have their
// default and allowed range here; config builds Config from them, every options struct takes its
// defaults from them, and a test checks docs/configuration.md against the table built from them
// (ltf::numeric_settings()). The limits below that are not settings are named for what they bound.

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace ltf::defaults {

using std::chrono::milliseconds;

// A numeric setting: its default and the range a user may set.
template <typename T>
struct Range {
  T fallback;
  T min;
  T max;
};

inline constexpr std::uint64_t KiB = 1024;
inline constexpr std::uint64_t MiB = 1024 * KiB;
inline constexpr std::uint64_t GiB = 1024 * MiB;

// --- Telemetry API subscription and listener (Lambda's own limits for the subscription)
inline constexpr Range<std::uint16_t> listener_port{4250, 1024, 65535};
inline constexpr std::uint16_t reserved_port = 9001;  // Lambda's; a listener may not use it
inline constexpr Range<std::uint32_t> telemetry_max_items{1000, 1000, 10000};
inline constexpr Range<std::uint32_t> telemetry_max_bytes{262144, 262144, 1048576};
inline constexpr Range<std::uint32_t> telemetry_timeout_ms{25, 25, 30000};
// Managed Instances: Lambda's own default window (no runtimeDone to hurry for there).
inline constexpr std::uint32_t managed_instances_telemetry_timeout_ms = 1000;
// Lambda may send up to 2 * maxBytes plus metadata in one POST.
inline constexpr Range<std::uint64_t> listener_max_body_bytes{4 * MiB, 2 * MiB + 64 * KiB, 64 * MiB};

// --- Destination
inline constexpr Range<std::uint64_t> dispatch_min_batch_size{0, 0, 1'000'000};
inline constexpr Range<std::uint64_t> dispatch_max_batch_bytes{1 * MiB, 1 * KiB, 64 * MiB};
// OpenSearch's docs advise 5-15 MB per bulk request; 5 MiB stays clear of the 10 MiB request cap
// of small Amazon OpenSearch Service instances.
inline constexpr std::uint64_t opensearch_max_batch_bytes = 5 * MiB;
inline constexpr Range<milliseconds> sink_timeout{milliseconds(2000), milliseconds(10), milliseconds(60'000)};
inline constexpr Range<milliseconds> connect_timeout{milliseconds(2000), milliseconds(10), milliseconds(60'000)};
inline constexpr Range<milliseconds> handshake_timeout{milliseconds(2000), milliseconds(10), milliseconds(60'000)};
inline constexpr Range<milliseconds> retry_initial{milliseconds(100), milliseconds(1), milliseconds(60'000)};
inline constexpr Range<milliseconds> retry_max{milliseconds(10'000), milliseconds(1), milliseconds(3'600'000)};
// A sandbox may not live long enough to wait longer than this for a Retry-After, whichever form.
inline constexpr Range<milliseconds> retry_after_max{milliseconds(60'000), milliseconds(0), milliseconds(120'000)};
inline constexpr Range<std::uint32_t> circuit_failures{5, 1, 1000};
inline constexpr Range<milliseconds> circuit_cooldown{milliseconds(10'000), milliseconds(0), milliseconds(3'600'000)};

// --- Secrets Manager
inline constexpr Range<std::uint16_t> secrets_extension_port{2773, 1, 65535};
inline constexpr Range<milliseconds> secrets_timeout{milliseconds(3000), milliseconds(100), milliseconds(60'000)};

// --- Flushing and buffering
inline constexpr Range<milliseconds> flush_budget{milliseconds(200), milliseconds(0), milliseconds(60'000)};
inline constexpr Range<std::uint64_t> buffer_max_bytes{2 * MiB, 64 * KiB, 1 * GiB};
inline constexpr Range<std::uint64_t> spill_max_bytes{64 * MiB, 0, 16 * GiB};
inline constexpr Range<milliseconds> deadline_margin{milliseconds(100), milliseconds(0), milliseconds(1000)};
inline constexpr Range<milliseconds> flush_interval{milliseconds(1000), milliseconds(10), milliseconds(3'600'000)};
inline constexpr Range<milliseconds> busy_below{milliseconds(2000), milliseconds(1), milliseconds(3'600'000)};
inline constexpr Range<milliseconds> counters_interval{milliseconds(60'000), milliseconds(0), milliseconds(86'400'000)};
inline constexpr const char* spill_dir = "/tmp/telemetry-forwarder";

// --- Limits that are not settings

// Auto flush strategy: invocations the mean rate is taken over.
inline constexpr std::size_t busy_window = 10;
// Invocations whose runtimeDone/report are remembered: only recent ones matter, and a report that
// never comes must not leak.
inline constexpr std::size_t remembered_invocations = 64;
// Periodic flushing waits for a runtimeDone (at most LTF_FLUSH_BUDGET_MS) once the telemetry lags
// this many invocations behind the INVOKEs: one invocation late is normal (Lambda buffers for
// timeoutMs, and the freeze comes first), more means Lambda's backlog for us is growing.
inline constexpr std::size_t catch_up_lag = 3;
// ... and once the events it is estimated to hold for us (invocations behind times the recent
// events per invocation) fill this many Telemetry API batches of the subscription's maxItems.
// Lambda does not document how much it holds; it holds at least a batch in the making. A busy
// function with few lines per invocation lags as many invocations but never this many events,
// and must not pay for a wait it does not need (a freeze's worth of its billed duration).
inline constexpr std::size_t catch_up_batches = 2;
// The events-per-invocation estimate counts the last this many to twice this many invocations.
inline constexpr std::uint64_t lag_estimate_invocations = 64;
// At SHUTDOWN, the share of the time left given to the last platform.report to arrive (it is
// produced only after our /next) before the drain starts.
inline constexpr int shutdown_report_wait_divisor = 4;
// At SHUTDOWN, the pause between flushes that failed: doubling from the first to the last.
inline constexpr milliseconds drain_retry_first{20};
inline constexpr milliseconds drain_retry_last{200};
// Extensions API calls other than the /next long-poll (which has no timeout, by design).
inline constexpr milliseconds lambda_api_timeout{2000};
inline constexpr milliseconds subscribe_timeout{5000};
// HTTP: the header block a peer may send us, and the answer body we read from a destination.
inline constexpr std::uint32_t http_header_limit = 16 * KiB;
inline constexpr std::uint64_t response_body_limit = 1 * MiB;
// Answers are read as they arrive (_bulk items streamed), so this bounds the time a hostile
// answer may take to read, not memory.
inline constexpr std::uint64_t opensearch_response_body_limit = 32 * MiB;
// The most a socket read takes at once (Beast's own cap): see net::make_room_for_body.
inline constexpr std::size_t socket_read_bytes = 64 * KiB;
// A body read piece by piece (net::BodyReader) is held one piece of this size at a time.
inline constexpr std::size_t response_body_piece = 16 * KiB;
// The wall clock moving against the monotonic one by more than this means a SnapStart restore
// (NTP corrections are far smaller).
inline constexpr milliseconds restore_clock_jump{10'000};
// /event/next failing without an answer (its connection cut, as at a restore) is asked again
// this many times before the extension gives up.
inline constexpr int next_retries = 3;
// Headers added to a destination's requests (LTF_HEADERS, a header secret, LTF_OTLP_HEADERS):
// how many, and their names and values together. Servers refuse header blocks past 8-16 KiB.
inline constexpr std::size_t max_added_headers = 32;
inline constexpr std::size_t added_headers_max_bytes = 8 * KiB;
// After a destination refused credentials from a secret (401/403), the secret is fetched again
// at once; while refusals go on, again at most this often (someone may be fixing it).
inline constexpr milliseconds secret_refetch_interval{60'000};
// OTLP: event ids remembered per signal (as 8-byte hashes, about 40 bytes each) once that
// signal delivered them, so that a batch sent again because another signal failed does not
// repeat what already arrived. A batch's events fit many times over.
inline constexpr std::size_t otlp_remembered_deliveries = 16384;
// Spill segments are rotated at this size.
inline constexpr std::uint64_t spill_segment_bytes = 1 * MiB;

}  // namespace ltf::defaults
