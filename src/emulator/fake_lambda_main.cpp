// fake-lambda: runs extension executables against the emulated Lambda, as Lambda would, and prints
// what it saw. Exit codes are listed in usage().
#include "launcher.hpp"
#include "ltf/emulator.hpp"
#include "ltf/fake_aws.hpp"
#include "ltf/fake_opensearch.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

extern char** environ;

namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace ltf::emulator;

enum Exit : int {
  completed = 0,
  usage_error = 1,
  emulator_error = 2,
  init_failed = 3,
  extension_failed = 4,
};

const char* usage() {
  return R"(usage: fake-lambda [options] (--extension PATH ... | --extensions-dir DIR)

Runs Lambda extensions as real processes against an emulated Lambda (Extensions API + Telemetry
API on 127.0.0.1), drives Init -> N invocations -> Shutdown and prints what happened. Each
executable's file name is its extension name and counts as external, as in /opt/extensions.

Extensions
  --extension PATH         run this executable (repeatable)
  --extensions-dir DIR     run every non-directory entry of DIR, in lexical order
  --env K=V                extra environment for the extensions (repeatable)
  --verbose                echo the extensions' output to stderr

Workload
  --invocations N          invocations to run (default 10)
  --lines K                function log lines per invocation (default 10)
  --line-bytes B           bytes per function line (default 100)
  --log-format text|json   function log format (default text)
  --function-ms MS         how long the fake runtime works per invoke (default 1)
  --idle-ms MS             frozen time between invocations (default 0)
  --no-tracing             no X-Ray tracing in INVOKE and platform events
  --seed N                 seed for the sink's failure draws (default 1)

Limits
  --timeout-ms MS          function timeout: INVOKE deadlineMs (default 3000)
  --init-timeout-ms MS     Init limit (default 10000)
  --shutdown-budget-ms MS  Shutdown phase (default 2000; 300 ms of it is the runtime's)
  --no-freeze              do not SIGSTOP/SIGCONT the extensions between invocations
  --port N                 serve the Runtime API on this port (default: any free port)
  --kill-extension-at N    SIGKILL the extensions after invocation N (1-based) and start them
                           again as Lambda does after a crash: Init runs again before
                           invocation N+1, /tmp is kept

Sink (a recording HTTP destination on 127.0.0.1)
  --sink                   run it; DISPATCH_POST_URI points at it unless already set
  --sink-port N            listen on this port (default: any free port), e.g. behind a proxy
  --sink-down A-B          it refuses connections during invocations A..B (1-based, inclusive)
  --sink-fail-rate P       it answers 503 to a fraction P of requests
  --sink-fault F           it fails in this way, for the whole run unless --sink-fault-during:
                             refuse          connections refused
                             hang            reads the request, never answers
                             garbage         answers bytes that are not HTTP
                             reset           records the batch, then resets the connection
                                             half-way through the answer's head
                             drip:MS         records the batch, answers one byte per MS ms
                             status:CODE     answers CODE (100-599), records nothing
                             throttle:S      answers 429 with Retry-After: S (seconds)
                             max-body:BYTES  answers 413 to bodies larger than BYTES
  --sink-fault-during A-B  only during invocations A..B (1-based, inclusive); --sink-down wins
                           where both apply, --sink-fail-rate applies elsewhere

Secrets (a fake AWS Secrets Manager on 127.0.0.1, for destinations whose credentials are in one)
  --secret ID=JSON         serve the secret named ID (no '=' in it) with JSON as its SecretString
                           (repeatable). The extensions get AWS_ENDPOINT_URL_SECRETS_MANAGER and
                           PARAMETERS_SECRETS_EXTENSION_HTTP_PORT pointing at it (it also plays the
                           Parameters and Secrets extension) and fake credentials
                           (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN) unless
                           --env gives them; requests must be SigV4-signed with those credentials
                           for AWS_REGION (--env AWS_REGION=..., default us-east-1)

OpenSearch (a fake OpenSearch on 127.0.0.1, see include/ltf/fake_opensearch.hpp)
  --opensearch             run it; URL points at it unless already set. --sink-down A-B takes
                           it down (connections refused) during those invocations instead of
                           starting the recording sink
  --opensearch-auth U:P    it requires HTTP basic auth with user U and password P
  --opensearch-429-rate F  it answers 429 rejected_execution_exception to a fraction F of the
                           bulk items (seeded by --seed)

Output
  --report FILE            write the full report as JSON

Exit codes
  0  the run completed (lost lines are reported, not an error)
  1  bad command line
  2  emulator error (cannot listen, interrupted, ...)
  3  Init failed (an extension failed to launch or register in time, called init/error, crashed)
  4  an extension failed after Init (crash, exit/error, or an invocation timed out)
)";
}

