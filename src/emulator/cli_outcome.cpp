// What a fake-lambda run ends with: its exit status and why, and how an extension's output is
// echoed.
#include "cli.hpp"

namespace ltf::emulator::cli {

std::string echo_line(const std::string& name, const std::string& line) {
  const std::string prefix = "[" + name + "]";
  if (line.starts_with(prefix)) return line;
  return prefix + " " + line;
}

std::pair<Exit, std::string> outcome(const Summary& summary) {
  const Report& report = summary.report;
  if (report.aborted) return {emulator_error, "the run was interrupted"};
  if (report.init_status != "success")
    return {init_failed, "Init failed: " + report.init_status +
                             (report.init_error_type.empty() ? "" : " (" + report.init_error_type + ")")};
  for (const auto& invocation : report.invocations)
    if (invocation.status != "success")
      return {extension_failed, "invocation " + std::to_string(invocation.index + 1) + " ended " +
                                    invocation.status};
  for (const auto& extension : report.extensions)
    if (!extension.error_type.empty())
      return {extension_failed, extension.name + " reported " + extension.error_type};
  // A reset between invocations fails none of them: a SnapStart restore the extensions did not
  // come back from in time.
  if (report.shutdown_reason == "timeout" || report.shutdown_reason == "failure")
    return {extension_failed, "the sandbox was reset (" + report.shutdown_reason + ")" +
                                  (report.problems.empty() ? "" : ": " + report.problems.back())};
  for (const auto& extension : report.extensions)
    if (extension.subscribed_types.empty())
      return {not_subscribed, extension.name + " never subscribed to the Telemetry API"};
  if (summary.sink && summary.sink->lines.lost > 0)
    return {lines_lost, std::to_string(summary.sink->lines.lost) + " of " +
                            std::to_string(summary.sink->lines.produced) +
                            " function lines never reached the sink"};
  if (report.dropped_records > 0)
    return {lines_lost, "the platform dropped " + std::to_string(report.dropped_records) +
                            " log records: a subscriber fell behind"};
  return {completed, {}};
}

}  // namespace ltf::emulator::cli
