// Start-up: register with Lambda, check the configuration (reported through
// /extension/init/error), the function's identity, the spill store and the sink; then the
// listener and the Telemetry API subscription.
#include "stages.hpp"

#include "ltf/forwarder.hpp"
#include "ltf/log.hpp"
#include "ltf/resolver.hpp"
#include "ltf/sinks.hpp"
#include "ltf/version.hpp"

#include <algorithm>
#include <filesystem>

namespace ltf::forwarder {

namespace asio = boost::asio;

Stages::Stages(asio::any_io_executor ex, Config c,
               std::unique_ptr<lambda::ExtensionsClient> lambda_client,
               telemetry::FunctionIdentity who, std::unique_ptr<pipeline::SpillStore> spill_store,
               std::unique_ptr<sinks::Sink> destination)
    : executor(ex),
      config(std::move(c)),
      client(std::move(lambda_client)),
      function(std::move(who)),
      spill(std::move(spill_store)),
      buffer(config.buffer_max_bytes),
      sink(std::move(destination)),
      dispatcher(ex, buffer, *sink, config.dispatch_max_batch_bytes,
                 pipeline::RetryPolicy::Options{config.retry_initial, config.retry_max,
                                                config.circuit_failures, config.circuit_cooldown,
                                                config.retry_after_max}),
      tracker(ex),
      restore_watch(std::chrono::system_clock::now(), pipeline::Clock::now()),
      intake(function, sequence, tracker, buffer, dispatcher, spill.get(),
             pipeline::IntakePolicy(config.dispatch_max_batch_bytes, config.buffer_max_bytes),
             restore_watch, [this] { renew_after_restore(*this); }),
      listener(ex, telemetry::ListenerOptions{config.listener_port, config.listener_max_body_bytes},
               [this](std::vector<telemetry::Event>&& events) { intake.accept(std::move(events)); }) {
  if (spill) buffer.attach_spill(spill.get());
}

namespace {

asio::awaitable<void> report_init_error(lambda::ExtensionsClient& client, const std::string& type,
                                        const std::string& message) {
  LTF_LOG(error) << message;
  if (auto error = co_await client.init_error(type, message))
    LTF_LOG(error) << "could not report the init error to Lambda: " << error->describe();
}

// The spill store, when spilling is on and its directory can be used; else null (and one line).
std::unique_ptr<pipeline::SpillStore> open_spill(const Config& config) {
  if (config.spill_max_bytes == 0) return nullptr;
  auto spill = std::make_unique<pipeline::SpillStore>(config.spill_dir, config.spill_max_bytes);
  if (auto ec = spill->open()) {
    LTF_LOG(warning) << "cannot keep events on disk in " << config.spill_dir << " ("
                     << ec.message() << "): past the memory budget they will be dropped";
    return nullptr;
  }
  if (!spill->empty())
    LTF_LOG(info) << "found about " << spill->events() << " undelivered events in "
                  << config.spill_dir << ": they go first";
  return spill;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

}  // namespace

asio::awaitable<std::variant<std::shared_ptr<Stages>, ExitCode>> prepare(
    asio::any_io_executor executor, LoadedConfig loaded, std::string name) {
  Config& config = loaded.config;
  if (config.runtime_api.empty()) {
    // Without the Extensions API there is no one to report an init error to.
    LTF_LOG(error) << "cannot reach Lambda: " << describe(loaded.errors)
                   << " (run this program as a Lambda extension, or under fake-lambda)";
    co_return exit_lambda_error;
  }
  auto client = std::make_unique<lambda::ExtensionsClient>(executor, config.runtime_api);
  // Managed Instances refuse INVOKE (403, and Init fails): there, only SHUTDOWN.
  const bool managed = config.lambda_kind == LambdaKind::managed_instances;
  const std::vector<std::string> events =
      managed ? std::vector<std::string>{"SHUTDOWN"} : std::vector<std::string>{"INVOKE", "SHUTDOWN"};
  auto registered = co_await client->register_extension(name, events);
  if (auto* error = std::get_if<lambda::ApiError>(&registered)) {
    LTF_LOG(error) << "registration as '" << name << "' refused: " << error->describe();
    co_return exit_lambda_error;
  }
  // Registration comes first: /extension/init/error needs the identifier it gives.
  // Only when set: checking makes a c-ares channel, which reads resolv.conf and more at start.
  if (auto why = config.dns_servers.empty() ? std::nullopt : net::check_dns_servers(config.dns_servers))
    loaded.errors.push_back({"LTF_DNS_SERVERS", "must be name servers as ip[:port] separated by "
                                                "commas (" + *why + ")"});
  if (!loaded.errors.empty()) {
    co_await report_init_error(*client, "Extension.ConfigInvalid",
                               "invalid configuration: " + describe(loaded.errors));
    co_return exit_init_failed;
  }

  // Every client on this io_context (sink, Secrets Manager) resolves through one resolver.
  net::ResolverOptions dns;
  dns.servers = config.dns_servers;
  net::use_resolver_options(executor, std::move(dns));

  const auto& who = std::get<lambda::Registration>(registered);
  std::string problem;
  std::string sandbox = pipeline::sandbox_id(std::filesystem::path(config.spill_dir) / "sandbox", &problem);
  if (!problem.empty()) LTF_LOG(warning) << "this sandbox's id is not kept across restarts: " << problem;
  telemetry::FunctionIdentity function{config.region, who.function_name, who.function_version,
                                       std::move(sandbox)};
  function.account_id = who.account_id;
  auto spill = open_spill(config);
  auto sink = sinks::make_sink(executor, config, function);
  auto stages = std::make_shared<Stages>(executor, std::move(config), std::move(client),
                                         std::move(function), std::move(spill), std::move(sink));
  if (auto why = stages->sequence.open(std::filesystem::path(stages->config.spill_dir) / "sequence");
      !why.empty())
    LTF_LOG(warning) << "event sequence numbers are not kept across restarts: " << why;
  co_return stages;
}

asio::awaitable<std::optional<ExitCode>> listen_and_subscribe(std::shared_ptr<Stages> stages) {
  const Config& config = stages->config;
  if (auto ec = stages->listener.start()) {
    co_await report_init_error(*stages->client, "Extension.ListenerFailed",
                               "cannot listen for telemetry on port " +
                                   std::to_string(config.listener_port) + ": " + ec.message());
    co_return exit_init_failed;
  }
  lambda::SubscriptionRequest request{config.telemetry_types, config.telemetry_max_items,
                                      config.telemetry_max_bytes, config.telemetry_timeout_ms,
                                      stages->listener.port()};
  auto subscribed = co_await lambda::subscribe_telemetry(stages->executor, config.runtime_api,
                                                         stages->client->extension_id(), request);
  // The latest schema first; a Lambda that refuses it as invalid gets the one before, once.
  // Managed Instances accept only the latest, so there the refusal stands.
  if (auto* error = std::get_if<lambda::ApiError>(&subscribed);
      error && error->status == 400 && config.lambda_kind == LambdaKind::on_demand) {
    LTF_LOG(warning) << "Telemetry API schema " << request.schema << " refused ("
                     << error->describe() << "): subscribing with "
                     << lambda::telemetry_schema_previous;
    request.schema = std::string(lambda::telemetry_schema_previous);
    subscribed = co_await lambda::subscribe_telemetry(stages->executor, config.runtime_api,
                                                      stages->client->extension_id(), request);
  }
  stages->schema = request.schema;
  if (auto* error = std::get_if<lambda::ApiError>(&subscribed)) {
    stages->listener.stop();
    co_await report_init_error(*stages->client, "Extension.SubscriptionFailed",
                               "Telemetry API subscription refused: " + error->describe());
    co_return exit_init_failed;
  }
  const auto& types = config.telemetry_types;
  const bool platform = std::find(types.begin(), types.end(), "platform") != types.end();
  if (std::get<lambda::Subscribed>(subscribed) == lambda::Subscribed::not_supported)
    LTF_LOG(warning) << "this Lambda does not deliver telemetry (Telemetry API answered 202): "
                        "nothing will be forwarded";
  else
    stages->runtime_done_expected = platform && config.lambda_kind == LambdaKind::on_demand;
  LTF_LOG(info) << "telemetry-forwarder " << ltf::version() << " ready"
                << (config.lambda_kind == LambdaKind::managed_instances ? " (Managed Instances)" : "")
                << ": listening on port " << stages->listener.port() << ", subscribed to "
                << join(types) << " (schema " << stages->schema << "), sending to "
                << stages->sink->describe();
  co_return std::nullopt;
}

asio::awaitable<void> dispatch(std::shared_ptr<Stages> stages) { co_await stages->dispatcher.run(); }

}  // namespace ltf::forwarder
