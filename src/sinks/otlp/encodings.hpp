#pragma once
// The two encodings of OTLP requests, behind ltf::otlp::encode_* (private to the sinks module).

#include "ltf/otlp.hpp"

namespace ltf::otlp {

namespace protobuf {
std::string logs(const Attributes& resource, std::span<const LogRecord> records);
std::string metrics(const Attributes& resource, std::span<const Metric> metrics);
std::string spans(const Attributes& resource, std::span<const Span> spans);
}  // namespace protobuf

namespace json_encoding {
std::string logs(const Attributes& resource, std::span<const LogRecord> records);
std::string metrics(const Attributes& resource, std::span<const Metric> metrics);
std::string spans(const Attributes& resource, std::span<const Span> spans);
}  // namespace json_encoding

}  // namespace ltf::otlp
