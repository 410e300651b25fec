// OTLP's http/protobuf encoding: the Export*ServiceRequest messages written with the wire writer.
// Field numbers from opentelemetry-proto v1.11.0 (commit ac2c4b5d1f3a), as facts.
#include "encodings.hpp"
#include "protobuf_writer.hpp"

#include "ltf/version.hpp"

namespace ltf::otlp {

namespace {

using wire::Writer;

// common/v1/common.proto
namespace any_value { constexpr std::uint32_t string_value = 1, bool_value = 2, int_value = 3, double_value = 4, array_value = 5, kvlist_value = 6; }
namespace array_value { constexpr std::uint32_t values = 1; }
namespace key_value_list { constexpr std::uint32_t values = 1; }
namespace key_value { constexpr std::uint32_t key = 1, value = 2; }
namespace scope { constexpr std::uint32_t name = 1, version = 2; }
// resource/v1/resource.proto
namespace resource { constexpr std::uint32_t attributes = 1; }
// collector/*/v1/*_service.proto: resource_logs, resource_metrics, resource_spans are all field 1;
// logs, metrics and trace .proto: Resource* {resource = 1; scope_* = 2}, Scope* {scope = 1; items = 2}.
constexpr std::uint32_t request_resources = 1, resource_of = 1, scopes_of = 2, scope_of = 1, items_of = 2;
// logs/v1/logs.proto
namespace log_record { constexpr std::uint32_t time_unix_nano = 1, severity_number = 2, severity_text = 3, body = 5, attributes = 6, trace_id = 9, span_id = 10, observed_time_unix_nano = 11, event_name = 12; }
// metrics/v1/metrics.proto
namespace metric { constexpr std::uint32_t name = 1, description = 2, unit = 3, gauge = 5, sum = 7, histogram = 9; }
namespace data { constexpr std::uint32_t data_points = 1, aggregation_temporality = 2, is_monotonic = 3; }
namespace number_point { constexpr std::uint32_t start_time_unix_nano = 2, time_unix_nano = 3, as_double = 4, as_int = 6; }
namespace histogram_point { constexpr std::uint32_t start_time_unix_nano = 2, time_unix_nano = 3, count = 4, sum = 5, bucket_counts = 6, min = 11, max = 12; }
constexpr std::int64_t temporality_delta = 1;
// trace/v1/trace.proto
namespace span { constexpr std::uint32_t trace_id = 1, span_id = 2, parent_span_id = 4, name = 5, kind = 6, start_time_unix_nano = 7, end_time_unix_nano = 8, attributes = 9, status = 15; }
namespace status { constexpr std::uint32_t message = 2, code = 3; }

void write_attributes(Writer& w, std::uint32_t field, const Attributes& attributes);

void write_value(Writer& w, const Value& value) {
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) w.bytes_field(any_value::string_value, v, true);
        else if constexpr (std::is_same_v<T, bool>) {
          w.tag(any_value::bool_value, wire::WireType::varint);
          w.varint(v ? 1 : 0);
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          w.tag(any_value::int_value, wire::WireType::varint);
          w.varint(static_cast<std::uint64_t>(v));
        } else if constexpr (std::is_same_v<T, double>) w.double_field(any_value::double_value, v, true);
        else if constexpr (std::is_same_v<T, std::vector<Value>>)
          w.message(any_value::array_value, [&] {
            for (const auto& item : v) w.message(array_value::values, [&] { write_value(w, item); });
          });
        else if constexpr (std::is_same_v<T, std::vector<Attribute>>)
          w.message(any_value::kvlist_value, [&] { write_attributes(w, key_value_list::values, v); });
      },
      value.v);
}

void write_attributes(Writer& w, std::uint32_t field, const Attributes& attributes) {
  for (const auto& a : attributes)
    w.message(field, [&] {
      w.bytes_field(key_value::key, a.key);
      w.message(key_value::value, [&] { write_value(w, a.value); });
    });
}

// The envelope every signal shares: request { resource_* { resource, scope_* { scope, items } } }.
template <typename Items>
std::string envelope(const Attributes& resource_attributes, Items&& items) {
  std::string out;
  Writer w(out);
  w.message(request_resources, [&] {
    w.message(resource_of, [&] { write_attributes(w, resource::attributes, resource_attributes); });
    w.message(scopes_of, [&] {
      w.message(scope_of, [&] {
        w.bytes_field(scope::name, "telemetry-forwarder");
        w.bytes_field(scope::version, ltf::version());
      });
      items(w);
    });
  });
  return out;
}

}  // namespace

