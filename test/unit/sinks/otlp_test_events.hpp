#pragma once
// Lambda events as the OTLP tests use them: an invocation's worth, with and without tracing.

#include "ltf/telemetry.hpp"

#include <string>
#include <vector>

namespace ltf::test::otlp_events {

inline telemetry::Event event(std::string raw, std::string id = {}, std::uint64_t sequence = 0) {
  std::vector<telemetry::Event> parsed;
  telemetry::parse_batch("[" + raw + "]", parsed);
  telemetry::Event e = parsed.at(0);
  e.id = std::move(id);
  e.sequence = sequence;
  return e;
}

inline constexpr const char* request_id = "6d68ca91-49c9-448d-89b8-7ca3e6dc66aa";
inline constexpr const char* trace_header = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";

// initReport, start, a Python text line, a JSON line, an extension line, runtimeDone, report.
inline std::vector<telemetry::Event> invocation() {
  return {
      event(R"({"time":"2026-12-04T10:00:00.100Z","type":"platform.initReport","record":{"initializationType":"on-demand","phase":"init","status":"success","metrics":{"durationMs":250.5}}})",
            "11111111111111110000000000000000", 1),
      event(R"({"time":"2026-12-04T10:00:00.120Z","type":"platform.start","record":{"requestId":"6d68ca91-49c9-448d-89b8-7ca3e6dc66aa","version":"$LATEST","tracing":{"spanId":"7f1a2b3c4d5e6f70","type":"X-Amzn-Trace-Id","value":"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"}}})",
            "22222222222222220000000000000000", 2),
      event(R"({"time":"2026-12-04T10:00:00.135Z","type":"function","record":"[WARN]\t2026-12-04T10:00:00.135Z\t6d68ca91-49c9-448d-89b8-7ca3e6dc66aa\tcharged order 17\n"})",
            "33333333333333330000000000000000", 3),
      event(R"({"time":"2026-12-04T10:00:00.136Z","type":"function","record":{"timestamp":"2026-12-04T10:00:00.136Z","level":"ERROR","requestId":"6d68ca91-49c9-448d-89b8-7ca3e6dc66aa","message":"card declined","attempt":2,"ok":false,"tags":["a",1.5]}})",
            "44444444444444440000000000000000", 4),
      event(R"({"time":"2026-12-04T10:00:00.137Z","type":"extension","record":"extension says hi"})",
            "55555555555555550000000000000000", 5),
      event(R"({"time":"2026-12-04T10:00:00.320Z","type":"platform.runtimeDone","record":{"requestId":"6d68ca91-49c9-448d-89b8-7ca3e6dc66aa","status":"success","metrics":{"durationMs":200.0,"producedBytes":2},"tracing":{"spanId":"7f1a2b3c4d5e6f70","type":"X-Amzn-Trace-Id","value":"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"},"spans":[{"name":"responseLatency","start":"2026-12-04T10:00:00.120Z","durationMs":150.0},{"name":"responseDuration","start":"2026-12-04T10:00:00.270Z","durationMs":50.0}]}})",
            "0123456789abcdef0123456789abcdef", 6),
      event(R"({"time":"2026-12-04T10:00:00.330Z","type":"platform.report","record":{"requestId":"6d68ca91-49c9-448d-89b8-7ca3e6dc66aa","status":"timeout","metrics":{"durationMs":210.0,"billedDurationMs":211,"memorySizeMB":128,"maxMemoryUsedMB":64,"initDurationMs":250.5}}})",
            "77777777777777770000000000000000", 7),
  };
}

}  // namespace ltf::test::otlp_events
