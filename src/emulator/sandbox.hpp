#pragma once
// FakeLambda::Sandbox: the emulated execution environment's state, shared by the files that serve the APIs (extensions_api.cpp,
// telemetry_api.cpp), produce and deliver events (events.cpp, delivery.cpp) and drive the
// lifecycle (lifecycle.cpp). Everything runs on one executor: no locks.

#include "ltf/emulator.hpp"
#include "ltf/net.hpp"
#include "ltf/notifier.hpp"
#include "subscription.hpp"
#include "util.hpp"

#include <boost/json/value.hpp>

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace ltf::emulator {

namespace asio = boost::asio;
namespace json = boost::json;

// One telemetry event as generated, before any subscriber's schema shaped it.
struct GeneratedEvent {
  std::string type;
  std::string time;
  json::value record;
  std::string request_id;  // for runtimeDone: lets delivery note when it arrived
};

// One event as a subscriber will receive it.
struct QueuedEvent {
  std::string type;
  std::string json;
  std::string request_id;
  Clock::time_point queued_at;
};

struct Extension;

struct Subscriber {
  Extension* extension = nullptr;
  TelemetrySubscription request;
  std::shared_ptr<net::HttpClient> client;  // shared: a re-subscribe may replace it mid-send
  std::deque<QueuedEvent> queue;
  std::size_t queued_bytes = 0;
  bool sending = false;  // a batch is out (or waiting to be retried)
  std::uint64_t pending_dropped_records = 0;  // not yet announced by platform.logsDropped
  std::uint64_t pending_dropped_bytes = 0;
  std::map<std::string, Clock::time_point> runtime_done_arrived;  // by requestId

  bool wants(const std::string& type) const;
};

struct Extension {
  std::string name;
  std::string id;  // Lambda-Extension-Identifier, once registered
  bool external = false;
  bool launched = false;  // the caller said it started it
  bool registered = false;
  bool wants_invoke = false;
  bool wants_shutdown = false;
  Clock::time_point launched_at;
  bool ready = false;   // has called /next at least once
  bool parked = false;  // a /next is waiting for an event
  bool busy = false;    // holds an INVOKE it has not finished
  std::optional<std::string> pending_event;  // for the next /next
  bool failed = false;  // called init/error or exit/error
  bool shutdown_sent = false;
  bool exited = false;
  bool killed = false;
  // Bumped when a SnapStart restore cut its connections (and `parked` cleared): a /next parked
  // before is let go.
  std::uint64_t long_polls_cut = 0;
  std::unique_ptr<Subscriber> subscriber;
  std::size_t report_index = 0;

  bool alive() const { return (launched || registered) && !exited && !killed; }
};

struct CurrentInvoke {
  int index = 0;
  std::string request_id;
  std::optional<json::object> tracing;  // {spanId,type,value} for platform events
  Clock::time_point start;
  WallClock::time_point start_wall;
  Clock::time_point deadline;
  std::int64_t deadline_ms = 0;
  std::optional<Clock::time_point> runtime_done_at;
};

struct FakeLambda::Sandbox : std::enable_shared_from_this<FakeLambda::Sandbox> {
  Sandbox(asio::any_io_executor executor, Scenario scenario);

  asio::any_io_executor executor;
  Scenario scenario;
  FakeLambda* owner = nullptr;  // for the hooks; cleared when the FakeLambda goes
  std::unique_ptr<net::HttpServer> server;
  std::shared_ptr<async::Notifier> changed;
  std::mt19937_64 rng;
  Report report;
  Phase phase = Phase::created;
  bool stopping = false;          // stop(): every coroutine winds down
  bool delivery_stopped = false;  // the run is over: no more telemetry
  bool frozen = false;
  bool flushing = false;  // Shutdown's start: batch windows close at once
  bool registration_closed = false;   // the runtime is ready: internal extensions are too late
  bool subscriptions_closed = false;  // Init is over
  Clock::time_point run_started;
  WallClock::time_point run_started_wall;
  std::string instance_id;
  std::vector<std::unique_ptr<Extension>> extensions;
  // Killed incarnations replaced by a restart: their parked /next and delivery coroutines may
  // still hold references, and must find them killed rather than gone.
  std::vector<std::unique_ptr<Extension>> retired_extensions;
  std::optional<std::string> fatal_error;  // errorType that fails Init or resets the sandbox
  std::optional<CurrentInvoke> invoke;
  std::vector<GeneratedEvent> init_events;  // replayed to each subscriber
  std::optional<Clock::time_point> shutdown_deadline;
  // How far event times are ahead of this machine's clock: each SnapStart restore moves them on.
  WallClock::duration wall_offset{};
  // The restore's duration, for the first platform.report after it (restoreDurationMs).
  std::optional<double> restore_duration_ms;

  // The wall clock the events show (time, timestamps, span starts).
  WallClock::time_point wall_now() const { return WallClock::now() + wall_offset; }

  // --- state helpers (fake_lambda.cpp)
  Extension* find_by_name(const std::string& name);
  Extension* find_by_id(const std::string& id);
  Extension& add_extension(const std::string& name, bool external);
  ExtensionReport& report_of(const Extension& extension);
  void notify() { changed->notify(); }
  // Sets the sandbox's fatal error (first one wins) and records why.
  void fail(const std::string& error_type, const std::string& problem);
  void call(const std::function<void()>& hook);
  void kill(Extension& extension);

  // --- HTTP (router.cpp, extensions_api.cpp, telemetry_api.cpp)
  asio::awaitable<net::Response> handle(net::Request& request);
  net::Response api_error(const net::Request& request, unsigned status,
                          std::string_view error_type, std::string_view message,
                          const Extension* extension = nullptr);
  // The extension named by Lambda-Extension-Identifier, or the 403 explaining why there is none.
  std::variant<Extension*, net::Response> identify(const net::Request& request);
  net::Response on_register(const net::Request& request);
  asio::awaitable<net::Response> on_next(const net::Request& request);
  net::Response on_error_report(const net::Request& request, bool during_init_only);
  net::Response on_subscribe(const net::Request& request);
  net::Response on_logs_subscribe(const net::Request& request);
  void finished_invoke(Extension& extension, Clock::time_point now);

  // --- events (events.cpp)
  void emit(GeneratedEvent event);
  GeneratedEvent platform(std::string type, json::object record) const;
  void emit_function_lines(const CurrentInvoke& invoke);
  void emit_function_line(const CurrentInvoke& invoke, int line);  // the line-th (0-based)
  void emit_extension_line(const Extension& extension, const std::string& line);
  std::string invoke_event(const CurrentInvoke& invoke) const;
  std::string shutdown_event(const std::string& reason, std::int64_t deadline_ms) const;

  // --- delivery (delivery.cpp)
  void enqueue(Subscriber& subscriber, const GeneratedEvent& event);
  void start_delivery(Subscriber& subscriber);

  // --- lifecycle (lifecycle.cpp)
  asio::awaitable<Report> run();
  void begin_init();  // platform.initStart, then on_init_start
  asio::awaitable<bool> init_phase(Clock::time_point started, bool first);
  asio::awaitable<bool> restart_extensions(int after_index);
  asio::awaitable<bool> invoke_phase(int index);
  void begin_invoke(int index);
  CurrentInvoke new_invoke(int index);  // a request id, its deadline and tracing, from now
  asio::awaitable<void> fake_runtime();
  asio::awaitable<bool> extensions_finish();
  void end_invoke(bool in_time);
  json::object traced(json::object record) const;  // adds the current invoke's tracing, tenant
  // The same for an invocation other than the current one (Managed Instances run several).
  json::object traced_as(json::object record, const CurrentInvoke* current) const;
  asio::awaitable<void> frozen_for(milliseconds idle);
  asio::awaitable<void> shutdown_phase(const std::string& reason);
  // --- SnapStart (snapstart.cpp)
  bool restore_due(int index) const;  // a restore comes before invocation `index`
  asio::awaitable<bool> restore_phase();  // false when the sandbox cannot go on
  void cut_connections();
  // Delivers what subscribers still have buffered; false if `deadline` came first.
  asio::awaitable<bool> flush_telemetry(Clock::time_point deadline);
  void freeze();
  void thaw();
  void finish();

  // --- Lambda Managed Instances (managed_instances.cpp)
  // Runs every invocation, at most max_concurrency at once; false if the run was stopped or
  // the sandbox failed meanwhile.
  asio::awaitable<bool> managed_invocations();
};

}  // namespace ltf::emulator
