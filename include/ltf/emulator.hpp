#pragma once
// The fake Lambda: the Extensions API, the Telemetry API and the platform's event stream, served
// over real HTTP on loopback, driven through Init -> N invocations -> Shutdown. It knows nothing of
// the extension's internals. Tests run it in-process on their own io_context next to the extension
// under test; `fake-lambda` wraps it and runs real extension processes.
//
// RecordingSink, the local destination that records what an extension delivered, is in
// ltf/recording_sink.hpp (included here: fake-lambda's summaries use it).

#include "ltf/recording_sink.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/fwd.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ltf::emulator {


using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using Micros = std::chrono::microseconds;

// ---------------------------------------------------------------------------------------------
// What to emulate

// json: Lambda's JSON log format. The runtime's lines are {timestamp,level,requestId,message}
// (and tenantId); every 5th line is one the function wrote as JSON itself, which arrives as its
// own object (src/emulator/log_records.hpp). Schema 2022-07-01 subscribers get strings.
enum class LogFormat { text, json };

struct Scenario {
  // The function, as register's response and the platform events describe it.
  std::string function_name = "demo-function";
  std::string function_version = "$LATEST";
  std::string handler = "index.handler";
  std::string account_id = "123456789012";
  std::string region = "us-east-1";
  int memory_mb = 128;
  std::string initialization_type = "on-demand";  // or "provisioned-concurrency"

  // Names that register as external extensions (the files Lambda found in /opt/extensions). Any
  // other name registers as an internal extension (spec 1.1). Init waits for all of these.
  std::vector<std::string> external_extensions;

  // The workload.
  int invocations = 1;
  int log_lines_per_invocation = 10;  // K function lines per invoke
  std::size_t log_line_bytes = 64;    // each line padded to B bytes (never shorter than its id)
  LogFormat log_format = LogFormat::text;
  milliseconds function_duration{1};  // how long the fake runtime "runs" each invoke
  bool include_tracing = true;        // INVOKE `tracing` and platform events' tracing present
  // Tenant isolation: the tenant every invocation runs for (empty: none). Its `tenantId` is on
  // platform.start, platform.runtimeDone and platform.report (for subscribers of schema
  // 2025-01-29, which defines it) and in the JSON-format lines the runtime writes.
  std::string tenant_id;
  // SnapStart (src/emulator/snapstart.cpp): Init runs once and the frozen sandbox is the
  // snapshot; it is restored this many times, before the first invocation and then at even
  // intervals among the invocations (0: not SnapStart). Each restore cuts every connection the
  // extensions had, emits the restore events and moves the wall clock of event times forward.
  int snapstart_restores = 0;
  std::chrono::seconds restore_clock_jump{3600};  // how far event times jump at each restore
  milliseconds restore_timeout{10000};  // every extension back in /next within this (Lambda: 10 s)
  // After this invocation (0-based) every extension process is killed (on_kill: SIGKILL) and, as
  // Lambda resets a sandbox after an extension crash, Init runs again for the extensions
  // (on_init_start is called again: relaunch them there) before the next invocation. What they
  // kept in /tmp is theirs to find. nullopt: never.
  std::optional<int> kill_extensions_after;

  // Limits and timing.
  milliseconds invoke_timeout{3000};          // INVOKE deadlineMs = invoke start + this
  milliseconds init_timeout{10000};           // Init fails with status "timeout" after this
  milliseconds runtime_init_duration{0};      // fake runtime bootstrap, after externals registered
  milliseconds shutdown_budget{2000};         // whole Shutdown phase
  milliseconds runtime_shutdown_share{300};   // SHUTDOWN deadlineMs = now + budget - this share
  // At Shutdown's start, what is still buffered for subscribers is delivered before SHUTDOWN is
  // sent, as Lambda and the RIE do; this bounds the wait, as a share of the extensions' part of
  // the budget (what is left after this wait is theirs, the deadline does not move).
  double shutdown_flush_share = 0.5;
  milliseconds idle_before_first_invocation{0};  // frozen time after Init (provisioned
                                                  // concurrency: set this long and
                                                  // initialization_type accordingly)
  milliseconds idle_between_invocations{0};   // frozen time between two invokes
  milliseconds idle_before_shutdown{0};       // frozen time between the last invoke and Shutdown
  bool freeze = true;  // between invokes: no telemetry delivery, on_freeze/on_thaw called

