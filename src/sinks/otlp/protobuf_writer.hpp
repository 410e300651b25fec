#pragma once
// A minimal protobuf wire-format writer: varints, fixed-width numbers and length-delimited fields
// (strings, bytes, nested messages). Enough for OTLP's messages without a protobuf library or
// generated code; proto3 defaults (0, "", false) are left out as protobuf's own encoders do.

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace ltf::otlp::wire {

enum class WireType : std::uint8_t { varint = 0, fixed64 = 1, length_delimited = 2, fixed32 = 5 };

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}

  void varint(std::uint64_t value) {
    while (value >= 0x80) {
      out_.push_back(static_cast<char>((value & 0x7f) | 0x80));
      value >>= 7;
    }
    out_.push_back(static_cast<char>(value));
  }
  void tag(std::uint32_t field, WireType type) {
    varint((static_cast<std::uint64_t>(field) << 3) | static_cast<std::uint8_t>(type));
  }

  // Scalars: left out when zero (proto3's default), unless `always` (a oneof member or an
  // optional field, whose presence is the point).
  void uint_field(std::uint32_t field, std::uint64_t value) {
    if (value == 0) return;
    tag(field, WireType::varint);
    varint(value);
  }
  // int64/int32/enum: two's complement as a 64-bit varint (negative numbers take 10 bytes).
  void int_field(std::uint32_t field, std::int64_t value) {
    uint_field(field, static_cast<std::uint64_t>(value));
  }
  void bool_field(std::uint32_t field, bool value) { uint_field(field, value ? 1 : 0); }
  void fixed64_field(std::uint32_t field, std::uint64_t value, bool always = false) {
    if (value == 0 && !always) return;
    tag(field, WireType::fixed64);
    fixed64(value);
  }
  void sfixed64_field(std::uint32_t field, std::int64_t value, bool always = false) {
    fixed64_field(field, static_cast<std::uint64_t>(value), always);
  }
  void double_field(std::uint32_t field, double value, bool always = false) {
    if (value == 0 && !always) return;
    tag(field, WireType::fixed64);
    fixed64(std::bit_cast<std::uint64_t>(value));
  }
  void fixed32_field(std::uint32_t field, std::uint32_t value) {
    if (value == 0) return;
    tag(field, WireType::fixed32);
    for (int i = 0; i < 4; ++i) out_.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
  }
  // string and bytes; `always` for a member of a oneof, whose presence is the point.
  void bytes_field(std::uint32_t field, std::string_view value, bool always = false) {
    if (value.empty() && !always) return;
    tag(field, WireType::length_delimited);
    varint(value.size());
    out_.append(value);
  }
  // A packed repeated fixed64 / double field.
  template <typename Range, typename ToBits>
  void packed_fixed64(std::uint32_t field, const Range& values, ToBits bits) {
    if (values.empty()) return;
    tag(field, WireType::length_delimited);
    varint(values.size() * 8);
    for (const auto& v : values) fixed64(bits(v));
  }

  // A nested message: `body` writes its fields; its length is back-patched in front of them
  // (a varint of the final size, moved in once per level: cheap for OTLP's shallow nesting).
  template <typename Body>
  void message(std::uint32_t field, Body&& body) {
    tag(field, WireType::length_delimited);
    const std::size_t start = out_.size();
    body();
    const std::uint64_t size = out_.size() - start;
    char prefix[10];
    std::size_t n = 0;
    std::uint64_t value = size;
    while (value >= 0x80) {
      prefix[n++] = static_cast<char>((value & 0x7f) | 0x80);
      value >>= 7;
    }
    prefix[n++] = static_cast<char>(value);
    out_.insert(start, prefix, n);
  }

 private:
  void fixed64(std::uint64_t value) {
    for (int i = 0; i < 8; ++i) out_.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
  }

  std::string& out_;
};

}  // namespace ltf::otlp::wire
