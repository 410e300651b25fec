#pragma once
// The fake OTLP receiver's decoding (for fake-lambda's sink and for tests): an OTLP/HTTP request
// body, protobuf or JSON, as the OTLP/JSON value it stands for. Protobuf is read with the
// emulator's own wire reader and field table (src/emulator/otlp_wire.cpp), written from
// opentelemetry-proto v1.11.0 independently of the extension's encoder, so that each checks the
// other.

#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace ltf::emulator::otlp {

enum class Signal { logs, metrics, traces };

// The signal an OTLP/HTTP path asks for ("/v1/logs", "/prefix/v1/traces"); nullopt for others.
std::optional<Signal> signal_of_target(std::string_view target);

// The Export*ServiceRequest in `body` as OTLP/JSON (lowerCamelCase names, ids as hex, 64-bit
// integers as strings, enums as numbers; repeated fields as arrays; fields the table does not
// know are skipped, as protobuf readers do). nullopt, with `why`, when the bytes are not such a
// message (truncated, wrong wire types, nested deeper than 64).
std::optional<boost::json::value> decode_protobuf(Signal signal, std::string_view body, std::string* why = nullptr);

}  // namespace ltf::emulator::otlp
