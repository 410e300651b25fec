// What a run produced, condensed: statistics, line accounting against a sink, the human summary
// fake-lambda prints and the JSON report it writes.
#include "ltf/emulator.hpp"
#include "ltf/version.hpp"

#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <sstream>

namespace ltf::emulator {

namespace json = boost::json;

namespace {

double ms(Micros d) { return static_cast<double>(d.count()) / 1000.0; }

std::string fixed(double value, int decimals = 1) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

// `centre` names the median: "p50" where the figure is read with its percentiles.
std::string describe(const Stats& s, const std::string& centre = "median") {
  if (s.count == 0) return "n/a";
  return centre + " " + fixed(s.median_ms) + " ms  p99 " + fixed(s.p99_ms) + " ms  max " +
         fixed(s.max_ms) + " ms  (n=" + std::to_string(s.count) + ")";
}

std::string mib(std::uint64_t kib) { return fixed(static_cast<double>(kib) / 1024.0, 1); }

std::string describe_status(int status) {
  if (status >= 128) return "killed by signal " + std::to_string(status - 128);
  return "exit " + std::to_string(status);
}

std::string join(const std::vector<std::string>& items, const char* separator = ",") {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out.empty() ? "-" : out;
}

json::value stats_json(const Stats& s) {
  return json::object{{"count", s.count},
                      {"median_ms", s.median_ms},
                      {"p99_ms", s.p99_ms},
                      {"max_ms", s.max_ms}};
}

// Percentiles of the per-line delivery latency, named as they are usually asked for.
json::value latency_json(const Stats& s) {
  return json::object{
      {"count", s.count}, {"p50_ms", s.median_ms}, {"p99_ms", s.p99_ms}, {"max_ms", s.max_ms}};
}

json::value counts_json(const std::map<std::string, std::uint64_t>& counts) {
  json::object out;
  for (const auto& [key, value] : counts) out[key] = value;
  return out;
}

json::value lines_json(const LineAccounting& lines) {
  return json::object{{"produced", lines.produced},
                      {"received", lines.received},
                      {"lost", lines.lost},
                      {"duplicated", lines.duplicated},
                      {"unexpected", lines.unexpected},
                      {"unexpected_distinct", lines.unexpected_distinct},
                      {"altered_duplicates", lines.altered_duplicates}};
}

json::value optional_ms(const std::optional<Micros>& value) {
  return value ? json::value(ms(*value)) : json::value(nullptr);
}

}  // namespace

Stats stats_of(const std::vector<Micros>& samples) {
  Stats out;
  out.count = samples.size();
  if (samples.empty()) return out;
  auto sorted = samples;
  std::sort(sorted.begin(), sorted.end());
  const auto n = sorted.size();
  out.median_ms = n % 2 ? ms(sorted[n / 2]) : (ms(sorted[n / 2 - 1]) + ms(sorted[n / 2])) / 2;
  // Nearest rank: the smallest sample with at least 99 % of the samples at or below it.
  const auto rank = static_cast<std::size_t>(std::ceil(0.99 * static_cast<double>(n)));
  out.p99_ms = ms(sorted[std::max<std::size_t>(rank, 1) - 1]);
  out.max_ms = ms(sorted.back());
  return out;
}

const ExtensionReport* Report::extension(const std::string& name) const {
  for (const auto& e : extensions)
    if (e.name == name) return &e;
  return nullptr;
}

Stats Report::post_runtime_stats() const {
  std::vector<Micros> samples;
  for (const auto& i : invocations)
    if (!i.timed_out) samples.push_back(i.post_runtime);
  return stats_of(samples);
}

Stats Report::post_runtime_after_arrival_stats() const {
  std::vector<Micros> samples;
  for (const auto& i : invocations)
    if (i.post_runtime_after_arrival) samples.push_back(*i.post_runtime_after_arrival);
  return stats_of(samples);
}

Stats Report::init_time_stats() const {
  std::vector<Micros> samples;
  for (const auto& e : extensions)
    if (e.init_time) samples.push_back(*e.init_time);
  return stats_of(samples);
}

std::size_t Report::timed_out_invocations() const {
  return static_cast<std::size_t>(std::count_if(invocations.begin(), invocations.end(),
                                                [](const auto& i) { return i.timed_out; }));
}

std::size_t Report::api_errors_of_type(const std::string& error_type) const {
  return static_cast<std::size_t>(std::count_if(
      api_errors.begin(), api_errors.end(),
      [&](const auto& e) { return e.error_type == error_type; }));
}

LineAccounting account_lines(const std::vector<std::string>& produced,
                             const std::map<std::string, std::uint64_t>& received_counts) {
  LineAccounting out;
  out.produced = produced.size();
  std::set<std::string_view> known;
  for (const auto& line : produced) {
    if (!known.insert(line).second) continue;  // a line produced twice is accounted once
    auto it = received_counts.find(line);
    if (it == received_counts.end() || it->second == 0) ++out.lost;
    else out.duplicated += it->second - 1;
  }
  for (const auto& [line, count] : received_counts) {
    out.received += count;
    if (!known.count(line) && count > 0) {
      out.unexpected += count;
      ++out.unexpected_distinct;
    }
  }
  return out;
}

SinkSummary summarize(const RecordingSink& sink, const Report& report) {
  SinkSummary out;
  out.requests = sink.requests();
  out.accepted_requests = sink.accepted_requests();
  out.bytes = sink.bytes();
  out.invalid_bodies = sink.invalid_bodies();
  out.events_by_type = sink.events_by_type();
  out.lines = sink.account(report.function_lines);
  out.line_latency = line_delivery_latency(sink, report);
  if (sink.otlp().requests) out.otlp = sink.otlp();
  return out;
}

std::string format_summary(const Summary& summary) {
  const auto& r = summary.report;
  std::ostringstream out;
  out << "init: " << r.init_status;
  if (!r.init_error_type.empty()) out << " (" << r.init_error_type << ")";
  out << " in " << fixed(ms(r.init_duration)) << " ms\n";

  out << "extensions:\n";
  for (const auto& e : r.extensions) {
    out << "  " << e.name << (e.external ? " (external)" : " (internal)") << "\n";
    out << "    registered: " << (e.registered ? "yes, events " + join(e.events) : "no")
        << "; subscribed: " << join(e.subscribed_types) << "\n";
    out << "    init (launch -> first /next): "
        << (e.init_time ? fixed(ms(*e.init_time)) + " ms" : "never called /next") << "\n";
    if (!e.error_type.empty())
      out << "    error: " << e.error_type
          << (e.error_message.empty() ? "" : ": " + e.error_message) << "\n";
    if (e.restarts > 0)
      out << "    killed mid-run and started again: " << e.restarts
          << " time(s); what it held in memory then is lost unless it had spilled it\n";
    out << "    shutdown: " << (e.received_shutdown ? "received SHUTDOWN" : "no SHUTDOWN")
        << "; exited before deadline: " << (e.exited_before_deadline ? "yes" : "no")
        << (e.killed ? " (killed)" : "") << "; exit status: "
        << (e.exit_status ? describe_status(*e.exit_status) : "unknown") << "\n";
    if (auto it = summary.usage.find(e.name); it != summary.usage.end())
      out << "    cpu: " << fixed(it->second.cpu_seconds, 3) << " s; peak RSS: "
          << mib(it->second.peak_rss_kb) << " MiB (largest seen: file-backed "
          << mib(it->second.peak_rss_file_kb) << " MiB, anonymous "
          << mib(it->second.peak_rss_anon_kb) << " MiB)\n";
    if (auto it = summary.rss.find(e.name); it != summary.rss.end() && !it->second.empty()) {
      out << "    RSS during the run:";
      const char* separator = " ";
      for (const auto& point : it->second) {
        out << separator << "at " << point.percent << "% " << mib(point.rss_kb) << " MiB (file "
            << mib(point.rss_file_kb) << ", anon " << mib(point.rss_anon_kb) << "; peak "
            << mib(point.peak_rss_kb) << ")";
        separator = "; ";
      }
      out << "\n";
    }
    out << "    telemetry: " << e.events_delivered << " events delivered, " << e.failed_posts
        << " failed POSTs, " << e.dropped_records << " records dropped\n";
  }

  out << "invocations: " << r.invocations.size() << " run, " << r.timed_out_invocations()
      << " timed out\n";
  out << "  post-runtime duration:            " << describe(r.post_runtime_stats()) << "\n";
  out << "  after runtimeDone arrived:        " << describe(r.post_runtime_after_arrival_stats())
      << "\n";
  out << "shutdown: "
      << (r.shutdown_reason.empty() ? std::string("not run") : r.shutdown_reason + " in " +
                                                                   fixed(ms(r.shutdown_duration)) +
                                                                   " ms")
      << (r.aborted ? " (run aborted)" : "") << "\n";

  std::set<std::string> types;
  for (const auto& [type, n] : r.events_produced) types.insert(type);
  if (summary.sink)
    for (const auto& [type, n] : summary.sink->events_by_type) types.insert(type);
  auto count = [](const std::map<std::string, std::uint64_t>& m, const std::string& k) {
    auto it = m.find(k);
    return it == m.end() ? std::uint64_t{0} : it->second;
  };
  char row[160];
  std::snprintf(row, sizeof row, "  %-32s %10s %12s %10s\n", "event type", "produced",
                "to extension", "at sink");
  out << "events:\n" << row;
  for (const auto& type : types) {
    std::snprintf(row, sizeof row, "  %-32s %10llu %12llu %10s\n", type.c_str(),
                  static_cast<unsigned long long>(count(r.events_produced, type)),
                  static_cast<unsigned long long>(count(r.events_delivered, type)),
                  summary.sink ? std::to_string(count(summary.sink->events_by_type, type)).c_str()
                               : "-");
    out << row;
  }
  if (summary.sink) {
    const auto& s = *summary.sink;
    out << "sink: " << s.requests << " requests, " << s.accepted_requests << " accepted, "
        << s.bytes << " bytes, " << s.invalid_bodies << " invalid bodies\n";
    out << "function lines: produced " << s.lines.produced << ", received " << s.lines.received
        << ", lost " << s.lines.lost << ", duplicated " << s.lines.duplicated << " ("
        << s.lines.altered_duplicates << " not the same event), unexpected "
        << s.lines.unexpected << "\n";
    out << "line delivery latency (written -> at sink): " << describe(s.line_latency, "p50")
        << "\n";
    if (s.otlp) {
      const auto& o = *s.otlp;
      out << "otlp: " << o.requests << " requests (" << o.protobuf << " protobuf), " << o.log_records
          << " log records, " << o.server_spans << " invocation spans, " << o.orphan_spans
          << " orphan spans\n";
      for (const auto& [name, n] : o.data_points) out << "  metric " << name << ": " << n << " points\n";
      for (const auto& [name, n] : o.spans) out << "  span " << name << ": " << n << "\n";
      for (const auto& [key, value] : o.resource) out << "  resource " << key << " = " << value << "\n";
    }
  } else {
    out << "function lines: produced " << r.function_lines.size() << " (no sink)\n";
  }
  if (r.dropped_records) out << "dropped by the platform: " << r.dropped_records << " records\n";
  out << "api errors served: " << (r.api_errors.empty() ? "none" : "") << "\n";
  for (const auto& e : r.api_errors)
    out << "  " << e.status << " " << (e.error_type.empty() ? "-" : e.error_type) << " on "
        << e.path << (e.extension.empty() ? "" : " from " + e.extension) << ": " << e.message
        << "\n";
  for (const auto& p : r.problems) out << "problem: " << p << "\n";
  return out.str();
}

json::value report_json(const Summary& summary) {
  const auto& r = summary.report;
  json::array extensions;
  for (const auto& e : r.extensions) {
    json::object entry{{"name", e.name},
                       {"external", e.external},
                       {"registered", e.registered},
                       {"events", json::value_from(e.events)},
                       {"subscribed_types", json::value_from(e.subscribed_types)},
                       {"schema_version", e.schema_version},
                       {"init_ms", optional_ms(e.init_time)},
                       {"error_type", e.error_type},
                       {"error_message", e.error_message},
                       {"received_shutdown", e.received_shutdown},
                       {"exited", e.exited},
                       {"exited_before_deadline", e.exited_before_deadline},
                       {"killed", e.killed},
                       {"exit_status", e.exit_status ? json::value(*e.exit_status) : nullptr},
                       {"events_delivered", e.events_delivered},
                       {"failed_posts", e.failed_posts},
                       {"dropped_records", e.dropped_records},
                       {"restarts", e.restarts}};
    if (auto it = summary.usage.find(e.name); it != summary.usage.end()) {
      entry["cpu_seconds"] = it->second.cpu_seconds;
      entry["peak_rss_kb"] = it->second.peak_rss_kb;
      entry["peak_rss_file_kb"] = it->second.peak_rss_file_kb;
      entry["peak_rss_anon_kb"] = it->second.peak_rss_anon_kb;
    }
    if (auto it = summary.rss.find(e.name); it != summary.rss.end()) {
      json::array points;
      for (const auto& point : it->second)
        points.push_back(json::object{{"percent", point.percent},
                                      {"rss_kb", point.rss_kb},
                                      {"peak_rss_kb", point.peak_rss_kb},
                                      {"rss_file_kb", point.rss_file_kb},
                                      {"rss_anon_kb", point.rss_anon_kb}});
      entry["rss_checkpoints"] = std::move(points);
    }
    extensions.push_back(std::move(entry));
  }
  json::array invocations;
  for (const auto& i : r.invocations) {
    json::array timings;
    for (const auto& t : i.extensions)
      timings.push_back(json::object{{"name", t.name},
                                     {"after_runtime_done_ms", optional_ms(t.after_runtime_done)},
                                     {"after_runtime_done_arrived_ms",
                                      optional_ms(t.after_runtime_done_arrived)}});
    invocations.push_back(json::object{{"index", i.index},
                                       {"request_id", i.request_id},
                                       {"status", i.status},
                                       {"timed_out", i.timed_out},
                                       {"duration_ms", ms(i.duration)},
                                       {"post_runtime_ms", ms(i.post_runtime)},
                                       {"post_runtime_after_arrival_ms",
                                        optional_ms(i.post_runtime_after_arrival)},
                                       {"extensions", std::move(timings)}});
  }
  json::array errors;
  for (const auto& e : r.api_errors)
    errors.push_back(json::object{{"path", e.path},
                                  {"status", e.status},
                                  {"error_type", e.error_type},
                                  {"message", e.message},
                                  {"extension", e.extension}});
  json::object out{{"version", std::string(ltf::version())},
                   {"init", json::object{{"status", r.init_status},
                                         {"error_type", r.init_error_type},
                                         {"duration_ms", ms(r.init_duration)}}},
                   {"extensions", std::move(extensions)},
                   {"invocations", std::move(invocations)},
                   {"post_runtime", stats_json(r.post_runtime_stats())},
                   {"post_runtime_after_arrival", stats_json(r.post_runtime_after_arrival_stats())},
                   {"shutdown", json::object{{"reason", r.shutdown_reason},
                                             {"duration_ms", ms(r.shutdown_duration)}}},
                   {"aborted", r.aborted},
                   {"restores", r.restores},
                   {"events_produced", counts_json(r.events_produced)},
                   {"events_delivered", counts_json(r.events_delivered)},
                   {"function_lines_produced", r.function_lines.size()},
                   {"dropped_records", r.dropped_records},
                   {"api_errors", std::move(errors)},
                   {"problems", json::value_from(r.problems)}};
  if (summary.sink) {
    const auto& s = *summary.sink;
    out["sink"] = json::object{{"requests", s.requests},
                               {"accepted_requests", s.accepted_requests},
                               {"bytes", s.bytes},
                               {"invalid_bodies", s.invalid_bodies},
                               {"events_by_type", counts_json(s.events_by_type)},
                               {"lines", lines_json(s.lines)},
                               {"line_latency", latency_json(s.line_latency)}};
    if (s.otlp) {
      const auto& o = *s.otlp;
      json::object resource;
      for (const auto& [key, value] : o.resource) resource[key] = value;
      out["sink"].as_object()["otlp"] =
          json::object{{"requests", o.requests},
                       {"protobuf_requests", o.protobuf},
                       {"log_records", o.log_records},
                       {"data_points", counts_json(o.data_points)},
                       {"spans", counts_json(o.spans)},
                       {"invocation_spans", o.server_spans},
                       {"orphan_spans", o.orphan_spans},
                       {"resources_without_service_name", o.resources_without_service_name},
                       {"resource", std::move(resource)}};
    }
  }
  return out;
}

}  // namespace ltf::emulator
