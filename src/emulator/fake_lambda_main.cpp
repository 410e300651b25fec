// fake-lambda: runs extension executables against the emulated Lambda, as Lambda would, and prints
// what it saw. The command line and the exit status are in cli.hpp; this file wires them to the
// emulator, the fakes and the extension processes.
#include "cli.hpp"
#include "launcher.hpp"
#include "rss_checkpoints.hpp"
#include "ltf/emulator.hpp"
#include "ltf/fake_aws.hpp"
#include "ltf/fake_opensearch.hpp"
#include "ltf/version.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <csignal>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace ltf::emulator;
using namespace ltf::emulator::cli;

// How many of an extension's last output lines are kept to show when it fails.
constexpr std::size_t kLinesShownOnFailure = 10;
// How often peak RSS is sampled while the extensions shut down (see launcher.hpp).
constexpr std::chrono::milliseconds kShutdownSampling{10};

std::optional<CommandLine> read_command_line(int argc, char** argv, int& exit_status) {
  try {
    auto command = parse(std::vector<std::string>(argv + 1, argv + argc));
    exit_status = completed;
    if (command.action == CommandLine::Action::help) std::cout << usage();
    if (command.action == CommandLine::Action::version)
      std::cout << "fake-lambda " << ltf::version() << "\n";
    if (command.action != CommandLine::Action::run) return std::nullopt;
    return command;
  } catch (const UsageError& error) {
    std::cerr << "fake-lambda: " << error.what() << "\n\n" << usage();
    exit_status = usage_error;
    return std::nullopt;
  }
}

}  // namespace

