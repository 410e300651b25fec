#include "ltf/forwarder.hpp"

#include "counters.hpp"
#include "invocation_tracker.hpp"
#include "ltf/lambda.hpp"
#include "ltf/log.hpp"
#include "ltf/pipeline.hpp"
#include "ltf/resolver.hpp"
#include "ltf/sequence.hpp"
#include "ltf/sinks.hpp"
#include "ltf/telemetry.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <memory>

namespace ltf {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using Clock = std::chrono::steady_clock;

namespace {

// Lambda's deadlines are epoch milliseconds; timers run on the monotonic clock.
Clock::time_point monotonic_deadline(std::int64_t deadline_ms, Milliseconds margin) {
  using namespace std::chrono;
  const auto now_ms = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  return Clock::now() + milliseconds(deadline_ms - now_ms) - margin;
}

asio::awaitable<void> sleep_until(Clock::time_point when) {
  asio::steady_timer timer(co_await asio::this_coro::executor, when);
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

pipeline::FlushPolicy::Options flush_options(const Config& config) {
  pipeline::FlushPolicy::Options options;
  options.min_batch_size = config.dispatch_min_batch_size;
  options.strategy = config.flush_strategy == "periodic"            ? pipeline::FlushStrategy::periodic
                     : config.flush_strategy == "end-of-invocation" ? pipeline::FlushStrategy::end_of_invocation
                                                                    : pipeline::FlushStrategy::automatic;
  options.interval = config.flush_interval;
  options.busy_below = config.busy_below;
  return options;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

}  // namespace

// Everything one registered extension owns between register and exit. Shared with the
// coroutines it spawns, so a send still in flight when run() returns finds its objects alive.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(asio::any_io_executor executor, Config config, lambda::ExtensionsClient& client,
          telemetry::FunctionIdentity function)
      : executor_(executor),
        config_(std::move(config)),
        client_(client),
        function_(std::move(function)),
        buffer_(config_.buffer_max_bytes),
        sink_(sinks::make_sink(executor, config_, function_.sandbox)),
        dispatcher_(executor, buffer_, *sink_, config_.dispatch_max_batch_bytes,
                    pipeline::RetryPolicy::Options{config_.retry_initial, config_.retry_max,
                                                   config_.circuit_failures,
                                                   config_.circuit_cooldown}),
        policy_(flush_options(config_)),
        tracker_(executor),
        listener_(executor,
                  telemetry::ListenerOptions{config_.listener_port, config_.listener_max_body_bytes},
                  [this](std::vector<telemetry::Event>&& events) { accept(std::move(events)); }) {}

  // Listener up, subscription made, dispatcher running. Reports an init error on failure.
  asio::awaitable<bool> start();
  // Serves INVOKE and SHUTDOWN events until SHUTDOWN has been handled; returns the exit code.
  asio::awaitable<int> lifecycle();

 private:
  void accept(std::vector<telemetry::Event>&& events);
  void flush_in_background();
  void send_counters(std::string_view reason);
  asio::awaitable<void> on_invoke(const lambda::InvokeEvent& invoke);
  asio::awaitable<void> on_shutdown(const lambda::ShutdownEvent& shutdown);
  asio::awaitable<pipeline::FlushResult> flush_until(Clock::time_point limit);
  asio::awaitable<bool> init_failed(const std::string& type, const std::string& message);
  void stop();