struct Options {
  Scenario scenario;
  std::vector<std::string> paths;
  std::vector<std::string> env;
  bool verbose = false;
  bool sink = false;
  std::uint16_t sink_port = 0;  // 0: any free port
  std::optional<std::pair<int, int>> sink_down;  // 1-based, inclusive
  double sink_fail_rate = 0;
  std::optional<SinkFault> sink_fault;
  std::optional<std::pair<int, int>> sink_fault_during;  // 1-based, inclusive
  std::optional<long long> kill_extension_at;            // 1-based
  std::uint64_t seed = 1;
  std::uint16_t port = 0;
  std::string report_file;
  bool opensearch = false;
  std::optional<std::pair<std::string, std::string>> opensearch_login;  // --opensearch-auth
  double opensearch_429_rate = 0;
  std::vector<std::pair<std::string, std::string>> secrets;  // --secret: name, SecretString
};

[[noreturn]] void bad(const std::string& why) {
  std::cerr << "fake-lambda: " << why << "\n\n" << usage();
  std::exit(usage_error);
}

long long number(const std::string& flag, const std::string& text, long long low, long long high) {
  try {
    std::size_t used = 0;
    const long long value = std::stoll(text, &used);
    if (used != text.size() || value < low || value > high) throw std::out_of_range(text);
    return value;
  } catch (const std::exception&) {
    bad(flag + " wants an integer from " + std::to_string(low) + " to " + std::to_string(high) +
        ", not '" + text + "'");
  }
}

// "A-B", 1-based and inclusive.
std::pair<int, int> invocation_range(const std::string& flag, const std::string& range) {
  const auto dash = range.find('-');
  if (dash == std::string::npos) bad(flag + " wants A-B");
  const auto first = static_cast<int>(number(flag, range.substr(0, dash), 1, 1000000));
  const auto last = static_cast<int>(number(flag, range.substr(dash + 1), 1, 1000000));
  if (last < first) bad(flag + " wants A-B with A <= B, not '" + range + "'");
  return {first, last};
}

SinkFault sink_fault(const std::string& flag, const std::string& spec) {
  const auto colon = spec.find(':');
  const auto kind = spec.substr(0, colon);
  const bool has_value = colon != std::string::npos;
  const auto value = has_value ? spec.substr(colon + 1) : std::string();
  auto plain = [&](SinkFault fault) {
    if (has_value) bad(flag + " " + kind + " takes no value");
    return fault;
  };
  auto argument = [&](long long low, long long high) {
    if (!has_value) bad(flag + " " + kind + " needs a value: " + kind + ":N");
    return number(flag + " " + kind, value, low, high);
  };
  if (kind == "refuse") return plain(SinkFault::refuse());
  if (kind == "hang") return plain(SinkFault::hang());
  if (kind == "garbage") return plain(SinkFault::garbage());
  if (kind == "reset") return plain(SinkFault::reset());
  if (kind == "drip") return SinkFault::drip(std::chrono::milliseconds(argument(1, 60000)));
  if (kind == "status") return SinkFault::status_code(static_cast<unsigned>(argument(100, 599)));
  if (kind == "throttle") return SinkFault::throttled(std::chrono::seconds(argument(0, 86400)));
  if (kind == "max-body")
    return SinkFault::body_limit(static_cast<std::size_t>(argument(0, 1LL << 40)));
  bad(flag + " wants refuse, hang, garbage, reset, drip:MS, status:CODE, throttle:S or "
      "max-body:BYTES, not '" + spec + "'");
}

