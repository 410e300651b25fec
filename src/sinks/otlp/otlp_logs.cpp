// Lambda's events as OTLP LogRecords: every event becomes one, so nothing is dropped.
#include "lambda_fields.hpp"

#include <boost/json/parse.hpp>

#include <cctype>

namespace ltf::otlp {

namespace json = boost::json;
using namespace detail;

namespace {

// A level word as a severity; unspecified when it is not one.
Severity severity_of_level(std::string_view word) {
  if (word.size() >= 2 && word.front() == '[' && word.back() == ']') word = word.substr(1, word.size() - 2);
  std::string upper(word.substr(0, 10));
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (upper == "TRACE") return Severity::trace;
  if (upper == "DEBUG") return Severity::debug;
  if (upper == "INFO") return Severity::info;
  if (upper == "WARN" || upper == "WARNING") return Severity::warn;
  if (upper == "ERROR") return Severity::error;
  if (upper == "FATAL" || upper == "CRITICAL") return Severity::fatal;
  return Severity::unspecified;
}

bool is_uuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? text[i] != '-' : !std::isxdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  return true;
}

// Lambda's text log format puts the level and the request id among the first tab-separated
// fields ("[INFO]\t<time>\t<request id>\t..." for Python, "<time>\t<request id>\tINFO\t..." for
// Node.js): read from there, whichever order.
void read_text_line(std::string_view line, LogRecord& record, std::string& request_id) {
  for (int field = 0; field < 4 && !line.empty(); ++field) {
    const auto tab = line.find('\t');
    if (tab == std::string_view::npos) break;  // the message itself
    const std::string_view word = line.substr(0, tab);
    line.remove_prefix(tab + 1);
    if (request_id.empty() && is_uuid(word)) request_id = std::string(word);
    else if (record.severity == Severity::unspecified)
      if (auto s = severity_of_level(word); s != Severity::unspecified) {
        record.severity = s;
        record.severity_text = std::string(word.front() == '[' ? word.substr(1, word.size() - 2) : word);
      }
  }
}

Severity platform_severity(std::string_view type, const json::value& record) {
  if (type == "platform.logsDropped") return Severity::warn;
  const std::string_view status = string_member(record, "status");
  if (!status.empty() && status != "success") return Severity::error;  // error, failure, timeout
  return Severity::info;
}

LogRecord log_record(const telemetry::Event& event) {
  LogRecord out;
  out.time_unix_nano = unix_nanos(event.time);
  out.observed_time_unix_nano = out.time_unix_nano;  // deterministic: a resend is the same record
  boost::system::error_code ec;
  const json::value whole = json::parse(event.raw, ec);
  const json::value empty;
  const json::value* record = ec ? nullptr : member(whole, "record");
  if (!record) record = &empty;

  std::string request_id = event.request_id;
  const auto category = event.category();
  if (category == telemetry::Category::function || category == telemetry::Category::extension) {
    if (record->is_string()) {
      out.body = Value{std::string(record->get_string())};
      read_text_line(record->get_string(), out, request_id);
    } else {
      out.body = value_of(*record);
      const std::string_view level = string_member(*record, "level");
      out.severity = severity_of_level(level);
      if (out.severity != Severity::unspecified) out.severity_text = std::string(level);
      if (request_id.empty()) request_id = std::string(string_member(*record, "requestId"));
      const std::string_view trace = string_member(*record, "traceId");
      if (auto id = xray_trace_id(trace)) out.trace_id = std::move(*id);
      else out.trace_id = bytes_from_hex(trace, 16);
    }
  } else {
    out.body = value_of(*record);
    out.event_name = event.type;
    out.severity = platform_severity(event.type, *record);
    const Tracing tracing = tracing_of(*record);
    out.trace_id = tracing.trace_id;
    if (!out.trace_id.empty()) out.span_id = tracing.span_id;
  }

  out.attributes.reserve(4);
  out.attributes.push_back(attribute("aws.lambda.event.type", event.type));
  if (!event.id.empty()) out.attributes.push_back(attribute("aws.lambda.event.id", event.id));
  if (event.sequence)
    out.attributes.push_back(attribute("aws.lambda.event.sequence", static_cast<std::int64_t>(event.sequence)));
  if (!request_id.empty()) out.attributes.push_back(attribute("faas.invocation_id", std::move(request_id)));
  return out;
}

}  // namespace

std::vector<LogRecord> log_records(std::span<const telemetry::Event> batch) {
  std::vector<LogRecord> out;
  out.reserve(batch.size());
  for (const auto& event : batch) out.push_back(log_record(event));
  return out;
}

}  // namespace ltf::otlp