  // Lambda Managed Instances (src/emulator/managed_instances.cpp). When set, the sandbox is
  // made one: initialization_type "lambda-managed-instances", no freeze, only schema 2025-01-29
  // accepted; extensions may register for SHUTDOWN only (INVOKE: 403
  // Extension.InvalidEventType) and /event/next gives them SHUTDOWN alone; up to
  // max_concurrency invocations run at once and their lines interleave; no
  // platform.runtimeDone; platform.report carries durationMs and the responseLatency and
  // responseDuration spans only; each telemetry POST carries a Sequence-Id header (base64 of
  // the body's SHA-256, as AWS's RIE sends it).
  bool managed_instances = false;
  int max_concurrency = 8;  // AWS_LAMBDA_MAX_CONCURRENCY: invocations in flight at once

  // Telemetry API behaviour.
  bool duplicate_subscribe_ok = true;  // a second subscribe: 200 and replaces (else 500)
  // schemaVersions the Telemetry API accepts; others get 400 ValidationError. Lambda Managed
  // Instances accept only {"2025-01-29"}.
  std::vector<std::string> schema_versions{"2022-07-01", "2022-12-13", "2025-01-29"};
  std::size_t subscriber_backlog_events = 20000;  // per subscriber; logs beyond it are dropped
                                                  // and reported with platform.logsDropped
  milliseconds delivery_timeout{5000};            // one POST to a listener (frozen time excluded)
  milliseconds retry_backoff_initial{50};         // after a failed POST, doubling...
  milliseconds retry_backoff_max{1000};           // ...up to this
};

// ---------------------------------------------------------------------------------------------
// What happened

struct Stats {
  std::size_t count = 0;
  double median_ms = 0, p99_ms = 0, max_ms = 0;
};
Stats stats_of(const std::vector<Micros>& samples);

struct ApiErrorServed {
  std::string path;        // e.g. "/2020-01-01/extension/register"
  unsigned status = 0;     // 400, 403, 404, 405, 500
  std::string error_type;  // e.g. "Extension.InvalidEventType" (empty for 404/405)
  std::string message;
  std::string extension;   // name, when the caller was identified
};

struct ExtensionReport {
  std::string name;
  bool external = false;         // named in Scenario::external_extensions
  bool registered = false;
  std::vector<std::string> events;  // as registered: INVOKE, SHUTDOWN
  std::vector<std::string> subscribed_types;  // empty: not subscribed to the Telemetry API
  std::string schema_version;
  std::optional<Micros> init_time;  // launch (or run() start) -> first /event/next
  std::string error_type;           // from init/error or exit/error (first one kept)
  std::string error_message;        // that call's errorMessage, when its body had one
  bool received_shutdown = false;
  bool exited = false;              // extension_exited() was called
  bool exited_before_deadline = false;  // ...during Shutdown, before deadlineMs, not killed
  bool killed = false;              // on_kill was called for it
  std::optional<int> exit_status;   // as given to extension_exited()
  std::uint64_t events_delivered = 0;  // events in POSTs its listener answered 2xx
  std::uint64_t failed_posts = 0;      // POSTs that failed (connection error, non-2xx, timeout)
  std::uint64_t dropped_records = 0;   // logs dropped for it (backlog full)
  // Times it was killed mid-run and started again (kill_extensions_after). The fields above
  // (killed, exited, exit_status...) describe its last process.
  int restarts = 0;
};

struct ExtensionInvokeTiming {
  std::string name;
  std::optional<Micros> after_runtime_done;  // runtimeDone generated -> its /next
  // 2xx answer to the POST carrying this request's runtimeDone -> its /next; absent when the
  // runtimeDone had not reached it before it called /next.
  std::optional<Micros> after_runtime_done_arrived;
};

