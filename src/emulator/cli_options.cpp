// fake-lambda's options: the parsing that turns arguments into a Scenario and the fakes to run,
// refusing a bad value with a sentence that says what is wanted (the usage text: cli_usage.cpp).
#include "cli.hpp"
#include "log_records.hpp"
#include "managed_instances.hpp"
#include "rss_checkpoints.hpp"

#include <algorithm>
#include <filesystem>

namespace ltf::emulator::cli {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void bad(const std::string& why) { throw UsageError(why); }

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

// A tenant id as the Invoke API takes it (X-Amz-Tenant-Id): 1 to 256 printable ASCII characters.
std::string tenant_id(const std::string& flag, const std::string& id) {
  const bool printable = std::all_of(id.begin(), id.end(), [](char c) { return c > ' ' && c < 0x7f; });
  if (id.empty() || id.size() > 256 || !printable)
    bad(flag + " wants 1 to 256 printable ASCII characters without spaces");
  return id;
}

// The schemaVersions a Lambda whose newest is `newest` accepts.
std::vector<std::string> schemas_up_to(const std::string& flag, const std::string& newest) {
  std::vector<std::string> accepted;
  for (const auto version : telemetry_schemas) {
    accepted.emplace_back(version);
    if (version == newest) return accepted;
  }
  bad(flag + " wants 2022-07-01, 2022-12-13 or 2025-01-29, not '" + newest + "'");
}

// "[N:]NAME=VALUE": a header name never holds ':' or '=', so a leading "N:" is unambiguous.
CommandLine::TimedHeader timed_header(const std::string& flag, const std::string& spec) {
  const auto eq = spec.find('=');
  if (eq == std::string::npos || eq == 0) bad(flag + " wants [N:]NAME=VALUE");
  const auto colon = spec.substr(0, eq).find(':');
  CommandLine::TimedHeader out;
  if (colon != std::string::npos)
    out.from = static_cast<int>(number(flag, spec.substr(0, colon), 1, 1000000));
  out.name = spec.substr(colon == std::string::npos ? 0 : colon + 1,
                         colon == std::string::npos ? eq : eq - colon - 1);
  out.value = spec.substr(eq + 1);
  if (out.name.empty() || out.value.empty()) bad(flag + " wants [N:]NAME=VALUE");
  return out;
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


}  // namespace

CommandLine parse(const std::vector<std::string>& args) {
  CommandLine o;
  std::optional<int> restores;  // --restores, checked against --snapstart and --invocations
  o.scenario.invocations = 10;
  o.scenario.log_line_bytes = 100;
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
      o.action = CommandLine::Action::help;
      return o;
    } else if (flag == "--version") {
      o.action = CommandLine::Action::version;
      return o;
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
    } else if (flag == "--json-logs") o.scenario.log_format = LogFormat::json;
    else if (flag == "--tenant-id") o.scenario.tenant_id = tenant_id(flag, value());
    else if (flag == "--schema") o.scenario.schema_versions = schemas_up_to(flag, value());
    else if (flag == "--snapstart") o.scenario.snapstart_restores = std::max(o.scenario.snapstart_restores, 1);
    else if (flag == "--restores") restores = static_cast<int>(number(flag, value(), 1, 1000000));
    else if (flag == "--function-ms") o.scenario.function_duration = ms(900000);
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
    else if (flag == "--otlp") {
      const auto protocol = value();
      if (protocol != "protobuf" && protocol != "json") bad("--otlp wants protobuf or json");
      o.otlp_protocol = protocol;
      o.sink = true;
    }
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
    } else if (flag == "--sink-require-header") {
      o.sink_required_headers.push_back(timed_header(flag, value()));
      o.sink = true;
    } else if (flag == "--rotate-secret") {
      const auto entry = value();
      const auto colon = entry.find(':');
      const auto eq = entry.find('=');
      if (colon == std::string::npos || eq == std::string::npos || eq < colon + 2)
        bad("--rotate-secret wants N:ID=JSON");
      o.secret_rotations.push_back(
          {static_cast<int>(number(flag, entry.substr(0, colon), 1, 1000000)),
           entry.substr(colon + 1, eq - colon - 1), entry.substr(eq + 1)});
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
    else if (flag == "--managed-instances") o.scenario.managed_instances = true;
    else if (flag == "--concurrency") o.concurrency = static_cast<int>(number(flag, value(), 1, 1600));
    else if (flag == "--rss-at") {
      try {
        o.rss_at = parse_percentages(value());
      } catch (const std::invalid_argument& error) {
        bad("--rss-at wants " + std::string(error.what()));
      }
    }
    else bad("unknown option " + flag);
  }
  if (o.paths.empty()) bad("no extension to run: give --extension or --extensions-dir");
  // --sink-down is for the destination in use: the fake OpenSearch when there is one.
  if (o.sink_down && !o.opensearch) o.sink = true;
  if (o.sink_fault_during && !o.sink_fault) bad("--sink-fault-during needs --sink-fault");
  if (o.sink_fault && !o.sink_fault_during && o.sink_fail_rate > 0)
    bad("--sink-fault for the whole run leaves no room for --sink-fail-rate: give "
        "--sink-fault-during A-B");
  for (const auto& rotation : o.secret_rotations)
    if (std::none_of(o.secrets.begin(), o.secrets.end(),
                     [&](const auto& secret) { return secret.first == rotation.id; }))
      bad("--rotate-secret names '" + rotation.id + "', which no --secret serves");
  if (o.kill_extension_at) {
    if (*o.kill_extension_at > o.scenario.invocations)
      bad("--kill-extension-at " + std::to_string(*o.kill_extension_at) +
          " is past the last invocation (" + std::to_string(o.scenario.invocations) + ")");
    o.scenario.kill_extensions_after = static_cast<int>(*o.kill_extension_at - 1);
  }
  if (restores && o.scenario.snapstart_restores == 0) bad("--restores needs --snapstart");
  if (o.scenario.snapstart_restores > 0) {
    o.scenario.snapstart_restores = restores.value_or(1);
    if (o.scenario.snapstart_restores > std::max(o.scenario.invocations, 1))
      bad("--restores " + std::to_string(o.scenario.snapstart_restores) +
          " is more than the invocations (" + std::to_string(o.scenario.invocations) + ")");
    o.scenario.initialization_type = "snap-start";
  }
  if (o.scenario.managed_instances && o.scenario.snapstart_restores > 0)
    bad("--snapstart is not available with --managed-instances, as on Lambda");
  if (o.scenario.managed_instances &&
      std::find(o.scenario.schema_versions.begin(), o.scenario.schema_versions.end(),
                managed_instances_schema) == o.scenario.schema_versions.end())
    bad("--managed-instances accept schema 2025-01-29 only: give --schema 2025-01-29 or none");
  if (o.concurrency && !o.scenario.managed_instances)
    bad("--concurrency is for --managed-instances (on-demand Lambda runs one invocation at a time)");
  if (o.concurrency) o.scenario.max_concurrency = *o.concurrency;
  apply_managed_instances(o.scenario);  // as the emulator will see it: no freeze, its schema
  if (o.scenario.managed_instances && o.kill_extension_at)
    bad("--kill-extension-at is not emulated with --managed-instances: there, Lambda replaces an "
        "environment whose extension crashed instead of starting it again");
  o.scenario.runtime_shutdown_share =
      std::min(o.scenario.runtime_shutdown_share, o.scenario.shutdown_budget);
  for (const auto& path : o.paths)
    o.scenario.external_extensions.push_back(fs::path(path).filename().string());
  return o;
}

}  // namespace ltf::emulator::cli
