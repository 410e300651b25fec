// Log records as Lambda shapes them: text, its JSON log format (fields in the order the managed
// runtimes write them), the tenant, and the schemaVersion a subscriber asked for.
#include "log_records.hpp"

#include <boost/json/serialize.hpp>

namespace ltf::emulator {

namespace json = boost::json;

bool written_as_json(const Scenario& scenario, int index) {
  return scenario.log_format == LogFormat::json && index % json_line_every == json_line_every - 1;
}

json::value function_record(const Scenario& scenario, const RuntimeLine& line) {
  if (scenario.log_format != LogFormat::json) return json::string(line.text);
  if (written_as_json(scenario, line.index)) {
    // A structured logger's own keys (Powertools-like): no requestId or tenantId unless the
    // function adds them, a level of its own, and values that are not strings.
    return json::object{{"level", "WARN"},
                        {"message", line.text},
                        {"timestamp", line.time},
                        {"service", scenario.function_name},
                        {"line", line.index},
                        {"cold_start", false}};
  }
  json::object record{{"timestamp", line.time},
                      {"level", "INFO"},
                      {"requestId", line.request_id},
                      {"message", line.text}};
  if (!scenario.tenant_id.empty()) record["tenantId"] = scenario.tenant_id;
  return record;
}

json::value extension_record(const Scenario& scenario, std::string_view text, std::string_view time) {
  if (scenario.log_format != LogFormat::json) return json::string(text);
  return json::object{{"timestamp", time}, {"level", "INFO"}, {"message", text}};
}

json::value record_for_schema(std::string_view type, const json::value& record,
                              std::string_view schema) {
  const bool log = type == "function" || type == "extension";
  if (log && record.is_object() && schema == "2022-07-01") return json::string(json::serialize(record));
  if (!log && schema != "2025-01-29" && record.is_object() && record.get_object().contains("tenantId")) {
    json::object older = record.get_object();
    older.erase("tenantId");
    return older;
  }
  return record;
}

}  // namespace ltf::emulator