struct InvocationReport {
  int index = 0;  // 0-based
  std::string request_id;
  bool timed_out = false;          // an INVOKE-subscriber missed deadlineMs
  std::string status = "success";  // as in platform.report: success | timeout | error
  Micros duration{0};              // invoke start -> runtime and every subscriber in /next
  // runtimeDone generated -> last INVOKE-subscriber's /next (PostRuntimeExtensionsDuration).
  Micros post_runtime{0};
  // The largest after_runtime_done_arrived among the extensions (absent when none had it).
  std::optional<Micros> post_runtime_after_arrival;
  std::vector<ExtensionInvokeTiming> extensions;
};

struct Report {
  std::string init_status = "success";  // success | error | timeout
  std::string init_error_type;          // e.g. Extension.InitError, Extension.Crash
  Micros init_duration{0};
  std::vector<ExtensionReport> extensions;  // configured externals first, then as they appear
  std::vector<InvocationReport> invocations;  // those that ran
  std::string shutdown_reason;  // spindown | timeout | failure ("" if Shutdown never ran)
  Micros shutdown_duration{0};
  bool aborted = false;         // stop() was called before the run finished
  int restores = 0;             // SnapStart restores done
  std::map<std::string, std::uint64_t> events_produced;  // by type, each event counted once
  std::map<std::string, std::uint64_t> events_delivered;  // by type, summed over subscribers
  std::vector<std::string> function_lines;  // every function line produced, in order
  // When the fake runtime wrote each of function_lines (same index): where its delivery
  // latency starts.
  std::vector<Clock::time_point> function_line_times;
  std::uint64_t dropped_records = 0;        // summed over subscribers
  std::vector<ApiErrorServed> api_errors;
  std::vector<std::string> problems;  // emulator-side failures (e.g. could not deliver at all)

  const ExtensionReport* extension(const std::string& name) const;
  Stats post_runtime_stats() const;
  Stats post_runtime_after_arrival_stats() const;
  Stats init_time_stats() const;
  std::size_t timed_out_invocations() const;
  std::size_t api_errors_of_type(const std::string& error_type) const;
};

enum class Phase { created, init, invoke, frozen, shutdown, done, restore };
const char* to_string(Phase);

// ---------------------------------------------------------------------------------------------
// The fake Lambda
//
// Where it knowingly simplifies the real service:
// - A reset (invoke timeout, extension crash, init/exit error, Init failure) ends the run: Shutdown
//   with reason "timeout" or "failure", and no re-Init ("suppressed init") afterwards. The one
//   re-Init emulated is Scenario::kill_extensions_after's: between two invocations, extensions
//   only (the runtime is not restarted), and undelivered telemetry of the killed processes is
//   gone with their subscriptions.
// - The fake runtime writes its K lines at invoke start, then works for function_duration; its
//   response is instant (producedBytes 2).
// - platform.initRuntimeDone, the platform.extension events and initReport are all emitted at the
//   end of Init, as the RIE does.
// - TCP destinations are refused (400); the Logs API answers 202 Logs.NotSupported (400 to an
//   extension already subscribed to the Telemetry API).
// - An extension that called init/error or exit/error is not killed at Shutdown's start: it gets
//   until the deadline to exit. A second /event/next while one is parked is 403
//   Extension.InvalidExtensionState, as is /event/next after SHUTDOWN was delivered.
// - Backlog overflow drops function/extension records only (platform events are always kept) and
//   announces them with one platform.logsDropped ahead of the next batch.

class FakeLambda {
 public:
  FakeLambda(boost::asio::any_io_executor executor, Scenario scenario);
  ~FakeLambda();
  FakeLambda(const FakeLambda&) = delete;
  FakeLambda& operator=(const FakeLambda&) = delete;

  // Serves the Extensions and Telemetry APIs on 127.0.0.1:port (0 = any free port).
  boost::system::error_code listen(std::uint16_t port = 0);
  std::uint16_t port() const;
  // What AWS_LAMBDA_RUNTIME_API must be: "127.0.0.1:PORT".
  std::string runtime_api() const;