std::vector<std::string> executables_in(const std::string& dir) {
  std::error_code ec;
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (!entry.is_directory()) out.push_back(entry.path().string());
  if (ec) bad("cannot list " + dir + ": " + ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

Options parse(int argc, char** argv) {
  Options o;
  o.scenario.invocations = 10;
  o.scenario.log_line_bytes = 100;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& flag = args[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= args.size()) bad(flag + " needs a value");
      return args[++i];
    };
    auto ms = [&](long long high) {
      return std::chrono::milliseconds(number(flag, value(), 0, high));
    };
    if (flag == "--help" || flag == "-h") {
      std::cout << usage();
      std::exit(completed);
    } else if (flag == "--extension") o.paths.push_back(value());
    else if (flag == "--extensions-dir") for (auto& p : executables_in(value())) o.paths.push_back(p);
    else if (flag == "--env") {
      auto entry = value();
      if (entry.find('=') == std::string::npos || entry.front() == '=') bad("--env wants K=V");
      o.env.push_back(entry);
    } else if (flag == "--verbose") o.verbose = true;
    else if (flag == "--invocations") o.scenario.invocations = static_cast<int>(number(flag, value(), 0, 1000000));
    else if (flag == "--lines") o.scenario.log_lines_per_invocation = static_cast<int>(number(flag, value(), 0, 1000000));
    else if (flag == "--line-bytes") o.scenario.log_line_bytes = static_cast<std::size_t>(number(flag, value(), 0, 1 << 20));
    else if (flag == "--log-format") {
      const auto format = value();
      if (format != "text" && format != "json") bad("--log-format is text or json");
      o.scenario.log_format = format == "json" ? LogFormat::json : LogFormat::text;
    } else if (flag == "--function-ms") o.scenario.function_duration = ms(900000);
    else if (flag == "--idle-ms") o.scenario.idle_between_invocations = ms(3600000);
    else if (flag == "--no-tracing") o.scenario.include_tracing = false;
    else if (flag == "--seed") o.seed = static_cast<std::uint64_t>(number(flag, value(), 0, 1LL << 62));
    else if (flag == "--timeout-ms") o.scenario.invoke_timeout = ms(900000);
    else if (flag == "--init-timeout-ms") o.scenario.init_timeout = ms(900000);
    else if (flag == "--shutdown-budget-ms") o.scenario.shutdown_budget = ms(600000);
    else if (flag == "--no-freeze") o.scenario.freeze = false;
    else if (flag == "--port") o.port = static_cast<std::uint16_t>(number(flag, value(), 0, 65535));
    else if (flag == "--kill-extension-at") o.kill_extension_at = number(flag, value(), 1, 1000000);
    else if (flag == "--sink") o.sink = true;
    else if (flag == "--sink-port") {
      o.sink_port = static_cast<std::uint16_t>(number(flag, value(), 1, 65535));
      o.sink = true;
    }
    else if (flag == "--sink-down") {
      const auto range = value();
      const auto dash = range.find('-');
      if (dash == std::string::npos) bad("--sink-down wants A-B");
      o.sink_down = {static_cast<int>(number(flag, range.substr(0, dash), 1, 1000000)),
                     static_cast<int>(number(flag, range.substr(dash + 1), 1, 1000000))};
    } else if (flag == "--sink-fail-rate") {
      try {
        o.sink_fail_rate = std::stod(value());
      } catch (const std::exception&) {
        bad("--sink-fail-rate wants a number from 0 to 1");
      }
      if (o.sink_fail_rate < 0 || o.sink_fail_rate > 1) bad("--sink-fail-rate wants 0..1");
      o.sink = true;
    } else if (flag == "--sink-fault") {
      o.sink_fault = sink_fault(flag, value());
      o.sink = true;
    } else if (flag == "--sink-fault-during") {
      o.sink_fault_during = invocation_range(flag, value());
      o.sink = true;
    } else if (flag == "--secret") {
      const auto entry = value();
      const auto eq = entry.find('=');
      if (eq == std::string::npos || eq == 0) bad("--secret wants ID=JSON");
      o.secrets.emplace_back(entry.substr(0, eq), entry.substr(eq + 1));
    } else if (flag == "--opensearch") o.opensearch = true;
    else if (flag == "--opensearch-auth") {
      const auto login = value();
      const auto colon = login.find(':');
      if (colon == std::string::npos || colon == 0) bad("--opensearch-auth wants USER:PASSWORD");
      o.opensearch_login = {login.substr(0, colon), login.substr(colon + 1)};
      o.opensearch = true;
    } else if (flag == "--opensearch-429-rate") {
      try {
        o.opensearch_429_rate = std::stod(value());
      } catch (const std::exception&) {
        bad("--opensearch-429-rate wants a number from 0 to 1");
      }
      if (o.opensearch_429_rate < 0 || o.opensearch_429_rate > 1) bad("--opensearch-429-rate wants 0..1");
      o.opensearch = true;
    } else if (flag == "--report") o.report_file = value();
    else bad("unknown option " + flag);
  }
  if (o.paths.empty()) bad("no extension to run: give --extension or --extensions-dir");
  // --sink-down is for the destination in use: the fake OpenSearch when there is one.
  if (o.sink_down && !o.opensearch) o.sink = true;
  if (o.sink_fault_during && !o.sink_fault) bad("--sink-fault-during needs --sink-fault");
  if (o.sink_fault && !o.sink_fault_during && o.sink_fail_rate > 0)
    bad("--sink-fault for the whole run leaves no room for --sink-fail-rate: give "
        "--sink-fault-during A-B");
  if (o.kill_extension_at) {
    if (*o.kill_extension_at > o.scenario.invocations)
      bad("--kill-extension-at " + std::to_string(*o.kill_extension_at) +
          " is past the last invocation (" + std::to_string(o.scenario.invocations) + ")");
    o.scenario.kill_extensions_after = static_cast<int>(*o.kill_extension_at - 1);
  }
  o.scenario.runtime_shutdown_share =
      std::min(o.scenario.runtime_shutdown_share, o.scenario.shutdown_budget);
  for (const auto& path : o.paths)
    o.scenario.external_extensions.push_back(fs::path(path).filename().string());
  return o;
}