  asio::any_io_executor executor_;
  Config config_;
  lambda::ExtensionsClient& client_;
  telemetry::FunctionIdentity function_;
  std::unique_ptr<pipeline::SpillStore> spill_;
  pipeline::Buffer buffer_;
  std::unique_ptr<sinks::Sink> sink_;
  pipeline::Dispatcher dispatcher_;
  pipeline::FlushPolicy policy_;
  InvocationTracker tracker_;
  telemetry::Listener listener_;
  bool expect_runtime_done_ = false;  // subscribed to platform events, so runtimeDone will come
  std::uint64_t received_ = 0;
  pipeline::SandboxSequence sequence_;
  Clock::time_point counters_sent_ = Clock::now();
};

void Session::accept(std::vector<telemetry::Event>&& events) {
  received_ += events.size();
  sequence_.stamp(events);
  telemetry::assign_event_ids(function_, events);
  tracker_.observe(events);
  buffer_.push(std::move(events));
  // While the destination is failing, events may wait for a long time: keep them on disk from
  // the start, so that a crash or a kill of this process loses none of them.
  if (spill_ && dispatcher_.retry_policy().consecutive_failures() > 0) buffer_.spill_everything();
  // A busy function can fill a batch long before its invocation ends: send it in the background
  // rather than holding it all until runtimeDone. Half the memory budget is the limit when that
  // is less than a batch (OpenSearch's 5 MiB batches), or memory would only ever overflow to disk.
  const auto enough = std::min(config_.dispatch_max_batch_bytes, config_.buffer_max_bytes / 2);
  if (buffer_.bytes() >= enough && !dispatcher_.busy()) flush_in_background();
}

void Session::flush_in_background() {
  asio::co_spawn(executor_,
                 [self = shared_from_this()]() -> asio::awaitable<void> {
                   co_await self->dispatcher_.flush();
                 },
                 asio::detached);
}

// The counters join the stream like any event: numbered, given an id, buffered, spilled.
void Session::send_counters(std::string_view reason) {
  const auto& d = dispatcher_.stats();
  const auto& b = buffer_.stats();
  Counters c;
  c.received = received_;
  c.delivered = d.delivered_events;
  c.retried = d.retried_events;
  c.spilled = spill_ ? spill_->stats().spilled_events : 0;
  c.shed = b.dropped_events;
  c.rejected = d.rejected_events;
  c.buffered = buffer_.size();
  c.requests = d.requests;
  c.failed_requests = d.failed_requests;
  c.malformed_posts = listener_.stats().malformed_posts + listener_.stats().oversized_posts;
  if (d.requests > 0)
    c.sink_latency_mean_ms = static_cast<double>(d.sink_time_total.count()) / 1000.0 /
                             static_cast<double>(d.requests);
  c.sink_latency_max_ms = static_cast<double>(d.sink_time_max.count()) / 1000.0;
  std::vector<telemetry::Event> events;
  events.push_back(counters_event(c, reason, std::chrono::system_clock::now()));
  sequence_.stamp(events);
  telemetry::assign_event_ids(function_, events);
  buffer_.push(std::move(events));
  counters_sent_ = Clock::now();
}

asio::awaitable<bool> Session::init_failed(const std::string& type, const std::string& message) {
  LTF_LOG(error) << message;
  if (auto error = co_await client_.init_error(type, message))
    LTF_LOG(error) << "could not report the init error to Lambda: " << error->describe();
  co_return false;
}

asio::awaitable<bool> Session::start() {
  if (auto problem = sequence_.open(std::filesystem::path(config_.spill_dir) / "sequence");
      !problem.empty())
    LTF_LOG(warning) << "event sequence numbers are not kept across restarts: " << problem;
  if (config_.spill_max_bytes > 0) {
    spill_ = std::make_unique<pipeline::SpillStore>(config_.spill_dir, config_.spill_max_bytes);
    if (auto ec = spill_->open()) {
      LTF_LOG(warning) << "cannot keep events on disk in " << config_.spill_dir << " ("
                       << ec.message() << "): past the memory budget they will be dropped";
      spill_.reset();
    } else {
      buffer_.attach_spill(spill_.get());
      if (!spill_->empty())
        LTF_LOG(info) << "found about " << spill_->events() << " undelivered events in "
                      << config_.spill_dir << ": they go first";
    }
  }
  if (auto ec = listener_.start())
    co_return co_await init_failed("Extension.ListenerFailed",
                                   "cannot listen for telemetry on port " +
                                       std::to_string(config_.listener_port) + ": " + ec.message());
  lambda::SubscriptionRequest request{config_.telemetry_types, config_.telemetry_max_items,
                                      config_.telemetry_max_bytes, config_.telemetry_timeout_ms,
                                      listener_.port()};
  auto subscribed =
      co_await lambda::subscribe_telemetry(executor_, config_.runtime_api, client_.extension_id(), request);
  if (auto* error = std::get_if<lambda::ApiError>(&subscribed)) {
    listener_.stop();
    co_return co_await init_failed("Extension.SubscriptionFailed",
                                   "Telemetry API subscription refused: " + error->describe());
  }
  const bool platform = std::find(config_.telemetry_types.begin(), config_.telemetry_types.end(),
                                  "platform") != config_.telemetry_types.end();
  if (std::get<lambda::Subscribed>(subscribed) == lambda::Subscribed::not_supported) {
    LTF_LOG(warning) << "this Lambda does not deliver telemetry (Telemetry API answered 202): "
                        "nothing will be forwarded";
  } else {
    expect_runtime_done_ = platform;
  }
  asio::co_spawn(executor_,
                 [self = shared_from_this()]() -> asio::awaitable<void> {
                   co_await self->dispatcher_.run();
                 },
                 asio::detached);
  LTF_LOG(info) << "ready: listening on port " << listener_.port() << ", subscribed to "
                << join(config_.telemetry_types) << ", sending to " << sink_->describe();
  co_return true;
}

asio::awaitable<pipeline::FlushResult> Session::flush_until(Clock::time_point limit) {
  auto outcome = co_await (dispatcher_.flush() || sleep_until(limit));
  if (outcome.index() == 0) co_return std::get<0>(outcome);
  co_return pipeline::FlushResult::failed;  // out of time; the send, if any, goes on
}

asio::awaitable<void> Session::on_invoke(const lambda::InvokeEvent& invoke) {
  tracker_.invoked(invoke.request_id);
  const auto now = Clock::now();
  policy_.invoked(now);
  if (config_.counters_interval.count() > 0 && now - counters_sent_ >= config_.counters_interval)
    send_counters("periodic");
  if (policy_.periodic()) {
    // Busy function: no waiting. What is due goes out while the function runs, and /next is
    // called at once, so this invocation's duration owes the extension nothing.
    if (policy_.periodic_flush_due(now, buffer_.size())) flush_in_background();
    co_return;
  }
  const auto limit = monotonic_deadline(invoke.deadline_ms, config_.deadline_margin);
  // The invocation's logs are all in once its runtimeDone is: waiting for it ships them now
  // instead of one invocation (or one idle hour) late.
  if (expect_runtime_done_ && !co_await tracker_.wait_runtime_done(invoke.request_id, limit))
    LTF_LOG(warning) << "platform.runtimeDone for " << invoke.request_id
                     << " did not arrive before the invocation's deadline";
  if (policy_.flush_on_invoke(buffer_.size()))
    co_await flush_until(std::min(limit, Clock::now() + config_.flush_budget));
}

asio::awaitable<void> Session::on_shutdown(const lambda::ShutdownEvent& shutdown) {
  const auto limit = monotonic_deadline(shutdown.deadline_ms, config_.deadline_margin);
  dispatcher_.ignore_backoff();  // no later invocation will retry: use what time is left
  // The last invocation's platform.report is only produced after we called /next: give it a
  // short while (a quarter of what is left) to arrive, then send everything.
  if (expect_runtime_done_)
    co_await tracker_.wait_reports(Clock::now() + (limit - Clock::now()) / 4);
  send_counters("shutdown");
  auto backoff = std::chrono::milliseconds(20);
  // A batch in flight is not in the buffer: keep going until it has been answered too, since a
  // failed send puts it back.
  while ((policy_.flush_on_shutdown(buffer_.size()) || dispatcher_.busy()) && Clock::now() < limit) {
    if (co_await flush_until(limit) == pipeline::FlushResult::drained) continue;
    co_await sleep_until(std::min(limit, Clock::now() + backoff));
    backoff = std::min(backoff * 2, std::chrono::milliseconds(200));
  }
  // Lambda keeps /tmp across resets: a successor in this sandbox can still send what we could not.
  std::uint64_t left_on_disk = 0;
  if (spill_) {
    buffer_.spill_everything();
    // A request still unanswered holds its batch outside the buffer. If it came from memory, a
    // copy goes to disk too: should the destination have it after all, the successor's resend
    // carries the same event ids.
    if (const auto* batch = dispatcher_.in_flight(); batch && !batch->spilled)
      spill_->append(batch->events);
    left_on_disk = spill_->events();
  }
  const auto& d = dispatcher_.stats();
  const auto& l = listener_.stats();
  LTF_LOG(info) << "shutdown (" << shutdown.reason << "): received " << received_
                << " events, delivered " << d.delivered_events << " in " << d.requests
                << " requests (" << d.failed_requests << " failed), rejected by the sink "
                << d.rejected_events << ", dropped over the memory budget "
                << buffer_.stats().dropped_events << ", retried " << d.retried_events
                << ", undelivered " << buffer_.size()
                << " (" << left_on_disk << " kept on disk)"
                << "; refused POSTs: " << l.malformed_posts << " malformed, " << l.oversized_posts
                << " oversized";
}

void Session::stop() {
  listener_.stop();
  dispatcher_.stop();
}

asio::awaitable<int> Session::lifecycle() {
  for (;;) {
    auto next = co_await client_.next();
    if (auto* error = std::get_if<lambda::ApiError>(&next)) {
      LTF_LOG(error) << "Extensions API /event/next failed: " << error->describe();
      stop();
      co_return exit_lambda_error;
    }
    auto& event = std::get<lambda::LifecycleEvent>(next);
    if (auto* invoke = std::get_if<lambda::InvokeEvent>(&event)) {
      co_await on_invoke(*invoke);
      continue;
    }
    co_await on_shutdown(std::get<lambda::ShutdownEvent>(event));
    stop();
    co_return exit_ok;
  }
}

Forwarder::Forwarder(asio::any_io_executor executor, Environment environment, std::string name)
    : executor_(std::move(executor)), environment_(std::move(environment)), name_(std::move(name)) {}

asio::awaitable<int> Forwarder::run() {
  auto api = environment_.find("AWS_LAMBDA_RUNTIME_API");
  if (api == environment_.end() || api->second.empty()) {
    LTF_LOG(error) << "AWS_LAMBDA_RUNTIME_API is not set: run this program as a Lambda extension "
                      "(or under fake-lambda)";
    co_return exit_lambda_error;
  }
  lambda::ExtensionsClient client(executor_, api->second);
  const std::vector<std::string> events{"INVOKE", "SHUTDOWN"};
  auto registered = co_await client.register_extension(name_, events);
  if (auto* error = std::get_if<lambda::ApiError>(&registered)) {
    LTF_LOG(error) << "registration as '" << name_ << "' refused: " << error->describe();
    co_return exit_lambda_error;
  }

  auto loaded = load_config(environment_);
  if (auto* errors = std::get_if<std::vector<ConfigError>>(&loaded)) {
    const std::string message = "invalid configuration: " + describe(*errors);
    LTF_LOG(error) << message;
    if (auto error = co_await client.init_error("Extension.ConfigInvalid", message))
      LTF_LOG(error) << "could not report the init error to Lambda: " << error->describe();
    co_return exit_init_failed;
  }

  auto config = std::get<Config>(std::move(loaded));
  // Every client on this io_context (destination, Secrets Manager) looks names up through these.
  net::ResolverOptions dns;
  dns.servers = config.dns_servers;
  net::use_resolver_options(executor_, std::move(dns));
  const auto& who = std::get<lambda::Registration>(registered);
  std::string problem;
  std::string sandbox =
      pipeline::sandbox_id(std::filesystem::path(config.spill_dir) / "sandbox", &problem);
  if (!problem.empty())
    LTF_LOG(warning) << "this sandbox's id is not kept across restarts: " << problem;
  telemetry::FunctionIdentity function{config.region, who.function_name, who.function_version,
                                       std::move(sandbox)};
  auto session = std::make_shared<Session>(executor_, std::move(config), client, std::move(function));
  if (!co_await session->start()) co_return exit_init_failed;
  co_return co_await session->lifecycle();
}

}  // namespace ltf
