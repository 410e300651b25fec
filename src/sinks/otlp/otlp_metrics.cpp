// Lambda's platform.report and platform.initReport as OTLP metrics, named after OpenTelemetry's
// FaaS semantic conventions where they have a name (faas.*), aws.lambda.* where they have none.
// Each report gives one data point per metric: sums and histograms have delta temporality, each
// point counting one invocation (or one Init) over its own time span.
#include "lambda_fields.hpp"

#include <boost/json/parse.hpp>

namespace ltf::otlp {

namespace json = boost::json;
using namespace detail;

namespace {

constexpr double bytes_per_mb = 1024.0 * 1024.0;

// The metrics in a fixed order; those without points are left out of the request.
struct Catalogue {
  Metric invoke_duration{"faas.invoke_duration", "Duration of the function's invocations", "s", Metric::Kind::histogram, {}, {}};
  Metric billed_duration{"aws.lambda.billed_duration", "Billed duration of the function's invocations", "s", Metric::Kind::histogram, {}, {}};
  Metric mem_usage{"faas.mem_usage", "Most memory the function used during an invocation", "By", Metric::Kind::histogram, {}, {}};
  Metric memory_limit{"aws.lambda.memory_limit", "Memory configured for the function", "By", Metric::Kind::gauge, {}, {}};
  Metric invocations{"faas.invocations", "Invocations of the function", "{invocation}", Metric::Kind::sum, {}, {}};
  Metric errors{"faas.errors", "Invocations that ended in an error", "{error}", Metric::Kind::sum, {}, {}};
  Metric timeouts{"faas.timeouts", "Invocations that timed out", "{timeout}", Metric::Kind::sum, {}, {}};
  Metric init_duration{"faas.init_duration", "Duration of the function's Init phase", "s", Metric::Kind::histogram, {}, {}};
  Metric coldstarts{"faas.coldstarts", "Cold starts (Init phases)", "{coldstart}", Metric::Kind::sum, {}, {}};

  std::vector<Metric> take() {
    std::vector<Metric> out;
    for (Metric* m : {&invoke_duration, &billed_duration, &mem_usage, &memory_limit, &invocations,
                      &errors, &timeouts, &init_duration, &coldstarts})
      if (!m->numbers.empty() || !m->observations.empty()) out.push_back(std::move(*m));
    return out;
  }
};

void add_report(Catalogue& c, const telemetry::Event& event, const json::value& record) {
  const json::value* metrics = member(record, "metrics");
  if (!metrics) return;
  const Interval interval = measured_interval(event, record);
  const std::uint64_t start = interval.start, end = interval.end;
  const std::string_view status = string_member(record, "status");
  auto count = [&](Metric& m, std::int64_t n) { m.numbers.push_back({start, end, n}); };
  // Lambda's numbers are never negative; a hostile one is recorded as 0, not as a negative time.
  auto observe = [&](Metric& m, double value) {
    m.observations.push_back({start, end, value > 0 ? value : 0.0});
  };

  observe(c.invoke_duration, number_or(member(*metrics, "durationMs"), 0) / 1000.0);
  if (const json::value* billed = member(*metrics, "billedDurationMs"))
    observe(c.billed_duration, number_or(billed, 0) / 1000.0);
  if (const json::value* used = member(*metrics, "maxMemoryUsedMB"))
    observe(c.mem_usage, number_or(used, 0) * bytes_per_mb);
  if (const json::value* size = member(*metrics, "memorySizeMB"))
    c.memory_limit.numbers.push_back({0, end, static_cast<std::int64_t>(number_or(size, 0) * bytes_per_mb)});
  count(c.invocations, 1);
  count(c.errors, status == "error" || status == "failure" ? 1 : 0);
  count(c.timeouts, status == "timeout" ? 1 : 0);
}

void add_init_report(Catalogue& c, const telemetry::Event& event, const json::value& record) {
  const json::value* metrics = member(record, "metrics");
  const Interval interval = measured_interval(event, record);
  const std::uint64_t start = interval.start, end = interval.end;
  if (metrics && member(*metrics, "durationMs"))
    c.init_duration.observations.push_back({start, end, number_or(member(*metrics, "durationMs"), 0) / 1000.0});
  // A SnapStart restore or a provisioned environment's Init is not a cold start of an invocation
  // in the sense users count them; an on-demand Init is.
  const std::string_view phase = string_member(record, "phase");
  const std::string_view type = string_member(record, "initializationType");
  if (phase == "init" && (type.empty() || type == "on-demand"))
    c.coldstarts.numbers.push_back({start, end, std::int64_t{1}});
}

}  // namespace

bool feeds_metrics(const telemetry::Event& event) {
  return event.type == "platform.report" || event.type == "platform.initReport";
}

std::vector<Metric> metrics(std::span<const telemetry::Event> batch) {
  Catalogue catalogue;
  for (const auto& event : batch) {
    if (!feeds_metrics(event)) continue;
    boost::system::error_code ec;
    const json::value whole = json::parse(event.raw, ec);
    const json::value* record = ec ? nullptr : member(whole, "record");
    if (!record) continue;
    if (event.type == "platform.report") add_report(catalogue, event, *record);
    else add_init_report(catalogue, event, *record);
  }
  return catalogue.take();
}

}  // namespace ltf::otlp