// The parent's environment, then Lambda's variables, then the caller's extras (later wins).
// The value --env gives `key`, if any (the last one wins, as in child_environment()).
std::optional<std::string> env_option(const Options& o, const std::string& key) {
  std::optional<std::string> out;
  for (const auto& e : o.env)
    if (e.rfind(key + "=", 0) == 0) out = e.substr(key.size() + 1);
  return out;
}

// What the fake Secrets Manager expects: the credentials and region the extensions are given.
FakeSecretsManager::Options fake_secrets_options(const Options& o) {
  FakeSecretsManager::Options options;
  options.region = env_option(o, "AWS_REGION").value_or(o.scenario.region);
  options.credentials.access_key_id = env_option(o, "AWS_ACCESS_KEY_ID").value_or(std::string(kFakeAccessKeyId));
  options.credentials.secret_access_key =
      env_option(o, "AWS_SECRET_ACCESS_KEY").value_or(std::string(kFakeSecretAccessKey));
  options.credentials.session_token =
      env_option(o, "AWS_SESSION_TOKEN").value_or(std::string(kFakeSessionToken));
  return options;
}

std::vector<std::string> child_environment(const Options& o, const std::string& runtime_api,
                                           const std::string& sink_url,
                                           const FakeSecretsManager* secrets) {
  std::vector<std::string> env;
  for (char** entry = environ; *entry; ++entry) env.emplace_back(*entry);
  const auto& s = o.scenario;
  std::vector<std::string> lambda{"AWS_LAMBDA_RUNTIME_API=" + runtime_api,
                                  "AWS_REGION=" + s.region,
                                  "AWS_DEFAULT_REGION=" + s.region,
                                  "AWS_LAMBDA_FUNCTION_NAME=" + s.function_name,
                                  "AWS_LAMBDA_FUNCTION_VERSION=" + s.function_version,
                                  "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=" + std::to_string(s.memory_mb)};
  auto set = [&](const std::string& entry) {
    const auto key = entry.substr(0, entry.find('=') + 1);
    std::erase_if(env, [&](const std::string& e) { return e.rfind(key, 0) == 0; });
    env.push_back(entry);
  };
  for (const auto& entry : lambda) set(entry);
  auto user_set = [&](const std::string& key) {
    return std::any_of(env.begin(), env.end(), [&](const auto& e) { return e.rfind(key + "=", 0) == 0; }) ||
           std::any_of(o.env.begin(), o.env.end(), [&](const auto& e) { return e.rfind(key + "=", 0) == 0; });
  };
  if (!sink_url.empty() && !user_set("DISPATCH_POST_URI")) set("DISPATCH_POST_URI=" + sink_url);
  if (secrets) {
    // The parent's own AWS credentials never reach the fake: it expects these (or --env's).
    const auto expected = fake_secrets_options(o);
    set("AWS_ACCESS_KEY_ID=" + expected.credentials.access_key_id);
    set("AWS_SECRET_ACCESS_KEY=" + expected.credentials.secret_access_key);
    set("AWS_SESSION_TOKEN=" + expected.credentials.session_token);
    if (!env_option(o, "AWS_ENDPOINT_URL_SECRETS_MANAGER"))
      set("AWS_ENDPOINT_URL_SECRETS_MANAGER=" + secrets->url());
    if (!env_option(o, "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT"))
      set("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT=" + std::to_string(secrets->port()));
  }
  for (const auto& entry : o.env) set(entry);
  return env;
}