  // Drives Init -> invocations -> Shutdown and returns what happened. Call once, after listen().
  boost::asio::awaitable<Report> run();
  // Ends run() early (its report has aborted = true), closes the server, wakes every long-poll.
  void stop();

  // Hooks, all optional, called on the executor.
  std::function<void()> on_init_start;       // Init began: spawn the extensions now
  std::function<void(int index)> on_invocation;  // before invoke `index` (0-based) starts
  std::function<void()> on_freeze;           // the sandbox is frozen (SIGSTOP the extensions)
  std::function<void()> on_thaw;             // the sandbox is thawed (SIGCONT them)
  std::function<void(const std::string& name)> on_kill;  // kill this extension now (SIGKILL)
  std::function<void()> on_shutdown;         // Shutdown began (telemetry flushed, SHUTDOWN next)
  std::function<void()> on_shutdown_deadline;  // deadlineMs reached: survivors get on_kill too
  // A SnapStart restore, while still frozen: whatever else the extensions were connected to
  // (their destinations) cuts its connections now.
  std::function<void()> on_restore;

  // Told by the caller.
  void extension_launched(const std::string& name);  // its init time is measured from now
  void extension_launch_failed(const std::string& name, const std::string& why);
  // The extension's process (or coroutine) ended. Outside Shutdown that is Extension.Crash.
  void extension_exited(const std::string& name, int status);
  // One line the extension wrote to stdout/stderr, emitted as `extension` telemetry.
  void extension_log(const std::string& name, const std::string& line);

  // Observation for tests: the phase now, the report so far, and a way to await a condition that
  // is re-checked whenever the emulator's state changes (a request served, an event produced or
  // delivered, a phase change). Returns false if `limit` passed first.
  Phase phase() const;
  const Report& report() const;
  boost::asio::awaitable<bool> wait_until(std::function<bool()> condition,
                                          milliseconds limit = milliseconds(30000));

  struct Sandbox;  // the emulated execution environment: src/emulator/sandbox.hpp

 private:
  std::shared_ptr<Sandbox> sandbox_;
};

// ---------------------------------------------------------------------------------------------
// Summaries for fake-lambda

struct ProcessUsage {
  double cpu_seconds = 0;        // user + system
  // The process's own VmHWM, sampled while it lived (see src/emulator/launcher.hpp); 0 if it
  // was never sampled.
  std::uint64_t peak_rss_kb = 0;
  // The largest file-backed (the executable's pages) and anonymous (heap, stacks) resident sizes
  // seen at those samples (each invocation's end, Shutdown): the kernel keeps no peak of them.
  std::uint64_t peak_rss_file_kb = 0, peak_rss_anon_kb = 0;
};

// An extension's memory at a point of the run (--rss-at): `percent` of the invocations had
// started (100: all of them had ended, before Shutdown).
struct RssCheckpoint {
  int percent = 0;
  std::uint64_t rss_kb = 0;       // VmRSS then
  std::uint64_t peak_rss_kb = 0;  // VmHWM then
  std::uint64_t rss_file_kb = 0, rss_anon_kb = 0;  // of rss_kb: file-backed, anonymous
};

struct SinkSummary {
  std::uint64_t requests = 0, accepted_requests = 0, bytes = 0, invalid_bodies = 0;
  std::map<std::string, std::uint64_t> events_by_type;
  LineAccounting lines;
  // Per function line: from the fake runtime writing it to the sink reading the request that
  // first carried it (lines never received are not counted; median_ms is the p50).
  Stats line_latency;
  std::optional<OtlpTally> otlp;  // when OTLP requests arrived
};
SinkSummary summarize(const RecordingSink& sink, const Report& report);
Stats line_delivery_latency(const RecordingSink& sink, const Report& report);

struct Summary {
  Report report;
  std::map<std::string, ProcessUsage> usage;  // by extension name
  std::map<std::string, std::vector<RssCheckpoint>> rss;  // by extension name, in run order
  std::optional<SinkSummary> sink;
};

std::string format_summary(const Summary& summary);  // human-readable, several lines
// The JSON report; its "version" is fake-lambda's (ltf::version()).
boost::json::value report_json(const Summary& summary);

}  // namespace ltf::emulator
