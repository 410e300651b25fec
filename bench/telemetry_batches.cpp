#include "telemetry_batches.hpp"

#include <cstdio>
#include <string_view>

namespace ltf::bench {

namespace {

constexpr std::size_t lines_per_invocation = 8;
constexpr std::size_t events_per_invocation = lines_per_invocation + 3;
constexpr std::string_view tracing =
    R"({"spanId":"24cd7d670fa455f0","type":"X-Amzn-Trace-Id","value":"Root=1-6352a70e-1e2c502e358361800241fd45;Parent=35465b3a9e2f7c6a;Sampled=1"})";

std::string format(const char* pattern, auto... values) {
  char text[160];
  const int n = std::snprintf(text, sizeof text, pattern, values...);
  return std::string(text, static_cast<std::size_t>(n));
}

// The n-th event of an endless run of invocations, each event 1 ms after the one before.
class EventStream {
 public:
  std::string next() {
    const std::size_t invocation = n_ / events_per_invocation;
    const std::size_t position = n_ % events_per_invocation;
    ++n_;
    const std::string time = format("2024-05-01T12:%02zu:%02zu.%03zuZ", (n_ / 60000) % 60,
                                    (n_ / 1000) % 60, n_ % 1000);
    const std::string request_id =
        format("6d68ca91-49c9-448d-89b8-%012zx", invocation);
    const std::string head = R"({"time":")" + time + R"(","type":")";
    if (position == 0)
      return head + R"(platform.start","record":{"requestId":")" + request_id +
             R"(","version":"$LATEST","tracing":)" + std::string(tracing) + "}}";
    if (position == events_per_invocation - 2)
      return head + R"(platform.runtimeDone","record":{"requestId":")" + request_id +
             R"(","status":"success","tracing":)" + std::string(tracing) +
             R"(,"spans":[{"name":"responseLatency","start":")" + time +
             R"(","durationMs":23.0},{"name":"responseDuration","start":")" + time +
             R"(","durationMs":0.1}],"metrics":{"durationMs":24.187,"producedBytes":512}}})";
    if (position == events_per_invocation - 1)
      return head + R"(platform.report","record":{"requestId":")" + request_id +
             R"(","metrics":{"durationMs":24.31,"billedDurationMs":25,"memorySizeMB":128,)"
             R"("maxMemoryUsedMB":71},"tracing":)" + std::string(tracing) +
             R"(,"status":"success"}})";
    const std::string order = format("%zu", 100000 + n_);
    if (position % 2 == 1)  // text format: the runtime's own line layout, escapes and all
      return head + R"(function","record":")" + time + R"(\t)" + request_id +
             R"(\tINFO\tprocessed order )" + order +
             R"( for customer \"c-4711\" in 3 ms: {\"items\":3,\"total\":42.5,\"currency\":\"EUR\"}\n"})";
    return head + R"(function","record":{"timestamp":")" + time +
           R"(","level":"INFO","requestId":")" + request_id +
           R"(","message":"cache miss for order )" + order +
           R"(, fetched from the orders table","latencyMs":12}})";
  }

 private:
  std::size_t n_ = 0;
};

}  // namespace

std::string batch_of_events(std::size_t events) {
  EventStream stream;
  std::string body = "[";
  for (std::size_t i = 0; i < events; ++i) {
    if (i > 0) body += ',';
    body += stream.next();
  }
  body += ']';
  return body;
}

std::string batch_of_bytes(std::size_t bytes) {
  EventStream stream;
  std::string body = "[";
  for (;;) {
    const std::string event = stream.next();
    if (body.size() + 1 + event.size() + 1 > bytes) break;
    if (body.size() > 1) body += ',';
    body += event;
  }
  body += ']';
  return body;
}

}  // namespace ltf::bench