int exit_code_for(const Report& report) {
  if (report.aborted) return emulator_error;
  if (report.init_status != "success") return init_failed;
  for (const auto& invocation : report.invocations)
    if (invocation.status != "success") return extension_failed;
  for (const auto& extension : report.extensions)
    if (!extension.error_type.empty()) return extension_failed;
  return completed;
}

}  // namespace

int main(int argc, char** argv) {
  auto options = parse(argc, argv);
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
  }

  Summary summary;
  Launcher launcher(
      io.get_executor(),
      [&](const std::string& name, const std::string& line) {
        if (options.verbose) std::cerr << "[" << name << "] " << line << "\n";
        lambda.extension_log(name, line);
      },
      [&](const std::string& name, int status, const ProcessUsage& usage) {
        // Summed over the processes that ran under this name (one more per restart).
        auto& total = summary.usage[name];
        total.cpu_seconds += usage.cpu_seconds;
        total.peak_rss_kb = std::max(total.peak_rss_kb, usage.peak_rss_kb);
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
  lambda.on_freeze = [&] { launcher.signal_all(SIGSTOP); };
  lambda.on_thaw = [&] { launcher.signal_all(SIGCONT); };
  lambda.on_kill = [&](const std::string& name) { launcher.kill(name); };
  lambda.on_invocation = [&](int index) {
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
  std::cout << "fake-lambda: " << s.function_name << ", " << s.invocations << " invocations x "
            << s.log_lines_per_invocation << " lines x " << s.log_line_bytes << " B ("
            << (s.log_format == LogFormat::json ? "json" : "text") << "), freeze "
            << (s.freeze ? "on" : "off") << ", runtime API " << runtime_api << "\n"
            << format_summary(summary);
  if (secrets)
    std::cout << "secrets: " << secrets->get_secret_value_requests() << " GetSecretValue, "
              << secrets->extension_requests() << " through the extension's route, "
              << secrets->refused_signatures() << " refused"
              << (secrets->last_refusal().empty() ? "" : " (last: " + secrets->last_refusal() + ")")
              << "\n";
  if (opensearch) std::cout << opensearch->summary();
  if (!options.report_file.empty()) {
    std::ofstream file(options.report_file);
    auto json_report = report_json(summary);
    if (opensearch) json_report.as_object()["opensearch"] = opensearch->summary_json();
    file << boost::json::serialize(json_report) << "\n";
    if (!file) {
      std::cerr << "fake-lambda: cannot write " << options.report_file << "\n";
      return emulator_error;
    }
  }
  return exit_code_for(summary.report);
}