namespace protobuf {

std::string logs(const Attributes& resource, std::span<const LogRecord> records) {
  return envelope(resource, [&](Writer& w) {
    for (const auto& r : records)
      w.message(items_of, [&] {
        w.fixed64_field(log_record::time_unix_nano, r.time_unix_nano);
        w.int_field(log_record::severity_number, static_cast<int>(r.severity));
        w.bytes_field(log_record::severity_text, r.severity_text);
        if (!std::holds_alternative<std::monostate>(r.body.v))
          w.message(log_record::body, [&] { write_value(w, r.body); });
        write_attributes(w, log_record::attributes, r.attributes);
        w.bytes_field(log_record::trace_id, r.trace_id);
        w.bytes_field(log_record::span_id, r.span_id);
        w.fixed64_field(log_record::observed_time_unix_nano, r.observed_time_unix_nano);
        w.bytes_field(log_record::event_name, r.event_name);
      });
  });
}

std::string metrics(const Attributes& resource, std::span<const Metric> metrics) {
  return envelope(resource, [&](Writer& w) {
    for (const auto& m : metrics)
      w.message(items_of, [&] {
        w.bytes_field(metric::name, m.name);
        w.bytes_field(metric::description, m.description);
        w.bytes_field(metric::unit, m.unit);
        auto numbers = [&] {
          for (const auto& p : m.numbers)
            w.message(data::data_points, [&] {
              w.fixed64_field(number_point::start_time_unix_nano, p.start_unix_nano);
              w.fixed64_field(number_point::time_unix_nano, p.time_unix_nano);
              if (auto* d = std::get_if<double>(&p.value)) w.double_field(number_point::as_double, *d, true);
              else w.sfixed64_field(number_point::as_int, std::get<std::int64_t>(p.value), true);
            });
        };
        switch (m.kind) {
          case Metric::Kind::gauge: w.message(metric::gauge, numbers); break;
          case Metric::Kind::sum:
            w.message(metric::sum, [&] {
              numbers();
              w.int_field(data::aggregation_temporality, temporality_delta);
              w.bool_field(data::is_monotonic, true);
            });
            break;
          case Metric::Kind::histogram:
            w.message(metric::histogram, [&] {
              for (const auto& o : m.observations)
                w.message(data::data_points, [&] {
                  w.fixed64_field(histogram_point::start_time_unix_nano, o.start_unix_nano);
                  w.fixed64_field(histogram_point::time_unix_nano, o.time_unix_nano);
                  w.fixed64_field(histogram_point::count, 1);
                  w.double_field(histogram_point::sum, o.value, true);
                  const std::uint64_t one_bucket[] = {1};
                  w.packed_fixed64(histogram_point::bucket_counts, std::span(one_bucket),
                                   [](std::uint64_t v) { return v; });
                  w.double_field(histogram_point::min, o.value, true);
                  w.double_field(histogram_point::max, o.value, true);
                });
              w.int_field(data::aggregation_temporality, temporality_delta);
            });
            break;
        }
      });
  });
}

std::string spans(const Attributes& resource, std::span<const Span> spans) {
  return envelope(resource, [&](Writer& w) {
    for (const auto& s : spans)
      w.message(items_of, [&] {
        w.bytes_field(span::trace_id, s.trace_id);
        w.bytes_field(span::span_id, s.span_id);
        w.bytes_field(span::parent_span_id, s.parent_span_id);
        w.bytes_field(span::name, s.name);
        w.int_field(span::kind, static_cast<int>(s.kind));
        w.fixed64_field(span::start_time_unix_nano, s.start_unix_nano);
        w.fixed64_field(span::end_time_unix_nano, s.end_unix_nano);
        write_attributes(w, span::attributes, s.attributes);
        if (s.status != Span::Status::unset || !s.status_message.empty())
          w.message(span::status, [&] {
            w.bytes_field(status::message, s.status_message);
            w.int_field(status::code, static_cast<int>(s.status));
          });
      });
  });
}

}  // namespace protobuf

}  // namespace ltf::otlp