int main(int argc, char** argv) {
  int early_exit = completed;
  auto parsed = read_command_line(argc, argv, early_exit);
  if (!parsed) return early_exit;
  auto& options = *parsed;
  asio::io_context io(1);
  FakeLambda lambda(io.get_executor(), options.scenario);
  if (auto ec = lambda.listen(options.port)) {
    std::cerr << "fake-lambda: cannot listen on 127.0.0.1:" << options.port << ": " << ec.message() << "\n";
    return emulator_error;
  }
  std::optional<RecordingSink> sink;
  if (options.sink) {
    sink.emplace(io.get_executor(), options.seed);
    if (auto ec = sink->listen(options.sink_port)) {
      std::cerr << "fake-lambda: the sink cannot listen: " << ec.message() << "\n";
      return emulator_error;
    }
  }
  const auto base_fault = options.sink_fault && !options.sink_fault_during ? *options.sink_fault
                          : options.sink_fail_rate > 0 ? SinkFault::fail_fraction(options.sink_fail_rate)
                                                       : SinkFault::ok();
  if (sink) sink->set_fault(base_fault);
  // Required headers and secret rotations that apply from invocation n (1-based) on.
  const auto apply_from = [&options, &sink](int n, FakeSecretsManager* secrets) {
    if (sink)
      for (const auto& header : options.sink_required_headers)
        if (header.from == n) sink->require_header(header.name, header.value);
    if (secrets)
      for (const auto& rotation : options.secret_rotations)
        if (rotation.at == n && n > 1) secrets->put_secret(rotation.id, rotation.secret_string);
  };
  apply_from(1, nullptr);

  std::optional<FakeOpenSearch> opensearch;
  if (options.opensearch) {
    FakeOpenSearchOptions opensearch_options;
    opensearch_options.seed = options.seed;
    if (options.opensearch_login)
      opensearch_options.auth =
          OpenSearchAuth::basic(options.opensearch_login->first, options.opensearch_login->second);
    opensearch.emplace(io.get_executor(), opensearch_options);
    if (auto ec = opensearch->listen()) {
      std::cerr << "fake-lambda: the fake OpenSearch cannot listen: " << ec.message() << "\n";
      return emulator_error;
    }
    opensearch->set_item_rejection_rate(options.opensearch_429_rate);
    // First in the extras, so that URL from the environment or --env still wins.
    const bool url_given =
        std::getenv("URL") || std::any_of(options.env.begin(), options.env.end(),
                                          [](const std::string& e) { return e.rfind("URL=", 0) == 0; });
    if (!url_given) options.env.insert(options.env.begin(), "URL=" + opensearch->url());
  }

  std::optional<FakeSecretsManager> secrets;
  if (!options.secrets.empty()) {
    secrets.emplace(io.get_executor(), fake_secrets_options(options));
    if (auto ec = secrets->listen({asio::ip::address_v4::loopback(), 0})) {
      std::cerr << "fake-lambda: the fake Secrets Manager cannot listen: " << ec.message() << "\n";
      return emulator_error;
    }
    secrets->start();
    for (const auto& [name, value] : options.secrets) secrets->put_secret(name, value);
    for (const auto& rotation : options.secret_rotations)  // at the first invocation: at once
      if (rotation.at == 1) secrets->put_secret(rotation.id, rotation.secret_string);
  }

  Summary summary;
  std::map<std::string, std::deque<std::string>> last_lines;  // by extension, for failures
  Launcher launcher(
      io.get_executor(),
      [&](const std::string& name, const std::string& line) {
        if (options.verbose) std::cerr << echo_line(name, line) << "\n";
        auto& kept = last_lines[name];
        kept.push_back(line);
        if (kept.size() > kLinesShownOnFailure) kept.pop_front();
        lambda.extension_log(name, line);
      },
      [&](const std::string& name, int status, const ProcessUsage& usage) {
        // Summed over the processes that ran under this name (one more per restart).
        auto& total = summary.usage[name];
        total.cpu_seconds += usage.cpu_seconds;
        total.peak_rss_kb = std::max(total.peak_rss_kb, usage.peak_rss_kb);
        total.peak_rss_file_kb = std::max(total.peak_rss_file_kb, usage.peak_rss_file_kb);
        total.peak_rss_anon_kb = std::max(total.peak_rss_anon_kb, usage.peak_rss_anon_kb);
        if (options.verbose) std::cerr << "fake-lambda: " << name << " ended with status " << status << "\n";
        lambda.extension_exited(name, status);
      });

  const auto runtime_api = lambda.runtime_api();
  const auto env =
      child_environment(options, runtime_api, sink ? sink->url() : "", secrets ? &*secrets : nullptr);
  lambda.on_init_start = [&] {
    for (const auto& path : options.paths) {
      const auto name = fs::path(path).filename().string();
      if (auto why = launcher.spawn(name, path, env)) lambda.extension_launch_failed(name, *why);
      else lambda.extension_launched(name);
    }
  };
  lambda.on_freeze = [&] {
    launcher.sample_memory();  // the invocation's peak is behind it
    launcher.signal_all(SIGSTOP);
  };
  RssCheckpoints checkpoints(options.rss_at, options.scenario.invocations);
  auto read_rss = [&](const std::vector<int>& percents) {
    if (percents.empty()) return;
    for (const auto& [name, memory] : launcher.memory_now())
      for (int percent : percents) summary.rss[name].push_back(
            {percent, memory.rss_kb, memory.peak_kb, memory.file_kb, memory.anon_kb});
  };
  lambda.on_shutdown = [&] {
    read_rss(checkpoints.at_end());  // the invocations are over; SHUTDOWN is not sent yet
    launcher.watch_memory(kShutdownSampling);
  };
  lambda.on_thaw = [&] { launcher.signal_all(SIGCONT); };
  lambda.on_kill = [&](const std::string& name) { launcher.kill(name); };
  lambda.on_restore = [&] {
    // The extensions' connections to their destinations did not survive the snapshot either:
    // closing the listener and opening it again closes every connection, keeping the port.
    if (sink) {
      const auto fault = sink->fault();
      sink->set_fault(SinkFault::refuse());
      sink->set_fault(fault);
    }
    if (opensearch) {
      const auto fault = opensearch->fault();
      opensearch->set_fault(OpenSearchFault::refuse());
      opensearch->set_fault(fault);
    }
  };
  lambda.on_invocation = [&](int index) {
    read_rss(checkpoints.at_invocation(index));
    if (!options.scenario.freeze) launcher.sample_memory();  // no freeze to sample at
    if (index > 0) apply_from(index + 1, secrets ? &*secrets : nullptr);
    if (opensearch && options.sink_down) {
      const int n = index + 1;
      const bool down = n >= options.sink_down->first && n <= options.sink_down->second;
      opensearch->set_fault(down ? OpenSearchFault::refuse() : OpenSearchFault::ok());
    }
    if (!sink || (!options.sink_down && !options.sink_fault_during)) return;
    const int n = index + 1;
    auto within = [n](const std::optional<std::pair<int, int>>& range) {
      return range && n >= range->first && n <= range->second;
    };
    sink->set_fault(within(options.sink_down)          ? SinkFault::refuse()
                    : within(options.sink_fault_during) ? *options.sink_fault
                                                        : base_fault);
  };

  asio::signal_set interrupts(io, SIGINT, SIGTERM);
  interrupts.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    std::cerr << "fake-lambda: interrupted\n";
    lambda.stop();
    launcher.kill_all();
  });

  std::optional<Report> report;
  std::string failure;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        report = co_await lambda.run();
        launcher.kill_all();  // anyone left after the deadline (normally none)
        co_await launcher.wait_until_all_reaped(std::chrono::seconds(2));
        lambda.stop();
        launcher.stop();
        if (sink) sink->stop();
        if (opensearch) opensearch->stop();
        if (secrets) secrets->stop();
        interrupts.cancel();
      },
      [&](std::exception_ptr e) {
        if (!e) return;
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          failure = ex.what();
        }
        lambda.stop();
        launcher.kill_all();
        launcher.stop();
        if (sink) sink->stop();
        if (opensearch) opensearch->stop();
        if (secrets) secrets->stop();
        interrupts.cancel();
      });
  io.run();

  if (!report) {
    std::cerr << "fake-lambda: the run failed: " << (failure.empty() ? "unknown error" : failure) << "\n";
    return emulator_error;
  }
  summary.report = lambda.report();
  if (sink) summary.sink = summarize(*sink, summary.report);
  const auto& s = options.scenario;
  std::cout << "fake-lambda " << ltf::version() << ": " << s.function_name << ", " << s.invocations << " invocations x "
            << s.log_lines_per_invocation << " lines x " << s.log_line_bytes << " B ("
            << (s.log_format == LogFormat::json ? "json" : "text") << "), freeze "
            << (s.freeze ? "on" : "off") << (s.tenant_id.empty() ? "" : ", tenant " + s.tenant_id)
            << ", schemas up to " << (s.schema_versions.empty() ? "none" : s.schema_versions.back())
            << (s.snapstart_restores ? ", SnapStart: " + std::to_string(s.snapstart_restores) + " restore(s)" : "")
            << (s.managed_instances ? ", Managed Instances, concurrency " + std::to_string(s.max_concurrency) : "")
            << ", runtime API " << runtime_api << "\n"
            << format_summary(summary);
  if (secrets)
    std::cout << "secrets: " << secrets->get_secret_value_requests() << " GetSecretValue, "
              << secrets->extension_requests() << " through the extension's route, "
              << secrets->refused_signatures() << " refused"
              << (secrets->last_refusal().empty() ? "" : " (last: " + secrets->last_refusal() + ")")
              << "\n";
  if (sink && !options.sink_required_headers.empty())
    std::cout << "sink headers: " << sink->refused_headers()
              << " requests answered 401 for a missing or wrong header\n";
  if (opensearch) std::cout << opensearch->summary();
  const auto [exit_status, why] = outcome(summary);
  if (!options.report_file.empty()) {
    std::ofstream file(options.report_file);
    auto json_report = report_json(summary);
    if (opensearch) json_report.as_object()["opensearch"] = opensearch->summary_json();
    if (secrets)
      json_report.as_object()["secrets"] = {
          {"get_secret_value", secrets->get_secret_value_requests()},
          {"extension_route", secrets->extension_requests()},
          {"refused", secrets->refused_signatures()}};
    if (auto* recorded = json_report.as_object().if_contains("sink"); sink && recorded &&
                                                                       recorded->is_object())
      recorded->as_object()["refused_headers"] = sink->refused_headers();
    json_report.as_object()["exit_status"] = static_cast<int>(exit_status);
    json_report.as_object()["exit_reason"] = why;
    file << boost::json::serialize(json_report) << "\n";
    if (!file) {
      std::cerr << "fake-lambda: cannot write " << options.report_file << "\n";
      return emulator_error;
    }
  }
  if (exit_status != completed) {
    std::cerr << "fake-lambda: exit " << exit_status << ": " << why << "\n";
    // What a failing extension last said explains most failures; --verbose showed it already.
    if (!options.verbose && (exit_status == init_failed || exit_status == extension_failed))
      for (const auto& [name, lines] : last_lines) {
        std::cerr << "fake-lambda: the last lines " << name << " wrote:\n";
        for (const auto& line : lines) std::cerr << "  " << echo_line(name, line) << "\n";
      }
  }
  return exit_status;
}
